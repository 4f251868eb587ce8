//! AWS importer on GAAD fixtures in the real export shape (tests/fixtures/aws/): the
//! derived edges, compared order-insensitively with a golden list, plus the cases that
//! must produce nothing.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use trustpath::import::{Loaded, load_paths_with};

const AT: &str = "2026-11-25T00:00:00Z";

fn load() -> Loaded {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws");
    load_paths_with(&[dir], AT.parse().expect("timestamp"), &mut |_| {}).expect("fixtures load")
}

/// The last segment of a key: `arn:aws:iam::1:user/x` → `x`.
fn short(key: &str) -> &str {
    key.rsplit(['/', ':']).next().unwrap_or(key)
}

/// One line per edge but `can_control`: `from -kind[technique]-> to` plus
/// `(conditional)`/`(potential)`.
fn edge_lines(loaded: &Loaded) -> BTreeSet<String> {
    common::edge_lines(
        loaded,
        |k| short(k).to_string(),
        |kind| kind != trustpath::model::EdgeKind::CanControl,
    )
}

#[test]
fn escalation_catalogue_matches_the_golden_edge_list() {
    let loaded = load();
    let got = edge_lines(&loaded);
    common::assert_golden(&got, "aws-escalation.edges");
}

#[test]
fn denials_and_unexploitable_grants_produce_no_edges() {
    let loaded = load();
    let g = &loaded.graph;
    for user in [
        "deny-same",
        "deny-split",
        "deny-all",
        "narrow",
        "mfa-only",
        "expired-grant",
        "aws-versioner",
        "bounded",
    ] {
        let id = g
            .find(&format!("arn:aws:iam::111122223333:user/{user}"))
            .expect("user loaded");
        let escalations: Vec<_> = g
            .outgoing(id)
            .filter(|(e, _)| g.edge(*e).kind == trustpath::model::EdgeKind::CanEscalate)
            .map(|(e, _)| g.edge(e).reason.to_string())
            .collect();
        assert!(
            escalations.is_empty(),
            "{user} must not escalate: {escalations:#?}"
        );
    }
    let bounded = g
        .find("arn:aws:iam::111122223333:user/bounded")
        .expect("bounded");
    assert!(
        !g.node(bounded).admin,
        "a boundary limits an administrator policy"
    );
    let admin = g
        .find("arn:aws:iam::111122223333:user/admin-user")
        .expect("admin-user");
    assert!(g.node(admin).admin);
}

#[test]
fn trust_shapes() {
    let loaded = load();
    let lines = edge_lines(&loaded);
    for expected in [
        "token.actions.githubusercontent.com -can_assume-> gha-deploy (conditional)",
        "root -can_assume-> cross-account",
        "AROAEXAMPLEDELETED0001 -can_assume-> orphaned-trust",
        "anyone -can_assume-> public",
        "assumer -can_assume-> root-trusting",
        "not-assumer -can_assume-> named-trust",
    ] {
        assert!(lines.contains(expected), "missing {expected}");
    }
    assert!(
        !lines.contains("not-assumer -can_assume-> root-trusting"),
        "an account trust needs sts:AssumeRole"
    );
    assert!(
        !lines.iter().any(|l| l.contains("-can_assume-> mfa-trust")),
        "a stolen key has no MFA"
    );
    let g = &loaded.graph;
    let gha = g
        .find("arn:aws:iam::111122223333:role/gha-deploy")
        .expect("role");
    let provider = g
        .find("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com")
        .expect("provider");
    let (e, _) = g
        .incoming(gha)
        .find(|(_, from)| *from == provider)
        .expect("trust edge");
    let subs: Vec<&str> = g
        .edge(e)
        .conditions
        .iter()
        .filter_map(|c| c.key.as_deref())
        .collect();
    assert_eq!(
        subs,
        [
            "token.actions.githubusercontent.com:aud",
            "token.actions.githubusercontent.com:sub"
        ]
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("AROAEXAMPLEDELETED0001"))
    );
}

#[test]
fn bad_policies_are_warnings_naming_principal_and_policy() {
    let loaded = load();
    let messages: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    for expected in [
        "user broken, policy not-json: policy document is not JSON",
        "user broken, policy no-action: statement 0 skipped: has neither Action nor NotAction",
        "user broken, policy odd-operator: statement 0: unknown condition operator 'StringFancy'",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "no warning {expected:?} in {messages:#?}"
        );
    }
    // The rest of the file still loads.
    assert!(
        loaded
            .graph
            .find("arn:aws:iam::111122223333:user/ssm-sender")
            .is_some()
    );
}

#[test]
fn keys_join_users_and_carry_their_lifecycle() {
    use trustpath::analysis::BlastRadius;
    let loaded = load();
    let g = &loaded.graph;
    let at = AT.parse().expect("timestamp");
    let active = g.find("AKIAEXAMPLEKEYMAKER1").expect("listed key");
    let blast = BlastRadius::compute(g, &[active], at);
    let admin = g
        .find("aws:account-admin:111122223333")
        .expect("admin marker");
    assert!(
        blast.contains(admin),
        "CreateAccessKey on an administrator reaches the account"
    );
    assert!(blast.summary.admin_reached);

    let inactive = g.find("AKIAEXAMPLEKEYMAKER2").expect("listed key");
    assert_eq!(
        BlastRadius::compute(g, &[inactive], at).summary.reached,
        1,
        "an inactive key reaches nothing"
    );

    let unnamed = g
        .find("arn:aws:iam::111122223333:user/victim#access-key-1")
        .expect("report-only key");
    assert!(g.node(unnamed).is_long_lived_credential());
    let person = g
        .find("arn:aws:iam::111122223333:user/admin-user")
        .expect("user");
    assert_eq!(
        g.node(person).kind,
        trustpath::model::NodeKind::Human,
        "console password and no keys"
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("cannot be tied to a key (2 listed")),
        "get-access-key-last-used names a user with two keys"
    );
    let both = g
        .find("arn:aws:iam::111122223333:user/key-maker")
        .expect("user");
    assert_eq!(g.node(both).tags.get("human_use_suspected"), Some("true"));
}

#[test]
fn trust_crosses_accounts_loaded_together() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-accounts");
    let loaded =
        load_paths_with(&[dir], AT.parse().expect("timestamp"), &mut |_| {}).expect("loads");
    let lines = edge_lines(&loaded);
    // An account trust, with the caller's policy in the other account allowing it.
    assert!(lines.contains("ops -can_assume-> cross-ops"));
    assert!(
        !lines.iter().any(|l| l.starts_with("intern ")),
        "no policy, no cross-account assume"
    );
    // A trust naming a principal of another account, which its own policy allows.
    assert!(lines.contains("deployer -can_assume-> audit-reader"));
    assert!(
        loaded.warnings.iter().any(|w| w
            .message
            .contains("someone-else, which the export of its account does not list")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn identity_providers_from_listings() {
    let loaded = load();
    let g = &loaded.graph;
    let oidc = g
        .find("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com")
        .expect("listed provider");
    let node = g.node(oidc);
    assert_eq!(node.tags.get("audiences"), Some("sts.amazonaws.com"));
    assert!(node.revoke[0].commands[0].starts_with("aws iam delete-open-id-connect-provider"));
    let saml = g
        .find("arn:aws:iam::111122223333:saml-provider/Okta")
        .expect("listed provider");
    let (e, role) = g.outgoing(saml).next().expect("trusted by okta-admins");
    assert_eq!(g.node(role).name, "okta-admins");
    assert!(g.edge(e).is_conditional(), "SAML:aud stays on the edge");
}

/// Cases from a review of IAM semantics (tests/fixtures/aws-semantics), each named after
/// the principal that shows it.
#[test]
fn iam_semantics() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-semantics");
    let loaded =
        load_paths_with(&[dir], AT.parse().expect("timestamp"), &mut |_| {}).expect("loads");
    let lines = edge_lines(&loaded);
    let has = |l: &str| lines.contains(l);
    let any_from = |who: &str, tail: &str| {
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{who} ")) && l.ends_with(tail))
    };
    // A long-term key carries no MFA or token-issue-time key: those denies miss it.
    assert!(has(
        "mfa-deny-key -can_escalate[iam:CreateAccessKey]-> victim"
    ));
    assert!(has(
        "revoked-sessions -can_escalate[iam:CreateAccessKey]-> victim"
    ));
    // Least-privilege resources still allow the technique; PassedToService is evaluated.
    assert!(has(
        "scoped-ec2 -can_escalate[iam:PassRole+ec2:RunInstances]-> ec2-role (conditional)"
    ));
    assert!(!any_from("scoped-ec2", "-> lambda-role"));
    // IAM entities of another account are out of reach of identity policies.
    assert!(!any_from("keys-star", "-> victim-b"));
    // A boundary caps self-granted permissions.
    assert!(!any_from("bounded-putter", "-> 111122223333"));
    // Denies: the caller's own DenyAll, a trust Deny, NotPrincipal.
    assert!(!has("contained -can_assume-> names-contained"));
    assert!(!has("trust-denied -can_assume-> trust-with-deny"));
    assert!(has("victim -can_assume-> trust-with-deny"));
    assert!(!has("excepted -can_assume-> not-principal (conditional)"));
    assert!(has("victim -can_assume-> not-principal (conditional)"));
    // "*" includes every principal loaded; web identity is not sts:AssumeRole.
    assert!(has("victim -can_assume-> org-wide (conditional)"));
    assert!(!has("victim -can_assume-> web-only"));
    // A session ARN in a trust: the role that can take that session name.
    assert!(has("ec2-role -can_assume-> session-trust (conditional)"));
    // Joining a group gains its permissions: the group's own grants are edges from it.
    assert!(has("joiner -can_escalate[iam:AddUserToGroup]-> keymakers"));
    assert!(has(
        "keymakers -can_escalate[iam:CreateAccessKey]-> victim (conditional)"
    ));
    let joiner = loaded
        .graph
        .find("arn:aws:iam::111122223333:user/joiner")
        .expect("joiner");
    let victim = loaded
        .graph
        .find("arn:aws:iam::111122223333:user/victim")
        .expect("victim");
    let blast = trustpath::analysis::BlastRadius::compute(
        &loaded.graph,
        &[joiner],
        AT.parse().expect("timestamp"),
    );
    assert!(blast.contains(victim), "through the group it can join");

    let g = &loaded.graph;
    let cuts = |from: &str, to: &str| {
        let (a, b) = (g.find(from).expect("from"), g.find(to).expect("to"));
        g.outgoing(a)
            .find(|(_, t)| *t == b)
            .map(|(e, _)| g.edge(e).revoke.len())
            .unwrap_or(0)
    };
    assert_eq!(
        cuts(
            "arn:aws:iam::111122223333:user/split-admin",
            "aws:account-admin:111122223333"
        ),
        2,
        "an administrator through two policies needs both removed"
    );
    assert_eq!(
        cuts(
            "arn:aws:iam::111122223333:user/two-grants",
            "arn:aws:iam::111122223333:user/victim"
        ),
        2,
        "both policies that allow it must go"
    );
}

/// The trust edit in a revoke command really removes the one principal (run with jq,
/// which .ci/run installs).
#[test]
fn trust_edit_commands_work() {
    if !common::have("jq", &["--version"]) {
        return;
    }
    let loaded = load();
    let g = &loaded.graph;
    let service = g
        .find("aws:service:datapipeline.amazonaws.com")
        .expect("service node");
    let (e, _) = g.outgoing(service).next().expect("trust edge");
    let commands = &g.edge(e).revoke[0].commands;
    let jq = commands
        .iter()
        .find(|c| c.starts_with("jq "))
        .expect("a jq step");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pipeline-role.trust.json");
    std::fs::write(
        &file,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["datapipeline.amazonaws.com","elasticmapreduce.amazonaws.com"]},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"Service":"datapipeline.amazonaws.com"},"Action":"sts:TagSession"}]}"#,
    )
    .expect("write");
    let status = std::process::Command::new("bash")
        .args(["-c", jq])
        .current_dir(dir.path())
        .status()
        .expect("jq is installed (.ci/run installs it)");
    assert!(status.success());
    let edited: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("edited")).expect("json");
    assert_eq!(
        edited["Statement"][0]["Principal"]["Service"],
        serde_json::json!(["elasticmapreduce.amazonaws.com"])
    );
    assert_eq!(
        edited["Statement"][1]["Effect"], "Deny",
        "deny statements are left alone"
    );
}

#[test]
fn service_control_policies_apply_to_the_account_their_path_names() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-scp");
    let loaded =
        load_paths_with(&[dir], AT.parse().expect("timestamp"), &mut |_| {}).expect("loads");
    let lines = edge_lines(&loaded);
    assert!(
        !lines.contains("key-maker -can_escalate[iam:CreateAccessKey]-> victim"),
        "an SCP deny beats the identity allow"
    );
    assert!(
        lines.contains("key-maker -can_escalate[iam:UpdateAssumeRolePolicy]-> ops"),
        "FullAWSAccess still allows the rest"
    );
    assert!(
        loaded.warnings.iter().any(|w| w
            .message
            .contains("SCP Unattached (p-floating) is not applied")),
        "an SCP whose path names no account is reported, not applied"
    );
}
