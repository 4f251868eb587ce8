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

#[cfg(test)]
mod tests {
    use crate::import::{Input, load_inputs};
    use crate::model::Place;

    const GRAPH: &[u8] = br#"{"schema": "trustpath/graph/v1", "nodes": [
        {"id": "github:secret:acme/web/KEY", "kind": "secret", "name": "KEY"},
        {"id": "AKIAEXAMPLE000000001", "kind": "credential", "name": "key 1"}]}"#;

    #[test]
    fn rows_become_asserted_edges_between_keys_or_names() {
        let links =
            b"from,to,kind,reason\nKEY,AKIAEXAMPLE000000001,contains,\"holds the key, says ops\"\n";
        let loaded = load_inputs([
            Input::bytes("g.json", GRAPH.to_vec()),
            Input::bytes("links.csv", links.to_vec()),
        ])
        .expect("loads");
        let g = &loaded.graph;
        let e = g.edge_ids().next().expect("one edge");
        assert!(g.edge(e).asserted);
        assert_eq!(&**g.edge(e).reason, "holds the key, says ops");
        assert_eq!(g.edge(e).provenance.place, Place::Line(2));
        assert_eq!(g.key(g.endpoints(e).0), "github:secret:acme/web/KEY");
    }

    #[test]
    fn unknown_endpoints_are_warnings_and_bad_kinds_errors() {
        let links = b"from,to,kind\nKEY,nobody,contains\n";
        let loaded = load_inputs([
            Input::bytes("g.json", GRAPH.to_vec()),
            Input::bytes("links.csv", links.to_vec()),
        ])
        .expect("loads");
        assert_eq!(loaded.graph.edge_count(), 0);
        assert!(
            loaded.warnings[0]
                .to_string()
                .starts_with("links.csv:2: contains edge KEY -> nobody skipped")
        );
        let err = load_inputs([
            Input::bytes("g.json", GRAPH.to_vec()),
            Input::bytes("links.csv", b"from,to,kind\nKEY,key 1,owns\n".to_vec()),
        ])
        .expect_err("unknown kind");
        assert!(
            err.to_string()
                .starts_with("links.csv:2: unknown edge kind 'owns'")
        );
    }
}
