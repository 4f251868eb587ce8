//! The rules, each on a positive and a negative case.

use super::*;
use crate::model::{
    Credential, Edge, EdgeKind, Node, NodeId, NodeKind, Provenance, Revoke, TrustGraph,
};
use jiff::Timestamp;

fn at() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().expect("timestamp")
}

fn ts(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

fn add(g: &mut TrustGraph, key: &str, kind: NodeKind) -> NodeId {
    g.add_node(Node::new(key, kind, Provenance::default()))
        .expect("new key")
}

/// A graph with a crown jewel `db` and a `role` that can read it.
fn with_a_jewel() -> (TrustGraph, NodeId) {
    let mut g = TrustGraph::new();
    let jewel = add(&mut g, "db", NodeKind::Resource);
    let role = add(&mut g, "role", NodeKind::Role);
    g.node_mut(jewel).criticality = Some(9);
    g.add_edge(
        role,
        jewel,
        Edge::new(EdgeKind::CanAccess, "r", Provenance::default()),
    );
    (g, role)
}

fn listed(audit: &Audit) -> Vec<(&str, Severity)> {
    audit
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity))
        .collect()
}

/// Each rule fires on its positive case and stays quiet on the negative one beside it.
#[test]
fn each_rule_has_a_positive_and_a_negative_case() {
    let (mut g, role) = with_a_jewel();
    let mut add = |key: &str, kind: NodeKind| add(&mut g, key, kind);
    let old = add("old-key", NodeKind::Credential);
    let fresh = add("fresh-key", NodeKind::Credential);
    let dead = add("dead-key", NodeKind::Credential);
    let idle = add("idle-key", NodeKind::Credential);
    let tag = add("github:action:other/act@v1", NodeKind::Workload);
    let sha = add("github:action:other/act@0123", NodeKind::Workload);
    let own = add("github:action:acme/act@v1", NodeKind::Workload);
    let anyone = add("aws:anyone", NodeKind::Group);
    let public_role = add("public-role", NodeKind::Role);
    let cred = |created: &str, used: &str, status: &str| Credential {
        status: Some(status.into()),
        created: ts(created),
        last_used: ts(used),
        ..Credential::default()
    };
    for (node, c) in [
        (
            old,
            cred("2025-01-01T00:00:00Z", "2026-05-30T00:00:00Z", "active"),
        ),
        (
            fresh,
            cred("2026-05-01T00:00:00Z", "2026-05-30T00:00:00Z", "active"),
        ),
        (
            dead,
            cred("2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z", "inactive"),
        ),
        (
            idle,
            cred("2026-04-01T00:00:00Z", "2026-01-01T00:00:00Z", "active"),
        ),
    ] {
        g.node_mut(node).credential = Some(Box::new(c));
    }
    g.node_mut(old).revoke = vec![Revoke {
        id: "deactivate:old-key".into(),
        action: Revoke::action_name("deactivate_key"),
        cost: 1,
        commands: Vec::new(),
        from_file: false,
    }];
    for (node, pinned, third) in [
        (tag, "tag", "true"),
        (sha, "sha", "true"),
        (own, "tag", "false"),
    ] {
        let tags = &mut g.node_mut(node).tags;
        tags.insert("pinned".into(), pinned.into());
        tags.insert("third_party".into(), third.into());
    }
    g.node_mut(role).owner = Some("team-data".into());
    for from in [old, fresh, dead, idle] {
        g.add_edge(from, role, edge(EdgeKind::AuthenticatesAs));
    }
    for from in [tag, sha, own] {
        g.add_edge(from, role, edge(EdgeKind::CanControl));
    }
    g.add_edge(anyone, public_role, edge(EdgeKind::CanAssume));
    let audit = Audit::run(&g, at(), Thresholds::default());
    assert_eq!(
        listed(&audit),
        [
            (
                "NHI3:third-party:github:action:other/act@v1",
                Severity::High
            ),
            (
                "NHI6:world:aws:anyone -> public-role (can_assume)",
                Severity::High
            ),
            ("NHI7:unrotated:old-key", Severity::High),
            ("NHI1:unused:idle-key", Severity::Medium),
            (
                "NHI3:third-party:github:action:other/act@0123",
                Severity::Low
            ),
        ]
    );
    let old_key = &audit.findings[2];
    assert_eq!(old_key.category, Category::NHI7);
    assert_eq!(old_key.fix, ["deactivate:old-key"]);
    assert!(old_key.title.contains("516 days"), "{}", old_key.title);
}

/// What the review found: a rotation dated after `--at` does not hide an old key;
/// a conditional public trust is not critical; parallel public trusts get their own
/// ids; a dead credential anyone reaches is nothing to report; a digest is a pin.
#[test]
fn dates_conditions_and_ids_are_read_carefully() {
    let (mut g, role) = with_a_jewel();
    let mut add = |key: &str, kind: NodeKind| add(&mut g, key, kind);
    let anyone = add("aws:anyone", NodeKind::Group);
    let dead = add("dead", NodeKind::Credential);
    let key = add("key", NodeKind::Credential);
    let image = add("image", NodeKind::Workload);
    g.node_mut(dead).credential = Some(Box::new(Credential {
        status: Some("inactive".into()),
        ..Credential::default()
    }));
    g.node_mut(key).credential = Some(Box::new(Credential {
        status: Some("active".into()),
        created: ts("2020-01-01T00:00:00Z"),
        last_rotated: ts("2027-01-01T00:00:00Z"),
        ..Credential::default()
    }));
    let tags = &mut g.node_mut(image).tags;
    tags.insert("third_party".into(), "true".into());
    tags.insert("pinned".into(), "digest".into());
    g.node_mut(role).owner = Some("team-data".into());
    let edge = || Edge::new(EdgeKind::CanAssume, "Principal *", Provenance::default());
    let mut org_only = edge();
    org_only.conditions.push(crate::model::Condition::described(
        "aws:PrincipalOrgID equals o-123",
    ));
    g.add_edge(anyone, role, edge());
    g.add_edge(anyone, role, org_only);
    g.add_edge(anyone, dead, edge());
    g.add_edge(key, role, edge());
    let mut runs = edge();
    runs.kind = EdgeKind::CanControl;
    g.add_edge(image, role, runs);
    let audit = Audit::run(&g, at(), Thresholds::default());
    assert_eq!(
        listed(&audit),
        [
            // Parallel trusts are told apart by what they say, not by their order.
            (
                "NHI6:world:aws:anyone -> role (can_assume) #2067c449",
                Severity::Critical
            ),
            ("NHI7:unrotated:key", Severity::High),
            (
                "NHI6:world:aws:anyone -> role (can_assume) #1a8ef5f2",
                Severity::Medium
            ),
            ("NHI3:third-party:image", Severity::Low),
        ]
    );
    assert!(
        audit.findings[1].title.contains("created"),
        "{}",
        audit.findings[1].title
    );
}

fn edge(kind: EdgeKind) -> Edge {
    Edge::new(kind, "because", Provenance::default())
}

/// The ids of the findings of one category.
fn ids(audit: &Audit, category: Category) -> Vec<&str> {
    audit
        .findings
        .iter()
        .filter(|f| f.category == category)
        .map(|f| f.id.as_str())
        .collect()
}

fn credential(g: &mut TrustGraph, key: &str, kind: &str) -> NodeId {
    let node = add(g, key, NodeKind::Credential);
    g.node_mut(node).credential = Some(Box::new(Credential {
        kind: Some(kind.into()),
        status: Some("active".into()),
        created: ts("2026-05-01T00:00:00Z"),
        ..Credential::default()
    }));
    node
}

/// NHI1: an identity with access that matters and no owner; not one with an owner, not
/// one that reaches nothing, not the platform's own service-linked role.
#[test]
fn nhi1_no_owner() {
    let (mut g, role) = with_a_jewel();
    let owned = add(&mut g, "owned", NodeKind::Role);
    let idle = add(&mut g, "idle", NodeKind::ServiceAccount);
    let linked = add(&mut g, "linked", NodeKind::Role);
    g.node_mut(owned).owner = Some("team-data".into());
    g.node_mut(linked)
        .tags
        .insert("service_linked".into(), "true".into());
    for from in [owned, linked] {
        g.add_edge(from, role, edge(EdgeKind::CanAssume));
    }
    let audit = Audit::run(&g, at(), Thresholds::default());
    assert_eq!(ids(&audit, Category::NHI1), ["NHI1:no-owner:role"]);
    let _ = idle;
}

/// NHI2: a secret many can read, a credential stored on two platforms; not a secret two
/// can read, not a credential stored twice on one platform.
#[test]
fn nhi2_secret_leakage() {
    let (mut g, role) = with_a_jewel();
    let many = add(&mut g, "vault:many", NodeKind::Secret);
    let few = add(&mut g, "vault:few", NodeKind::Secret);
    for i in 0..3 {
        let reader = add(&mut g, &format!("reader-{i}"), NodeKind::ServiceAccount);
        g.node_mut(reader).owner = Some("team".into());
        g.add_edge(reader, many, edge(EdgeKind::CanRead));
        if i < 2 {
            g.add_edge(reader, few, edge(EdgeKind::CanRead));
        }
    }
    let copied = credential(&mut g, "copied-key", "access_key");
    let twice = credential(&mut g, "twice-key", "access_key");
    let mut secret = |key: &str, platform: &str| {
        let s = add(&mut g, key, NodeKind::Secret);
        g.node_mut(s).platform = platform.into();
        s
    };
    let stores = [
        (secret("github:secret:AWS_KEY", "github"), copied),
        (secret("k8s:secret:aws-key", "k8s"), copied),
        (secret("k8s:secret:one", "k8s"), twice),
        (secret("k8s:secret:two", "k8s"), twice),
    ];
    for (store, key) in stores {
        g.add_edge(store, key, edge(EdgeKind::Contains));
    }
    g.add_edge(copied, role, edge(EdgeKind::AuthenticatesAs));
    let audit = Audit::run(&g, at(), Thresholds::default());
    assert_eq!(
        ids(&audit, Category::NHI2),
        ["NHI2:copied:copied-key", "NHI2:readers:vault:many"]
    );
    let copied = audit
        .findings
        .iter()
        .find(|f| f.id == "NHI2:copied:copied-key")
        .expect("copied");
    assert_eq!(copied.severity, Severity::High, "it reaches the jewel");
    assert!(copied.title.contains("github, k8s"), "{}", copied.title);
    let lenient = Thresholds {
        shared_by: 4,
        ..Thresholds::default()
    };
    let audit = Audit::run(&g, at(), lenient);
    assert_eq!(ids(&audit, Category::NHI2), ["NHI2:copied:copied-key"]);
}

/// NHI4: a client secret, a token that does not expire, and a long-lived key beside
/// federation; not a certificate, not a token that expires within hours, not a job's
/// own token, not a key on an identity no workload federates into, not a federated edge
/// from a person.
#[test]
fn nhi4_insecure_authentication() {
    let (mut g, role) = with_a_jewel();
    let secret = credential(&mut g, "app-secret", "client_secret");
    let legacy = credential(&mut g, "legacy-token", "service_account_token");
    // Created long ago, five hours left: not standing. No creation date, a year left:
    // standing.
    let brief = credential(&mut g, "brief-token", "vault_token");
    if let Some(c) = g.node_mut(brief).credential.as_deref_mut() {
        c.expires = ts("2026-06-01T05:00:00Z");
    }
    let far = credential(&mut g, "far-token", "approle_secret_id");
    if let Some(c) = g.node_mut(far).credential.as_deref_mut() {
        c.created = None;
        c.expires = ts("2027-06-01T00:00:00Z");
    }
    let job_token = credential(&mut g, "job-token", "github_token");
    let cert = credential(&mut g, "app-cert", "certificate");
    let key = credential(&mut g, "user-key", "access_key");
    let lonely_key = credential(&mut g, "lonely-key", "access_key");
    let lonely = add(&mut g, "lonely", NodeKind::ServiceAccount);
    let job = add(&mut g, "github:workflow:acme/x#deploy", NodeKind::Workload);
    let person = add(&mut g, "alice", NodeKind::Human);
    for (from, to, kind) in [
        (secret, role, EdgeKind::AuthenticatesAs),
        (cert, role, EdgeKind::AuthenticatesAs),
        (key, role, EdgeKind::AuthenticatesAs),
        (job, role, EdgeKind::CanAssume),
        (lonely_key, lonely, EdgeKind::AuthenticatesAs),
        (legacy, lonely, EdgeKind::AuthenticatesAs),
        (brief, lonely, EdgeKind::AuthenticatesAs),
        (far, lonely, EdgeKind::AuthenticatesAs),
        (job_token, lonely, EdgeKind::AuthenticatesAs),
        (person, lonely, EdgeKind::CanAssume),
    ] {
        g.add_edge(from, to, edge(kind));
    }
    let audit = Audit::run(&g, at(), Thresholds::default());
    assert_eq!(
        ids(&audit, Category::NHI4),
        [
            "NHI4:key-beside-federation:role",
            "NHI4:password:app-secret",
            "NHI4:bearer:far-token",
            "NHI4:bearer:legacy-token"
        ]
    );
    let beside = audit
        .findings
        .iter()
        .find(|f| f.id == "NHI4:key-beside-federation:role")
        .expect("beside federation");
    // Certificates and client secrets are long-lived keys too; one finding names them all.
    assert!(
        beside.title.starts_with("3 long-lived keys"),
        "{}",
        beside.title
    );
    assert_eq!(
        beside.fix,
        Vec::<String>::new(),
        "the keys list no revoke entries here"
    );
}

/// NHI5: an admin service account, an admin role a workload assumes, escalation; not an
/// admin role only people assume, not a plain identity.
#[test]
fn nhi5_overprivilege() {
    let (mut g, role) = with_a_jewel();
    let admin_sa = add(&mut g, "admin-sa", NodeKind::ServiceAccount);
    let machine_admin = add(&mut g, "machine-admin", NodeKind::Role);
    let people_admin = add(&mut g, "people-admin", NodeKind::Role);
    let plain = add(&mut g, "plain", NodeKind::ServiceAccount);
    let job = add(&mut g, "job", NodeKind::Workload);
    let person = add(&mut g, "alice", NodeKind::Human);
    for n in [admin_sa, machine_admin, people_admin] {
        g.node_mut(n).admin = true;
    }
    let mut escalate = edge(EdgeKind::CanEscalate);
    escalate.technique = Some("iam:PassRole".into());
    g.add_edge(role, machine_admin, escalate);
    g.add_edge(job, machine_admin, edge(EdgeKind::CanAssume));
    g.add_edge(person, people_admin, edge(EdgeKind::CanAssume));
    g.add_edge(plain, role, edge(EdgeKind::CanAssume));
    let audit = Audit::run(&g, at(), Thresholds::default());
    assert_eq!(
        ids(&audit, Category::NHI5),
        [
            "NHI5:admin:admin-sa",
            "NHI5:admin:machine-admin",
            "NHI5:escalation:role",
        ]
    );
    let escalation = audit
        .findings
        .iter()
        .find(|f| f.id == "NHI5:escalation:role")
        .expect("escalation");
    assert!(
        escalation.evidence[0].starts_with("iam:PassRole → machine-admin: because"),
        "{:?}",
        escalation.evidence
    );
}

/// NHI8: an identity in staging reaching production, one used from two environments;
/// not an edge within one environment, nor one to a node with none.
#[test]
fn nhi8_environment_isolation() {
    let (mut g, role) = with_a_jewel();
    let staging = add(&mut g, "staging-sa", NodeKind::ServiceAccount);
    let prod_db = add(&mut g, "prod-db", NodeKind::Resource);
    let same = add(&mut g, "same-sa", NodeKind::ServiceAccount);
    let shared = add(&mut g, "shared-role", NodeKind::Role);
    let dev_job = add(&mut g, "dev-job", NodeKind::Workload);
    let prod_job = add(&mut g, "prod-job", NodeKind::Workload);
    for (n, env) in [
        (staging, "staging"),
        (prod_db, "production"),
        (same, "production"),
        (dev_job, "dev"),
        (prod_job, "prod"),
    ] {
        g.node_mut(n).environment = Some(env.into());
    }
    g.add_edge(staging, prod_db, edge(EdgeKind::CanAccess));
    g.add_edge(same, prod_db, edge(EdgeKind::CanAccess));
    g.add_edge(same, role, edge(EdgeKind::CanAssume));
    g.add_edge(dev_job, shared, edge(EdgeKind::RunsAs));
    g.add_edge(prod_job, shared, edge(EdgeKind::RunsAs));
    let audit = Audit::run(&g, at(), Thresholds::default());
    assert_eq!(
        listed(&audit)
            .into_iter()
            .filter(|(id, _)| id.starts_with("NHI8"))
            .collect::<Vec<_>>(),
        [
            ("NHI8:crosses:staging-sa", Severity::High),
            ("NHI8:used-from:shared-role", Severity::High),
        ]
    );
}

/// NHI9: one identity run as by three workloads, one credential three workloads read
/// through a secret; not an identity two workloads use, nor one people assume.
#[test]
fn nhi9_reuse() {
    let (mut g, role) = with_a_jewel();
    let pair = add(&mut g, "pair", NodeKind::ServiceAccount);
    let assumed = add(&mut g, "assumed", NodeKind::Role);
    let key = credential(&mut g, "shared-key", "access_key");
    let stored = credential(&mut g, "stored-key", "access_key");
    let store = add(&mut g, "k8s:secret:key", NodeKind::Secret);
    g.add_edge(store, stored, edge(EdgeKind::Contains));
    // A Deployment and the pods it controls are one use, not three.
    let app = add(&mut g, "app", NodeKind::ServiceAccount);
    let deployment = add(&mut g, "deployment", NodeKind::Workload);
    g.add_edge(deployment, app, edge(EdgeKind::RunsAs));
    for i in 0..2 {
        let pod = add(&mut g, &format!("pod{i}"), NodeKind::Workload);
        g.add_edge(deployment, pod, edge(EdgeKind::CanControl));
        g.add_edge(pod, app, edge(EdgeKind::RunsAs));
    }
    for i in 0..3 {
        let w = add(&mut g, &format!("w{i}"), NodeKind::Workload);
        g.add_edge(w, role, edge(EdgeKind::RunsAs));
        g.add_edge(w, key, edge(EdgeKind::CanRead));
        // Readers of a secret are NHI2's, at the secret.
        g.add_edge(w, store, edge(EdgeKind::CanRead));
        if i < 2 {
            g.add_edge(w, pair, edge(EdgeKind::RunsAs));
        }
        let person = add(&mut g, &format!("p{i}"), NodeKind::Human);
        g.add_edge(person, assumed, edge(EdgeKind::CanAssume));
    }
    let audit = Audit::run(&g, at(), Thresholds::default());
    assert_eq!(
        ids(&audit, Category::NHI9),
        ["NHI9:shared:role", "NHI9:shared:shared-key"]
    );
    let key = audit
        .findings
        .iter()
        .find(|f| f.id == "NHI9:shared:shared-key")
        .expect("key");
    assert!(
        key.evidence[0].starts_with("w0 can_read: because"),
        "{:?}",
        key.evidence
    );
}

/// NHI10: people who can act as a service account or hold a credential, themselves or
/// through a group (nested groups followed), an identity marked as signed in to by a
/// person; not a role people assume (that is what roles are for), not a dead key a person
/// holds, not a group of machines.
#[test]
fn nhi10_human_use() {
    let (mut g, role) = with_a_jewel();
    let sa = add(&mut g, "sa", NodeKind::ServiceAccount);
    let bot = add(&mut g, "bot", NodeKind::ServiceAccount);
    let person = add(&mut g, "alice", NodeKind::Human);
    g.node_mut(bot)
        .tags
        .insert("human_use_suspected".into(), "true".into());
    let key = credential(&mut g, "bot-key", "access_key");
    let dead = credential(&mut g, "dead-key", "access_key");
    g.node_mut(dead)
        .credential
        .as_mut()
        .expect("credential")
        .status = Some("inactive".into());
    g.add_edge(person, sa, edge(EdgeKind::CanAssume));
    g.add_edge(person, role, edge(EdgeKind::CanAssume));
    g.add_edge(person, key, edge(EdgeKind::CanRead));
    g.add_edge(person, dead, edge(EdgeKind::CanRead));
    g.add_edge(key, bot, edge(EdgeKind::AuthenticatesAs));
    // Through groups: ops (alice, and bob by the nested on-call group) may act as
    // deployer; a group of machines may act as builder.
    let deployer = add(&mut g, "deployer", NodeKind::ServiceAccount);
    let builder = add(&mut g, "builder", NodeKind::ServiceAccount);
    let ops = add(&mut g, "ops", NodeKind::Group);
    let oncall = add(&mut g, "oncall", NodeKind::Group);
    let machines = add(&mut g, "machines", NodeKind::Group);
    let bob = add(&mut g, "bob", NodeKind::Human);
    for (from, to, kind) in [
        (person, ops, EdgeKind::MemberOf),
        (oncall, ops, EdgeKind::MemberOf),
        (bob, oncall, EdgeKind::MemberOf),
        (ops, deployer, EdgeKind::CanAssume),
        (sa, machines, EdgeKind::MemberOf),
        (machines, builder, EdgeKind::CanAssume),
    ] {
        g.add_edge(from, to, edge(kind));
    }
    let audit = Audit::run(&g, at(), Thresholds::default());
    assert_eq!(
        ids(&audit, Category::NHI10),
        [
            "NHI10:people:bot-key",
            "NHI10:people:deployer",
            "NHI10:people:sa",
            "NHI10:signs-in:bot"
        ]
    );
    let deployer = audit
        .findings
        .iter()
        .find(|f| f.id == "NHI10:people:deployer")
        .expect("through a group");
    assert_eq!(
        deployer.title,
        "2 people can act as this service account (through a group)"
    );
    assert!(
        deployer.evidence[0].contains("people in it: alice, bob"),
        "{:?}",
        deployer.evidence
    );
}

/// NHI10 through a group of many groups: all of them are read up to the cap, and past it
/// the evidence says the count stopped there rather than passing a partial count as whole.
#[test]
fn nhi10_says_when_nested_groups_were_left_unread() {
    let (mut g, _) = with_a_jewel();
    let sa = add(&mut g, "sa", NodeKind::ServiceAccount);
    let everyone = add(&mut g, "everyone", NodeKind::Group);
    g.add_edge(everyone, sa, edge(EdgeKind::CanAssume));
    let teams = identities::GROUPS_FOLLOWED + 5;
    for t in 0..teams {
        let team = add(&mut g, &format!("team-{t:04}"), NodeKind::Group);
        let person = add(&mut g, &format!("person-{t:04}"), NodeKind::Human);
        g.add_edge(team, everyone, edge(EdgeKind::MemberOf));
        g.add_edge(person, team, edge(EdgeKind::MemberOf));
    }
    let audit = Audit::run(&g, at(), Thresholds::default());
    let finding = audit
        .findings
        .iter()
        .find(|f| f.id == "NHI10:people:sa")
        .expect("people through groups");
    // The granted group itself counts against the cap.
    assert_eq!(
        finding.title,
        format!(
            "{} people can act as this service account (through a group)",
            identities::GROUPS_FOLLOWED - 1
        )
    );
    assert!(
        finding.evidence[0].contains("stopped after 1024 nested groups"),
        "{:?}",
        finding.evidence
    );

    // A group whose only people sit past the cap is unknown, not a group of machines.
    let (mut g, _) = with_a_jewel();
    let sa = add(&mut g, "sa", NodeKind::ServiceAccount);
    let top = add(&mut g, "top", NodeKind::Group);
    g.add_edge(top, sa, edge(EdgeKind::CanAssume));
    let mut parent = top;
    for depth in 0..identities::GROUPS_FOLLOWED + 1 {
        let group = add(&mut g, &format!("nested-{depth:04}"), NodeKind::Group);
        g.add_edge(group, parent, edge(EdgeKind::MemberOf));
        parent = group;
    }
    let deep = add(&mut g, "deep-person", NodeKind::Human);
    g.add_edge(deep, parent, edge(EdgeKind::MemberOf));
    let audit = Audit::run(&g, at(), Thresholds::default());
    let finding = audit
        .findings
        .iter()
        .find(|f| f.id == "NHI10:people:sa")
        .expect("said as unknown");
    assert_eq!(
        finding.title,
        "people may be able to act as this service account (through a group)"
    );
    assert!(
        finding.evidence[0].contains("no people in its first 1024 nested groups"),
        "{:?}",
        finding.evidence
    );
}

/// Outsiders and placeholders are findings of their own kind only: a third-party action
/// with an environment does not also "cross" it, a placeholder has no owner to miss.
#[test]
fn outsiders_and_placeholders_get_no_identity_findings() {
    let (mut g, role) = with_a_jewel();
    let action = add(&mut g, "github:action:other/act@v1", NodeKind::Workload);
    let ghost = add(&mut g, "ghost", NodeKind::Role);
    let tags = &mut g.node_mut(action).tags;
    tags.insert("third_party".into(), "true".into());
    tags.insert("pinned".into(), "tag".into());
    g.node_mut(action).environment = Some("ci".into());
    g.node_mut(role).environment = Some("prod".into());
    let tags = &mut g.node_mut(ghost).tags;
    tags.insert("not_in_inputs".into(), "true".into());
    g.node_mut(ghost).admin = true;
    g.add_edge(action, role, edge(EdgeKind::CanControl));
    g.add_edge(ghost, role, edge(EdgeKind::CanAssume));
    let audit = Audit::run(&g, at(), Thresholds::default());
    let found: Vec<&str> = audit.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        found,
        [
            "NHI3:third-party:github:action:other/act@v1",
            "NHI1:no-owner:role"
        ]
    );
}

/// What the review found: admin rights held through a permission set are the holder's
/// finding, not the set's; a role only a SAML provider (people) assumes is no NHI's;
/// environments are compared by meaning; an admin capability reading a secret is not one
/// more reader; an owner named by a tag or by a person who controls the identity counts.
#[test]
fn permission_sets_saml_environments_and_owners() {
    let (mut g, role) = with_a_jewel();
    g.node_mut(role).owner = Some("team".into());
    let cluster_admin = add(&mut g, "k8s:prod:cluster-admin", NodeKind::Role);
    g.node_mut(cluster_admin).platform = "k8s".into();
    g.node_mut(cluster_admin).admin = true;
    let collector = add(
        &mut g,
        "k8s:prod:sa:telemetry/collector",
        NodeKind::ServiceAccount,
    );
    g.node_mut(collector).owner = Some("sre".into());
    g.add_edge(collector, cluster_admin, edge(EdgeKind::CanAssume));
    let sso = add(
        &mut g,
        "arn:aws:iam::1:role/AWSReservedSSO_Admin",
        NodeKind::Role,
    );
    g.node_mut(sso).admin = true;
    g.node_mut(sso).owner = Some("it".into());
    let saml = add(
        &mut g,
        "arn:aws:iam::1:saml-provider/AWSSSO",
        NodeKind::Provider,
    );
    let account = add(&mut g, "aws:account-admin:1", NodeKind::Resource);
    g.node_mut(account).admin = true;
    g.add_edge(saml, sso, edge(EdgeKind::CanAssume));
    g.add_edge(account, sso, edge(EdgeKind::CanControl));
    let tagged = add(&mut g, "tagged", NodeKind::ServiceAccount);
    g.node_mut(tagged)
        .tags
        .insert("Owner".into(), "data".into());
    let controlled = add(&mut g, "controlled", NodeKind::ServiceAccount);
    let bob = add(&mut g, "bob", NodeKind::Human);
    g.add_edge(bob, controlled, edge(EdgeKind::CanControl));
    for n in [tagged, controlled] {
        g.add_edge(n, role, edge(EdgeKind::CanAssume));
    }
    let secret = add(&mut g, "vault:secret:x", NodeKind::Secret);
    let root = add(&mut g, "vault:admin", NodeKind::Role);
    g.node_mut(root).admin = true;
    g.node_mut(root).platform = "vault".into();
    for r in [root, tagged, controlled] {
        g.add_edge(r, secret, edge(EdgeKind::CanRead));
    }
    let key = credential(&mut g, "key", "access_key");
    g.node_mut(key).environment = Some("Production".into());
    g.node_mut(role).environment = Some("prod".into());
    g.add_edge(key, role, edge(EdgeKind::AuthenticatesAs));
    let audit = Audit::run(&g, at(), Thresholds::default());
    let found: Vec<&str> = audit
        .findings
        .iter()
        .map(|f| f.id.as_str())
        .filter(|id| !id.starts_with("NHI7") && !id.starts_with("NHI10"))
        .collect();
    assert_eq!(found, ["NHI5:admin:k8s:prod:sa:telemetry/collector"]);
    let holder = &audit.findings[0];
    assert!(
        holder
            .title
            .contains("holds admin-equivalent k8s:prod:cluster-admin"),
        "{}",
        holder.title
    );
}
