//! Skeleton: filled in by the ssh importer.

use super::{Builder, ImportError, Warning};
use crate::model::TrustGraph;

#[derive(Debug, Default)]
pub(crate) struct Inventory {}

pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let _ = (bytes, file, &mut builder.ssh);
    Ok(())
}

pub(super) fn finish(
    inventory: &Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: jiff::Timestamp,
) {
    let _ = (inventory, graph, warnings, at);
}
