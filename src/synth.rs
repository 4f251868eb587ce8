//! A deterministic synthetic organisation in native JSON, for benchmarks.
//!
//! Shape: about five edges per node; a small pool of hubs (shared roles, groups, CI
//! secrets) receives half of all edges, as real estates concentrate trust; a few admins
//! and crown jewels; one credential in ten inactive. Same `(nodes, seed)` → same bytes.

use std::io::{self, Write};

use crate::model::{EdgeKind, NodeKind};

/// SplitMix64: tiny, fast, and stable across versions (a crate's RNG may change streams).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn kind_of(i: usize) -> NodeKind {
    match i % 100 {
        0..=29 => NodeKind::Workload,
        30..=49 => NodeKind::ServiceAccount,
        50..=59 => NodeKind::Role,
        60..=64 => NodeKind::Group,
        65..=79 => NodeKind::Credential,
        80..=89 => NodeKind::Secret,
        90..=97 => NodeKind::Resource,
        98 => NodeKind::Human,
        _ => NodeKind::Provider,
    }
}

fn edge_kind(from: NodeKind, to: NodeKind) -> EdgeKind {
    match (from, to) {
        (NodeKind::Credential, _) => EdgeKind::AuthenticatesAs,
        (NodeKind::Secret, _) => EdgeKind::Contains,
        (NodeKind::Workload, NodeKind::ServiceAccount | NodeKind::Role) => EdgeKind::RunsAs,
        (_, NodeKind::Group) => EdgeKind::MemberOf,
        (_, NodeKind::Role | NodeKind::ServiceAccount) => EdgeKind::CanAssume,
        (_, NodeKind::Secret) => EdgeKind::CanRead,
        (_, NodeKind::Workload) => EdgeKind::CanControl,
        _ => EdgeKind::CanAccess,
    }
}

const PLATFORMS: [&str; 5] = ["aws", "github", "k8s", "gcp", "vault"];

fn key(i: usize) -> String {
    format!(
        "gen:{}:{}:{i:07}",
        PLATFORMS[i % PLATFORMS.len()],
        kind_of(i)
    )
}

/// Writes the organisation as native JSON.
pub fn generate(out: &mut dyn Write, nodes: usize, seed: u64) -> io::Result<()> {
    let nodes = nodes.max(2);
    let mut rng = Rng(seed);
    let hubs = (nodes / 100).max(1);
    writeln!(out, "{{\"schema\": \"trustpath/graph/v1\",")?;
    writeln!(
        out,
        "\"metadata\": {{\"generator\": \"trustpath gen\", \"seed\": {seed}, \"suggested_compromised\": \"{}\"}},",
        key(0)
    )?;
    writeln!(out, "\"nodes\": [")?;
    for i in 0..nodes {
        let kind = kind_of(i);
        let platform = PLATFORMS[i % PLATFORMS.len()];
        write!(
            out,
            "{{\"id\": \"{}\", \"kind\": \"{kind}\", \"platform\": \"{platform}\", \"name\": \"{kind}-{i}\"",
            key(i)
        )?;
        if kind == NodeKind::Resource && i % 50 == 0 {
            write!(out, ", \"criticality\": 9")?;
        }
        if kind == NodeKind::Role && i % 1000 == 50 {
            write!(out, ", \"admin\": true")?;
        }
        // Node actions, as the importers write them: end a role's or a person's sessions,
        // disable a service account, rotate a secret.
        let node_action = match kind {
            NodeKind::Role | NodeKind::Human => Some(("sessions", "revoke_sessions", 2)),
            NodeKind::ServiceAccount => Some(("disable", "disable_identity", 4)),
            NodeKind::Secret => Some(("rotate", "rotate", 2)),
            _ => None,
        };
        if let Some((prefix, action, cost)) = node_action {
            write!(
                out,
                ", \"revoke\": [{{\"id\": \"{prefix}:{i}\", \"action\": \"{action}\", \"cost\": {cost}}}]"
            )?;
        }
        if kind == NodeKind::Credential {
            let status = if rng.below(10) == 0 {
                "inactive"
            } else {
                "active"
            };
            write!(
                out,
                ", \"credential\": {{\"type\": \"access_key\", \"status\": \"{status}\"}}, \
                 \"revoke\": [{{\"id\": \"deactivate:{i}\", \"action\": \"deactivate_key\", \"cost\": 1}}]"
            )?;
        }
        writeln!(out, "}}{}", if i + 1 < nodes { "," } else { "" })?;
    }
    writeln!(out, "],\n\"edges\": [")?;
    let mut first = true;
    for i in 0..nodes {
        let degree = 1 + rng.below(9); // 1..=9, mean 5
        let mut targets = Vec::with_capacity(degree);
        for _ in 0..degree {
            let j = if rng.below(2) == 0 {
                rng.below(hubs) * 100 + rng.below(100)
            } else {
                rng.below(nodes)
            };
            let j = j % nodes;
            // No self-loops, and no second edge to the same target (it would be a duplicate).
            if j == i || targets.contains(&j) {
                continue;
            }
            targets.push(j);
            let kind = edge_kind(kind_of(i), kind_of(j));
            if !first {
                writeln!(out, ",")?;
            }
            first = false;
            write!(
                out,
                "{{\"from\": \"{}\", \"to\": \"{}\", \"kind\": \"{kind}\", \"reason\": \"generated {kind}\"",
                key(i),
                key(j)
            )?;
            // Edge actions: one membership or trust statement per edge; a policy or a
            // binding per source, shared by all its grants (one detach cuts them all).
            // Credentials, secrets and workloads are cut at the node.
            let edge_action = match kind {
                EdgeKind::MemberOf => Some((format!("member:{i}:{j}"), "remove_membership", 2)),
                EdgeKind::CanAssume => Some((format!("trust:{j}:{i}"), "remove_trust", 3)),
                EdgeKind::CanAccess | EdgeKind::CanRead => {
                    Some((format!("policy:{i}"), "detach_policy", 3))
                }
                EdgeKind::CanControl => Some((format!("binding:{i}"), "remove_binding", 3)),
                _ => None,
            };
            if let Some((id, action, cost)) = edge_action {
                write!(
                    out,
                    ", \"revoke\": [{{\"id\": \"{id}\", \"action\": \"{action}\", \"cost\": {cost}}}]"
                )?;
            }
            write!(out, "}}")?;
        }
    }
    writeln!(out, "\n]}}")
}

#[cfg(test)]
mod tests {
    use super::generate;

    #[test]
    fn same_seed_same_bytes() {
        let run = |seed| {
            let mut buf = Vec::new();
            generate(&mut buf, 500, seed).expect("in-memory write");
            buf
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let loaded = crate::import::load_inputs([crate::import::Input::bytes("gen.json", run(7))])
            .expect("generated graphs load");
        assert_eq!(loaded.graph.node_count(), 500);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }
}
