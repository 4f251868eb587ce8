//! The links CSV, `from,to,kind,reason`: edges only a person knows (which CI secret
//! holds which access key, which workload uses which token). Endpoints may be keys or
//! unambiguous names; the edges are marked as asserted by the user.

use super::table::Table;
use super::{Builder, ImportError};
use crate::model::{Edge, EdgeKind, Place, Provenance};

pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let source = builder.graph.intern_source(file);
    let mut table = Table::open(bytes, file)?;
    let (from, to, kind) = (
        table.required("from")?,
        table.required("to")?,
        table.required("kind")?,
    );
    let reason = table.column("reason");
    let errors = table.errors();
    for row in table.rows() {
        let (line, record) = row?;
        let get = |c: usize| record.get(c).unwrap_or_default();
        let (a, b, k) = (get(from), get(to), get(kind));
        if a.is_empty() || b.is_empty() {
            return Err(errors.at(line, "'from' and 'to' must both be given".into()));
        }
        let Some(kind) = EdgeKind::parse(k) else {
            return Err(errors.at(
                line,
                format!(
                    "unknown edge kind '{k}' (one of: authenticates_as, can_assume, member_of, runs_as, \
                     can_control, can_read, contains, can_escalate, can_access)"
                ),
            ));
        };
        let reason = reason
            .map(get)
            .filter(|r| !r.is_empty())
            .unwrap_or("asserted in links file");
        let mut edge = Edge::new(
            kind,
            reason,
            Provenance {
                source,
                place: Place::Line(line),
            },
        );
        edge.asserted = true;
        builder.add_named_edge(a, b, edge, Place::Line(line));
    }
    Ok(())
}
