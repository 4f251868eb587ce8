//! The links CSV, `from,to,kind,reason`: edges only a person knows (which CI secret
//! holds which access key, which workload uses which token). Endpoints may be keys or
//! unambiguous names; the edges are marked as asserted by the user.

use super::{Builder, ImportError};
use crate::model::{Edge, EdgeKind, Place, Provenance};

pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let source = builder.graph.intern_source(file);
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let bad = |line: u64, message: String| ImportError::Csv {
        file: file.to_string(),
        line,
        message,
    };
    let headers = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| bad(1, format!("no '{name}' column")))
    };
    let (from, to, kind) = (column("from")?, column("to")?, column("kind")?);
    let reason = column("reason").ok();
    for record in reader.records() {
        let record =
            record.map_err(|e| bad(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |c: usize| record.get(c).unwrap_or_default();
        let (a, b, k) = (get(from), get(to), get(kind));
        if a.is_empty() || b.is_empty() {
            return Err(bad(line, "'from' and 'to' must both be given".into()));
        }
        let Some(kind) = EdgeKind::parse(k) else {
            return Err(bad(
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
        builder.add_named_edge(a, b, edge, file);
    }
    Ok(())
}
