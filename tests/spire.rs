//! SPIRE importer on registration entries (tests/fixtures/spire/), loaded beside the
//! service accounts of two Kubernetes clusters (`prod/`, `staging/`), as of [`AT`].
//!
//! `entries.json` is `spire-server entry show -output json` (object IDs, int64s as
//! strings) for trust domain `acme.example`, whose agents are two `k8s_psat` nodes of
//! cluster `prod` (node-uid-1, node-uid-2), one of `staging` (node-uid-9) and a
//! `join_token` host. It holds:
//! - `payments/api` registered on both prod agents (one SPIFFE ID, two entries);
//! - `payments/worker` with a `k8s:pod-label` selector too (a conditional edge), and an
//!   SA no export lists (a placeholder);
//! - `batch/jobs` selecting the namespace `batch` only (every known SA of it);
//! - `host/db-backup` on the join-token host (`unix:uid`, no SA edge), and
//!   `host/db-backup/replica` below it (parented by the workload's SPIFFE ID);
//! - node aliases `cluster/prod` (`k8s_psat:cluster:prod` alone: unconditional) with
//!   `payments/ledger` and `payments/checkout` (federated with `partner.example`,
//!   expiring in 2030), and `cluster/prod/spire-agents` (agent namespace and SA too:
//!   conditional);
//! - `spire/spire-nested` (`downstream: true`) and `ops/spire-admin` (`admin: true`);
//! - `payments/migrate`, expired on 2026-01-01;
//! - `web/frontend` on the staging agent.
//!
//! `create-data.json` is an `entry create -data` file (string IDs, legacy `ttl`, no
//! entry IDs): `mesh/proxy` under the conditional alias, `host/blog` on the join-token
//! host, and an entry without `spiffe_id` (a warning; skipped).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::AT;
use trustpath::import::{Input, Loaded, load_inputs_with};
use trustpath::model::{EdgeKind, EdgeRef};

const TD: &str = "spiffe://acme.example";
const AGENT_1: &str = "spiffe://acme.example/spire/agent/k8s_psat/prod/node-uid-1";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spire")
}

fn load() -> Loaded {
    common::load_fixtures("spire")
}

/// A key without the trust domain, agent prefix or cluster prefix, for short lines.
fn short(key: &str) -> String {
    key.replace("spiffe://acme.example/spire/agent/", "agent:")
        .replace("spiffe://acme.example/", "td:")
        .replace("k8s:prod:", "prod:")
        .replace("k8s:staging:", "staging:")
}

fn edge_lines(loaded: &Loaded) -> BTreeSet<String> {
    common::edge_lines(loaded, short, |_| true)
}

/// The edge of `kind` between two keys as [`short`] writes them.
fn edge<'l>(l: &'l Loaded, from: &str, kind: EdgeKind, to: &str) -> Option<EdgeRef<'l>> {
    common::find_edge(l, short, from, kind, to)
}

fn has(l: &Loaded, from: &str, kind: EdgeKind, to: &str) -> bool {
    edge(l, from, kind, to).is_some()
}

#[test]
fn edges_match_the_golden_list() {
    common::assert_golden(&edge_lines(&load()), "spire.edges");
}

#[test]
fn an_svid_is_one_node_with_every_entrys_tags() {
    let l = load();
    let g = &l.graph;
    let api = g.node(
        g.find("spiffe://acme.example/ns/payments/sa/api")
            .expect("node"),
    );
    assert_eq!(api.platform, "spire");
    assert_eq!(api.name, "spiffe://acme.example/ns/payments/sa/api");
    assert_eq!(&api.tags["entry_id"], "a1-payments-api, a2-payments-api");
    assert_eq!(&api.tags["selectors"], "k8s:ns:payments, k8s:sa:api");
    assert_eq!(&api.tags["x509_svid_ttl"], "3600 s");
    assert!(has(
        &l,
        "agent:k8s_psat/prod/node-uid-1",
        EdgeKind::CanAssume,
        "td:ns/payments/sa/api"
    ));
    assert!(has(
        &l,
        "agent:k8s_psat/prod/node-uid-2",
        EdgeKind::CanAssume,
        "td:ns/payments/sa/api"
    ));
    let checkout = g.node(
        g.find("spiffe://acme.example/ns/payments/sa/checkout")
            .expect("node"),
    );
    assert_eq!(&checkout.tags["expires_at"], "2030-01-01T00:00:00Z");
    assert_eq!(&checkout.tags["dns_names"], "checkout.payments.svc");
    // The agents are workloads of the platform, their cluster told by their path.
    let agent = g.node(g.find(AGENT_1).expect("agent"));
    assert_eq!(&agent.tags["cluster"], "prod");
    assert_eq!(&agent.tags["attestation"], "k8s_psat");
}

#[test]
fn kubernetes_service_accounts_follow_the_workload_selectors() {
    let l = load();
    // ns + sa, in the cluster of the agents that get the entry.
    let api = edge(
        &l,
        "prod:sa:payments/api",
        EdgeKind::CanAssume,
        "td:ns/payments/sa/api",
    )
    .expect("the SA in prod gets its SVID");
    assert!(!api.is_conditional());
    // The same SA in another cluster gets nothing: no agent of staging has the entry.
    assert!(!has(
        &l,
        "staging:sa:payments/api",
        EdgeKind::CanAssume,
        "td:ns/payments/sa/api"
    ));
    assert!(!has(
        &l,
        "staging:sa:batch/cron",
        EdgeKind::CanAssume,
        "td:ns/batch/jobs"
    ));
    // Another selector of the pod makes it conditional; an SA no export lists is a
    // placeholder.
    let worker = edge(
        &l,
        "prod:sa:payments/worker",
        EdgeKind::CanAssume,
        "td:ns/payments/sa/worker",
    )
    .expect("worker");
    assert!(
        worker.conditions[0]
            .description
            .contains("k8s:pod-label:app:worker")
    );
    let g = &l.graph;
    let placeholder = g.node(g.find("k8s:prod:sa:payments/worker").expect("placeholder"));
    assert!(placeholder.tags.contains_key("not_in_inputs"));
    assert_eq!(placeholder.name, "payments/worker");
    // A namespace alone: every known SA of it, in its cluster, and the node says so.
    for sa in ["prod:sa:batch/cron", "prod:sa:batch/report"] {
        assert!(has(&l, sa, EdgeKind::CanAssume, "td:ns/batch/jobs"), "{sa}");
    }
    let jobs = g.node(g.find("spiffe://acme.example/ns/batch/jobs").expect("node"));
    assert!(jobs.tags["k8s_namespace_wide"].contains("namespace batch"));
    // unix:uid workloads: the agent's edge only.
    assert!(has(
        &l,
        "agent:join_token/6d2e3a4c-5b1f-4e0a-9c7d-2f8b1a6e4d3c",
        EdgeKind::CanAssume,
        "td:host/db-backup"
    ));
    let into_backup = g
        .find("spiffe://acme.example/host/db-backup")
        .expect("node");
    assert!(
        g.incoming(into_backup)
            .all(|(_, from)| g.node(from).platform == "spire"),
        "no Kubernetes edge into a unix workload"
    );
}

#[test]
fn node_aliases_go_to_the_agents_they_match() {
    let l = load();
    // The cluster alone settles it from the agent's ID.
    for agent in [
        "agent:k8s_psat/prod/node-uid-1",
        "agent:k8s_psat/prod/node-uid-2",
    ] {
        let member = edge(&l, agent, EdgeKind::MemberOf, "td:cluster/prod").expect(agent);
        assert!(!member.is_conditional(), "{agent}");
        // Agent namespace and SA are not in the inputs: conditional.
        let agents = edge(
            &l,
            agent,
            EdgeKind::MemberOf,
            "td:cluster/prod/spire-agents",
        )
        .expect(agent);
        assert!(
            agents.conditions[0]
                .description
                .contains("k8s_psat:agent_ns:spire")
        );
    }
    // Another cluster's agent, and a join-token agent, do not match.
    assert!(!has(
        &l,
        "agent:k8s_psat/staging/node-uid-9",
        EdgeKind::MemberOf,
        "td:cluster/prod"
    ));
    assert!(!has(
        &l,
        "agent:join_token/6d2e3a4c-5b1f-4e0a-9c7d-2f8b1a6e4d3c",
        EdgeKind::MemberOf,
        "td:cluster/prod"
    ));
    // The alias's entries are obtained through it, and its cluster's SAs get them.
    assert!(has(
        &l,
        "td:cluster/prod",
        EdgeKind::CanAssume,
        "td:ns/payments/sa/ledger"
    ));
    let ledger = edge(
        &l,
        "prod:sa:payments/ledger",
        EdgeKind::CanAssume,
        "td:ns/payments/sa/ledger",
    )
    .expect("ledger");
    assert!(!ledger.is_conditional());
    // Through the conditional alias, the SA edge carries the alias's condition.
    let proxy = edge(
        &l,
        "prod:sa:mesh/proxy",
        EdgeKind::CanAssume,
        "td:ns/mesh/sa/proxy",
    )
    .expect("proxy");
    assert!(
        proxy
            .conditions
            .iter()
            .any(|c| c.description.contains("agent_sa:spire-agent"))
    );
    // The alias is never issued to an agent as an SVID.
    assert!(!has(
        &l,
        "agent:k8s_psat/prod/node-uid-1",
        EdgeKind::CanAssume,
        "td:cluster/prod"
    ));
}

#[test]
fn an_agent_gets_the_entries_below_its_own() {
    let l = load();
    let replica = edge(
        &l,
        "agent:join_token/6d2e3a4c-5b1f-4e0a-9c7d-2f8b1a6e4d3c",
        EdgeKind::CanAssume,
        "td:host/db-backup/replica",
    )
    .expect("the agent crawls descendants");
    assert!(
        replica
            .reason
            .contains("below spiffe://acme.example/host/db-backup")
    );
    // The parent workload itself does not obtain it: its agent does.
    assert!(!has(
        &l,
        "td:host/db-backup",
        EdgeKind::CanAssume,
        "td:host/db-backup/replica"
    ));
}

#[test]
fn downstream_and_admin_entries_reach_the_trust_domain() {
    let l = load();
    let nested =
        edge(&l, "td:ns/spire/sa/spire-nested", EdgeKind::CanEscalate, TD).expect("downstream");
    assert_eq!(nested.technique, Some("spire-downstream"));
    assert!(has(
        &l,
        "td:ns/ops/sa/spire-admin",
        EdgeKind::CanControl,
        "td:spire/server"
    ));
    assert!(has(&l, "td:spire/server", EdgeKind::CanControl, TD));
    // The CA signs every SVID; ordinary entries reach neither the CA nor the server.
    assert!(has(&l, TD, EdgeKind::CanAssume, "td:ns/payments/sa/api"));
    assert!(!has(&l, "td:ns/payments/sa/api", EdgeKind::CanEscalate, TD));
    assert!(!has(
        &l,
        "td:ns/payments/sa/api",
        EdgeKind::CanControl,
        "td:spire/server"
    ));
    let g = &l.graph;
    assert!(g.node(g.find(TD).expect("CA")).admin);
    assert!(
        g.node(
            g.find("spiffe://acme.example/spire/server")
                .expect("server")
        )
        .admin
    );
}

#[test]
fn federation_is_a_tag_not_an_edge() {
    let l = load();
    let g = &l.graph;
    let checkout = g.node(
        g.find("spiffe://acme.example/ns/payments/sa/checkout")
            .expect("node"),
    );
    assert_eq!(&checkout.tags["federates_with"], "spiffe://partner.example");
    assert!(
        g.find("spiffe://partner.example").is_none(),
        "the foreign trust domain gains nothing over the SVID"
    );
    assert!(l.warnings.iter().all(|w| !w.message.contains("partner")));
}

#[test]
fn expired_entries_keep_their_node_and_make_dormant_edges() {
    let l = load();
    let g = &l.graph;
    assert!(
        g.find("spiffe://acme.example/ns/payments/sa/migrate")
            .is_some()
    );
    for from in ["agent:k8s_psat/prod/node-uid-1", "prod:sa:payments/migrate"] {
        let e = edge(&l, from, EdgeKind::CanAssume, "td:ns/payments/sa/migrate").expect(from);
        assert!(e.dormant, "{from}");
        assert!(
            e.reason.contains("expired at 2026-01-01T00:00:00Z"),
            "{}",
            e.reason
        );
    }
    // The CA still signs it; an entry expiring later is live.
    assert!(
        !edge(&l, TD, EdgeKind::CanAssume, "td:ns/payments/sa/migrate")
            .expect("CA")
            .dormant
    );
    assert!(
        !edge(
            &l,
            "td:cluster/prod",
            EdgeKind::CanAssume,
            "td:ns/payments/sa/checkout"
        )
        .expect("live")
        .dormant
    );
}

#[test]
fn a_bad_entry_is_a_warning_and_a_bad_file_an_error() {
    let l = load();
    let warning = l
        .warnings
        .iter()
        .find(|w| w.file.ends_with("create-data.json"))
        .expect("a warning for the entry without spiffe_id");
    assert_eq!(warning.place, "/entries/2");
    assert!(warning.message.contains("spiffe_id"), "{warning}");
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    // The -data file's entries have no ID yet: found by SPIFFE ID and parent.
    assert!(has(
        &l,
        "td:cluster/prod/spire-agents",
        EdgeKind::CanAssume,
        "td:ns/mesh/sa/proxy"
    ));

    let broken = br#"{"entries": [{"spiffe_id": "spiffe://acme.example/x", "parent_id": }]}"#;
    let err = load_inputs_with(
        [Input::bytes("broken-entries.json", broken.to_vec())],
        AT.parse().expect("timestamp"),
        &mut |_| {},
    )
    .expect_err("malformed JSON");
    assert!(
        err.to_string().starts_with("broken-entries.json:1:"),
        "{err}"
    );
}

/// A compromised agent is banned, never evicted (an evict deletes the ban). The admin
/// entry node-uid-1 obtained reached the server's admin API, which mints any SVID: the
/// authority is rotated, and the verify phase lists what to compare for persistence.
#[test]
fn a_compromised_agent_is_banned_and_the_authority_rotated() {
    let commands = common::plan_commands(&fixtures(), AGENT_1, &[]);
    let ban = commands
        .iter()
        .find(|c| c.starts_with("spire-server agent ban"))
        .expect("the agent is banned");
    assert!(
        ban.starts_with(&format!("spire-server agent ban -spiffeID {AGENT_1}  # ")),
        "{ban}"
    );
    assert!(
        ban.contains("X.509-SVID default 1 h, JWT-SVID 5 min"),
        "{ban}"
    );
    assert!(
        !commands
            .iter()
            .any(|c| c.starts_with("spire-server agent evict")),
        "an evict would lift the ban: {commands:#?}"
    );
    for step in [
        "prepare",
        "activate -authorityID <NEW_X509_AUTHORITY_ID>",
        "taint -authorityID <OLD_X509_AUTHORITY_ID>",
        "revoke -authorityID <OLD_X509_AUTHORITY_ID>",
    ] {
        let want = format!("spire-server localauthority x509 {step}");
        assert!(
            commands.iter().any(|c| c.starts_with(&want)),
            "{want}: {commands:#?}"
        );
    }
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("spire-server entry show -output json > entries-now.json")),
        "{commands:#?}"
    );
}

/// Deleting an entry names it by ID, or finds it first when a `-data` file gave none;
/// a downstream entry's says that the CA already issued outlives it.
#[test]
fn entries_are_deleted_by_id_or_found_first() {
    let l = load();
    let commands = |from: &str, kind: EdgeKind, to: &str| -> Vec<String> {
        edge(&l, from, kind, to).expect(to).revoke[0]
            .commands
            .clone()
    };
    let nested = commands("td:ns/spire/sa/spire-nested", EdgeKind::CanEscalate, TD);
    assert_eq!(nested.len(), 1);
    assert!(
        nested[0].starts_with("spire-server entry delete -entryID a2-spire-nested  # "),
        "{nested:?}"
    );
    assert!(nested[0].contains("intermediate CA"), "{nested:?}");
    let proxy = commands(
        "td:cluster/prod/spire-agents",
        EdgeKind::CanAssume,
        "td:ns/mesh/sa/proxy",
    );
    assert_eq!(
        proxy,
        [
            "spire-server entry show -spiffeID spiffe://acme.example/ns/mesh/sa/proxy -parentID spiffe://acme.example/cluster/prod/spire-agents  # its Entry ID is <ENTRY_ID> below",
            "spire-server entry delete -entryID <ENTRY_ID>  # SVIDs already issued stay valid until they expire (this entry: X.509-SVID 600 s, JWT-SVID default 5 min)",
        ]
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Damaged entries load or fail with an error; nothing panics.
    #[test]
    fn damaged_entries_never_panic(
        data in proptest::prelude::any::<bool>(),
        edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8, u8)>(), 1..8),
        cut in proptest::option::of(proptest::prelude::any::<usize>()),
    ) {
        let (name, bytes): (&str, &[u8]) = if data {
            ("create-data.json", include_bytes!("fixtures/spire/create-data.json"))
        } else {
            ("entries.json", include_bytes!("fixtures/spire/entries.json"))
        };
        let damaged = common::mutate(bytes, &edits, cut);
        let _ = load_inputs_with([Input::bytes(name, damaged)], AT.parse().expect("timestamp"), &mut |_| {});
    }
}
