//! Fields of a node or edge that trustpath does not know: reported once per field, never
//! fatal (see `dto.rs` for the two passes).

use serde::{Deserialize, Deserializer};
use serde_json::error::Category;

use super::window::Fail;

/// Whether serde refused a value for a field its type does not have.
pub(super) fn is_unknown_field(e: &Fail) -> bool {
    matches!(e, Fail::Json(e) if e.classify() == Category::Data
        && e.to_string().starts_with("unknown field"))
}

/// A value read through `serde_ignored`, with the paths of the fields it skipped
/// (`colour`, `credential.?.rotation`: `?` is the inside of an `Option`).
pub(super) struct Noted<T> {
    pub(super) value: T,
    pub(super) ignored: Vec<String>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Noted<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut ignored = Vec::new();
        let value = serde_ignored::deserialize(d, |path| ignored.push(path.to_string()))?;
        Ok(Noted { value, ignored })
    }
}
