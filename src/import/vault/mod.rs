//! HashiCorp Vault: `vault … -format=json` output placed in a `vault/` tree.

use super::{Builder, ImportError, Warning};
use crate::model::TrustGraph;

#[derive(Debug, Default)]
pub(crate) struct Inventory {}

pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let _ = (bytes, file, &mut builder.vault);
    Ok(())
}

pub(super) fn finish(
    vault: &Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: jiff::Timestamp,
) {
    let _ = (vault, graph, warnings, at);
}
