//! A deterministic synthetic organisation in native JSON, for benchmarks.
//!
//! Shape: teams of a thousand nodes whose trust mostly stays inside the team; a platform
//! team whose groups and roles everyone uses and whose deploy roles control workloads in
//! every team; group membership and role fan-in drawn from a Zipf law (in every team and
//! across the platform team's hubs, a group's or role's share of members falls as one
//! over its rank); a third of the workloads are GitHub Actions workflows that federate
//! into cloud roles (OIDC) and read repository secrets; about five edges per node; one
//! admin role per team and production databases in every third team as crown jewels; one
//! credential in ten inactive, all created within four years and half of them used since;
//! one vendor's agent per team (third-party code under a mutable tag); revoke entries as
//! the importers write them.
//! Same `(nodes, seed)` → same bytes (integer arithmetic only, so on every machine).

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

    /// A rank in `0..n` drawn from a discrete Zipf law of exponent one: an octave
    /// `[2^k - 1, 2^(k+1) - 1)` uniformly, then a rank uniformly inside it, so the chance of
    /// rank `r` falls as `1 / (r + 1)`. Real membership and fan-in counts follow such
    /// heavy tails (a few groups hold most identities); integers keep the bytes the same
    /// on every machine, where a float `powf` might not.
    fn zipf(&mut self, n: usize) -> usize {
        let n = n.max(1);
        let octaves = usize::BITS - n.leading_zeros(); // octaves covering 1..=n
        let k = self.below(octaves as usize);
        let low = (1usize << k) - 1;
        let high = ((1usize << (k + 1)) - 1).min(n);
        low + self.below(high - low)
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

/// The `i % 100` slots of each kind (see [`kind_of`]).
fn slots(kind: NodeKind) -> std::ops::Range<usize> {
    match kind {
        NodeKind::Workload => 0..30,
        NodeKind::ServiceAccount => 30..50,
        NodeKind::Role => 50..60,
        NodeKind::Group => 60..65,
        NodeKind::Credential => 65..80,
        NodeKind::Secret => 80..90,
        NodeKind::Resource => 90..98,
        NodeKind::Human => 98..99,
        NodeKind::Provider => 99..100,
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

/// Workload slots that are GitHub Actions workflows (a third of the workloads): they
/// federate into cloud roles instead of running as a service account.
fn is_workflow(i: usize) -> bool {
    i % 100 < 10
}

/// One workload per team is a vendor's agent: code another organisation ships under a
/// mutable tag, an entry point for `harden`.
fn is_vendor_agent(i: usize) -> bool {
    i % TEAM == 15
}

/// A credential's creation (within four years before 2026-11-01) and, for half of them,
/// its last use since. From their own stream, so that the edges drawn from the main one
/// stay what they were before credentials had dates.
fn dates(seed: u64, i: usize) -> (jiff::Timestamp, Option<jiff::Timestamp>) {
    const END: i64 = 1_793_491_200; // 2026-11-01T00:00:00Z
    const DAY: i64 = 86_400;
    let mut rng = Rng(seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let age = 1 + rng.below(4 * 365) as i64;
    let created = END - age * DAY;
    let last_used = (rng.below(2) == 0).then(|| END - rng.below(age as usize) as i64 * DAY);
    let at = |s: i64| jiff::Timestamp::from_second(s).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    (at(created), last_used.map(at))
}

/// Nodes per team. Teams own their workloads, identities, secrets and resources; trust
/// mostly stays inside a team, as in real estates, and team 0 is the platform team whose
/// groups and roles everyone uses and whose deploy roles reach into every team.
const TEAM: usize = 1000;

fn team_of(i: usize) -> usize {
    i / TEAM
}

fn platform(i: usize) -> &'static str {
    if is_workflow(i) {
        "github"
    } else {
        PLATFORMS[team_of(i) % PLATFORMS.len()]
    }
}

/// Workflows are keyed as the GitHub importer keys them; everything else by platform,
/// kind and index.
fn key(i: usize) -> String {
    if is_workflow(i) {
        format!(
            "github:workflow:gen-org/team-{:04}/.github/workflows/ci-{i:07}.yml",
            team_of(i)
        )
    } else {
        format!("gen:{}:{}:{i:07}", platform(i), kind_of(i))
    }
}

fn name(i: usize) -> String {
    if is_workflow(i) {
        format!("ci-{i:07}.yml")
    } else {
        format!("{}-{i}", kind_of(i))
    }
}

/// What each kind of node points at: (target kind, how many, whether it may be the
/// platform team's). Mean out-degree about five (5.06 at a million nodes).
fn wants(i: usize) -> &'static [(NodeKind, usize, bool)] {
    use NodeKind::*;
    match kind_of(i) {
        // A workflow's OIDC token is trusted by a role (its team's, or a platform deploy
        // role's); it reads its repository's secrets.
        Workload if is_workflow(i) => &[(Role, 1, true), (Secret, 2, true)],
        Workload => &[(ServiceAccount, 1, false), (Secret, 2, true)],
        Credential => &[(ServiceAccount, 1, false)],
        Secret => &[(Credential, 2, false)],
        ServiceAccount => &[
            (Group, 2, true),
            (Role, 1, true),
            (Resource, 5, false),
            (Secret, 1, false),
        ],
        Human => &[(Group, 2, true), (Role, 2, true), (Secret, 1, false)],
        Group => &[(Resource, 12, false), (Role, 2, true)],
        Role => &[
            (Resource, 9, false),
            (Secret, 2, false),
            (Role, 1, true),
            (Workload, 1, false),
        ],
        Provider => &[(Role, 10, true)],
        Resource => &[],
    }
}

/// A target of `kind`: in the source's own team, or (one time in ten, when allowed) in the
/// platform team. Groups and roles are drawn by Zipf rank (power-law fan-in), the rest
/// uniformly. The platform team's deploy roles control workloads anywhere.
fn pick(rng: &mut Rng, nodes: usize, from: usize, kind: NodeKind, shared: bool) -> usize {
    let teams = nodes.div_ceil(TEAM);
    let platform_team = team_of(from) == 0;
    let team = if kind == NodeKind::Workload && platform_team {
        rng.below(teams)
    } else if shared && rng.below(10) == 0 {
        0
    } else {
        team_of(from)
    };
    let range = slots(kind);
    let per_team = TEAM / 100 * range.len();
    let rank = if matches!(kind, NodeKind::Group | NodeKind::Role) {
        rng.zipf(per_team)
    } else {
        rng.below(per_team)
    };
    // Rank 0 is the team's last node of the kind, so the admin role (the team's first
    // role) is not the most used one.
    let nth = per_team - 1 - rank;
    let i = team * TEAM + nth / range.len() * 100 + range.start + nth % range.len();
    if i < nodes {
        i
    } else {
        // The last team may be cut short: draw again uniformly among what exists.
        let team_start = team * TEAM;
        let in_team = (nodes - team_start).div_ceil(100);
        (team_start + rng.below(in_team) * 100 + range.start).min(nodes - 1)
    }
}

/// Writes the organisation as native JSON.
pub fn generate(out: &mut dyn Write, nodes: usize, seed: u64) -> io::Result<()> {
    generate_with(out, nodes, seed, &mut |_, _| {})
}

/// [`generate`], calling `progress(done, total)` every 10,000 nodes of each pass (nodes,
/// then edges: `total` is twice the node count).
pub fn generate_with(
    out: &mut dyn Write,
    nodes: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize, usize),
) -> io::Result<()> {
    let nodes = nodes.max(2);
    let mut rng = Rng(seed);
    writeln!(out, "{{\"schema\": \"trustpath/graph/v1\",")?;
    // Node 0 is a CI workflow of the platform team: it runs as an identity that reaches
    // the deploy roles, which control workloads in every team.
    writeln!(
        out,
        "\"metadata\": {{\"generator\": \"trustpath gen\", \"seed\": {seed}, \"suggested_compromised\": \"{}\"}},",
        key(0)
    )?;
    writeln!(out, "\"nodes\": [")?;
    for i in 0..nodes {
        if i % 10_000 == 0 {
            progress(i, 2 * nodes);
        }
        let kind = kind_of(i);
        write!(
            out,
            "{{\"id\": \"{}\", \"kind\": \"{kind}\", \"platform\": \"{}\", \"name\": \"{}\"",
            key(i),
            platform(i),
            name(i)
        )?;
        // Production databases of every third team, and one admin role per team.
        if kind == NodeKind::Resource && i % 100 == 90 && team_of(i).is_multiple_of(3) {
            write!(out, ", \"criticality\": 9")?;
        }
        if kind == NodeKind::Role && i % TEAM == 50 {
            write!(out, ", \"admin\": true")?;
        }
        // Node actions, as the importers write them: end a role's or a person's sessions,
        // disable a service account or a workflow, rotate a secret.
        let node_action = match kind {
            NodeKind::Role | NodeKind::Human => Some(("sessions", "revoke_sessions", 2)),
            NodeKind::ServiceAccount => Some(("disable", "disable_identity", 4)),
            NodeKind::Secret => Some(("rotate", "rotate", 2)),
            NodeKind::Workload => Some(("disable-workload", "disable_workflow", 3)),
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
            let (created, last_used) = dates(seed, i);
            write!(
                out,
                ", \"credential\": {{\"type\": \"access_key\", \"status\": \"{status}\", \
                 \"created\": \"{created}\"{}}}, \
                 \"revoke\": [{{\"id\": \"deactivate:{i}\", \"action\": \"deactivate_key\", \"cost\": 1}}]",
                last_used.map_or(String::new(), |t| format!(", \"last_used\": \"{t}\""))
            )?;
        }
        if is_vendor_agent(i) {
            write!(
                out,
                ", \"purpose\": \"a vendor's agent\", \"tags\": {{\"third_party\": \"true\", \"pinned\": \"tag\"}}"
            )?;
        }
        writeln!(out, "}}{}", if i + 1 < nodes { "," } else { "" })?;
    }
    writeln!(out, "],\n\"edges\": [")?;
    let mut first = true;
    let mut targets = Vec::new();
    for i in 0..nodes {
        if i % 10_000 == 0 {
            progress(nodes + i, 2 * nodes);
        }
        targets.clear();
        for &(to_kind, count, shared) in wants(i) {
            // The platform team's deploy roles reach three times as far, and further in
            // organisations of over a thousand teams, so that the suggested compromise
            // keeps reaching about a tenth of the graph or more.
            let count = if to_kind == NodeKind::Workload && team_of(i) == 0 {
                (3 * count).max(nodes.div_ceil(TEAM) / 333)
            } else {
                count
            };
            for _ in 0..count {
                let j = pick(&mut rng, nodes, i, to_kind, shared);
                // No self-loops, and no second edge to the same target (a duplicate).
                if j == i || targets.contains(&j) || kind_of(j) != to_kind {
                    continue;
                }
                targets.push(j);
                let kind = if is_workflow(i) && to_kind == NodeKind::Role {
                    EdgeKind::CanAssume
                } else {
                    edge_kind(kind_of(i), to_kind)
                };
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
                // binding per source, shared by all its grants (one detach cuts them
                // all). Credentials, secrets and workloads are cut at the node.
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
    }
    writeln!(out, "\n]}}")
}

#[cfg(test)]
mod tests {
    use super::{Rng, generate};
    use crate::model::{EdgeKind, NodeKind, TrustGraph};

    fn org(nodes: usize) -> TrustGraph {
        let mut buf = Vec::new();
        generate(&mut buf, nodes, 42).expect("in-memory write");
        crate::import::load_inputs([crate::import::Input::bytes("gen.json", buf)])
            .expect("generated graphs load")
            .graph
    }

    #[test]
    fn zipf_ranks_fall_as_one_over_rank() {
        let mut rng = Rng(1);
        let mut count = [0u32; 50];
        for _ in 0..100_000 {
            count[rng.zipf(50)] += 1;
        }
        // Rank 0 takes a sixth (six octaves); ranks 1 and 2 share the next sixth; each
        // octave's share is the same, so frequencies halve from one octave to the next.
        assert!((15_000..18_500).contains(&count[0]), "{count:?}");
        assert!(
            count[0] > 6 * count[10] && count[10] > count[40],
            "{count:?}"
        );
        assert_eq!(Rng(3).zipf(1), 0);
    }

    /// Membership is heavy-tailed (a few groups hold most identities), and the CI
    /// workflows federate into roles.
    #[test]
    fn fan_in_is_skewed_and_workflows_federate() {
        let g = org(5_000);
        let mut members: Vec<usize> = g
            .node_ids()
            .filter(|&n| g.node(n).kind == NodeKind::Group)
            .map(|n| g.incoming(n).count())
            .collect();
        members.sort_unstable();
        let (median, top) = (members[members.len() / 2], members[members.len() - 1]);
        assert!(top >= 10 * median.max(1), "median {median}, top {top}");
        let workflow = g
            .find("github:workflow:gen-org/team-0001/.github/workflows/ci-0001000.yml")
            .expect("workflows are keyed as the GitHub importer keys them");
        assert_eq!(g.node(workflow).platform, "github");
        assert!(
            g.outgoing(workflow)
                .any(|(e, to)| g.edge(e).kind == EdgeKind::CanAssume
                    && g.node(to).kind == NodeKind::Role)
        );
    }

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
