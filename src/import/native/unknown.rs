//! Fields of a node or edge that trustpath does not know: reported once per field, never fatal.
//!
//! The element types refuse unknown fields, so that the usual element is parsed once with
//! nothing recording its keys (noting every key as it went by cost a tenth of the load).
//! An element refused for an unknown field is parsed again as a JSON value; the fields its
//! [`Shape`] does not name are noted and removed, and the rest is read as any other.

use serde_json::Value;
use serde_json::error::Category;

use super::window::{Fail, parse};

/// The fields an object may have, and the objects inside it that are checked too.
pub(super) struct Shape {
    fields: &'static [&'static str],
    nested: &'static [(&'static str, Nest)],
}

enum Nest {
    /// The field holds one such object.
    One(&'static Shape),
    /// The field holds an array; its elements that are objects are such objects.
    Each(&'static Shape),
}

const CREDENTIAL: Shape = Shape {
    fields: &[
        "type",
        "status",
        "created",
        "expires",
        "last_used",
        "last_rotated",
        "long_lived",
        "copyable",
    ],
    nested: &[],
};

const REVOKE: Shape = Shape {
    fields: &["id", "action", "cost", "commands"],
    nested: &[],
};

const PROVENANCE: Shape = Shape {
    fields: &["file", "at"],
    nested: &[],
};

const CONDITION: Shape = Shape {
    fields: &["description", "key", "operator", "values"],
    nested: &[],
};

pub(super) const NODE: Shape = Shape {
    fields: &[
        "id",
        "kind",
        "platform",
        "name",
        "scope",
        "owner",
        "purpose",
        "environment",
        "criticality",
        "admin",
        "tags",
        "credential",
        "revoke",
        "provenance",
    ],
    nested: &[
        ("credential", Nest::One(&CREDENTIAL)),
        ("revoke", Nest::Each(&REVOKE)),
        ("provenance", Nest::One(&PROVENANCE)),
    ],
};

pub(super) const EDGE: Shape = Shape {
    fields: &[
        "from",
        "to",
        "kind",
        "reason",
        "conditions",
        "dormant",
        "potential",
        "asserted",
        "technique",
        "level",
        "revoke",
        "provenance",
    ],
    nested: &[
        ("conditions", Nest::Each(&CONDITION)),
        ("revoke", Nest::Each(&REVOKE)),
        ("provenance", Nest::One(&PROVENANCE)),
    ],
};

/// Whether serde refused a value for a field its type does not have.
pub(super) fn is_unknown_field(e: &Fail) -> bool {
    matches!(e, Fail::Json(e) if e.classify() == Category::Data
        && e.to_string().starts_with("unknown field"))
}

/// The value at the start of `bytes` without the fields `shape` does not name, the bytes
/// it took, and the paths of the fields removed (`colour`, `revoke.0.note`).
pub(super) fn stripped(bytes: &[u8], shape: &Shape) -> Result<(Value, usize, Vec<String>), Fail> {
    let (mut value, used) = parse::<Value>(bytes)?;
    let mut removed = Vec::new();
    strip(&mut value, shape, "", &mut removed);
    Ok((value, used, removed))
}

fn strip(value: &mut Value, shape: &Shape, path: &str, removed: &mut Vec<String>) {
    let Value::Object(map) = value else {
        return; // not an object: the element type says what is wrong with it
    };
    map.retain(|field, _| {
        let known = shape.fields.contains(&field.as_str());
        if !known {
            removed.push(format!("{path}{field}"));
        }
        known
    });
    for (field, nest) in shape.nested {
        match (map.get_mut(*field), nest) {
            (Some(inner), Nest::One(shape)) => {
                strip(inner, shape, &format!("{path}{field}."), removed);
            }
            (Some(Value::Array(items)), Nest::Each(shape)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    strip(item, shape, &format!("{path}{field}.{i}."), removed);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::native::{
        ConditionFields, CredentialDto, EdgeDto, NodeDto, ProvenanceDto, RevokeDto,
    };
    use serde::Deserialize;

    /// The fields serde names when it refuses one it does not know.
    fn fields_of<T: Deserialize<'static>>() -> Vec<String> {
        let err = serde_json::from_str::<T>(r#"{"no such field": 1}"#)
            .err()
            .expect("an unknown field is refused")
            .to_string();
        let expected = &err[err.find("expected").expect("names what it expected")..];
        expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn shapes_name_exactly_the_fields_the_types_read() {
        assert_eq!(fields_of::<NodeDto<'static>>(), NODE.fields);
        assert_eq!(fields_of::<EdgeDto<'static>>(), EDGE.fields);
        assert_eq!(fields_of::<CredentialDto>(), CREDENTIAL.fields);
        assert_eq!(fields_of::<RevokeDto<'static>>(), REVOKE.fields);
        assert_eq!(fields_of::<ProvenanceDto<'static>>(), PROVENANCE.fields);
        assert_eq!(fields_of::<ConditionFields>(), CONDITION.fields);
    }

    #[test]
    fn unknown_fields_are_removed_with_their_paths() {
        let text = br#"{"id": "a", "colour": 1, "revoke": [{"id": "x", "action": "a", "note": 2}],
                        "credential": {"status": "active", "secret": "s"}, "tags": {"any": "k"}}, "#;
        let (value, used, removed) = stripped(text, &NODE).ok().expect("parses");
        assert_eq!(text[used..].trim_ascii(), b",");
        assert_eq!(removed, ["colour", "credential.secret", "revoke.0.note"]);
        assert_eq!(value["tags"]["any"], "k");
        assert!(value.get("colour").is_none());
    }
}
