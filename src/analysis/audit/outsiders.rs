//! NHI3 and NHI6: what another organisation, or anyone, holds.

use std::collections::HashMap;

use super::rules::{edge_fix, line_out, live_out, own_fix, shown};
use super::{Category, Ctx, Finding, Reach, Severity};
use crate::model::{EdgeKind, NodeId};

/// NHI3: code or an app another organisation controls, with a way to a crown jewel.
pub(super) fn third_party(ctx: &Ctx<'_>, node: NodeId) -> Finding {
    let graph = ctx.graph;
    let n = graph.node(node);
    let reach = ctx.reach(node);
    let pinned = n.tags.get("pinned");
    // Pins that can move under the code (`src/import/github/workflow.rs` `Pinned`); a
    // commit or an image digest cannot.
    let mutable = pinned.is_some_and(|p| matches!(p, "tag" | "branch" | "ref"));
    let mut evidence = vec![match n.tags.get("third_party") {
        Some("true") | None => "owned by another organisation".to_string(),
        Some(org) => format!("owned by another organisation ({org})"),
    }];
    if let Some(p) = pinned {
        evidence.push(format!("pinned by {p}"));
    }
    // Where it runs, named a few times; every place is in the fix.
    let live: Vec<_> = graph
        .outgoing(node)
        .filter(|&(e, _)| !graph.edge(e).dormant)
        .collect();
    shown(
        &mut evidence,
        live.iter().map(|&(e, to)| line_out(ctx, e, to)),
    );
    let mut fix = edge_fix(ctx, live.iter().map(|&(e, _)| e));
    fix.extend(own_fix(ctx, node));
    fix.sort();
    fix.dedup();
    evidence.push(reach.evidence());
    Finding {
        id: format!("NHI3:third-party:{}", n.key),
        category: Category::NHI3,
        severity: match (mutable, reach) {
            (true, Reach::Certain) => Severity::High,
            (true, _) => Severity::Medium,
            (false, _) => Severity::Low,
        },
        nodes: vec![node],
        title: if mutable {
            "third-party code under a mutable pin can reach a crown jewel".into()
        } else {
            "third-party code or app can reach a crown jewel".into()
        },
        evidence,
        fix,
    }
}

/// NHI6: each usable edge out of a node that stands for anyone, into something usable.
pub(super) fn world_assumable(ctx: &Ctx<'_>, public: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let from = &graph.key(public);
    // Parallel edges (one per trust statement) each get their own id, told apart by what
    // they say (a digest of the reason and conditions), so that one turning dormant or
    // going away leaves the others' ids (SARIF fingerprints) as they were.
    let mut parallel: HashMap<(NodeId, EdgeKind), usize> = HashMap::new();
    for (e, to) in graph.outgoing(public) {
        *parallel.entry((to, graph.edge(e).kind)).or_default() += 1;
    }
    for (e, to) in live_out(ctx, public) {
        let edge = graph.edge(e);
        let key = &graph.key(to);
        let suffix = if parallel[&(to, edge.kind)] > 1 {
            let said = std::iter::once(&**edge.reason)
                .chain(edge.conditions.iter().map(|c| c.description.as_str()));
            format!(" #{:08x}", digest(said))
        } else {
            String::new()
        };
        let mut evidence = vec![edge.reason.to_string()];
        evidence.extend(
            edge.conditions
                .iter()
                .map(|c| format!("only if: {}", c.description)),
        );
        evidence.push(ctx.reach(to).evidence());
        out.push(Finding {
            id: format!("NHI6:world:{from} -> {key} ({}){suffix}", edge.kind),
            category: Category::NHI6,
            severity: match (edge.is_conditional(), ctx.reach(to)) {
                (true, _) => Severity::Medium,
                (false, Reach::Certain) => Severity::Critical,
                (false, _) => Severity::High,
            },
            nodes: vec![to, public],
            title: if edge.is_conditional() {
                format!(
                    "anyone ({from}) may reach {key} ({}), if its conditions hold",
                    edge.kind
                )
            } else {
                format!("anyone ({from}) reaches {key} ({})", edge.kind)
            },
            evidence,
            fix: edge.revoke.entries().map(|r| r.id().to_string()).collect(),
        });
    }
}

/// FNV-1a over some texts (each ended by a 0 byte): stable across runs and versions,
/// unlike the standard library's hasher.
fn digest<'a>(texts: impl Iterator<Item = &'a str>) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in texts.flat_map(|t| t.bytes().chain(std::iter::once(0))) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}
