//! The last two phases: rotate every other exposed credential and secret at its issuer,
//! then verify and hunt for persistence on each platform the attacker reached.

use super::actions::Actions;
use super::catalog::Playbook;
use super::{Figures, Phase, Schedule, Step, Target, listed_step, playbook_for};
use crate::analysis::BlastRadius;
use crate::model::{EdgeKind, NodeId, NodeKind, Revoke, TrustGraph};
use crate::shell::{Cmd, Piece, comment, hole, quote};

/// Id prefix of a rotation the input lists no action for.
pub const ROTATE_PREFIX: &str = "rotate-at-issuer:";
/// Id prefix of a platform check.
pub const VERIFY_PREFIX: &str = "verify:";
/// Action name of a platform check.
pub const VERIFY_ACTION: &str = "verify";

/// How far "what it unlocks" looks: credential → identity → what the identity reaches.
const UNLOCK_HOPS: u32 = 3;
const UNLOCK_NODES: usize = 256;

/// Every reached or exposed credential and secret that the required steps do not
/// already take out, in the order to rotate them: by what it unlocks. A secret that only
/// stores credentials listed here is covered by their rotation (its copy is updated
/// then). Each one's step is [`rotation`], made as it is taken: tens of thousands of
/// steps held twice, sorted and then laid out, were a plan's largest moment.
pub fn rotation_order(
    graph: &TrustGraph,
    blast: &BlastRadius,
    schedule: &Schedule,
    done: u32,
) -> Vec<NodeId> {
    let exposed = blast
        .reached
        .iter()
        .map(|r| r.node)
        .chain(blast.exposed.iter().map(|x| x.node));
    let mut todo: Vec<NodeId> = exposed
        .filter(|&n| matches!(graph.facts(n).kind, NodeKind::Credential | NodeKind::Secret))
        .filter(|&n| !blast.compromised.contains(&n) && !schedule.node_removed(n, done))
        .collect();
    todo.sort_unstable_by_key(|&n| graph.key_rank(n));
    let listed = |n: NodeId| {
        todo.binary_search_by_key(&graph.key_rank(n), |&m| graph.key_rank(m))
            .is_ok()
    };
    let covered = |secret: NodeId| {
        let mut stored = graph
            .outgoing(secret)
            .filter(|&(e, _)| graph.edge(e).kind == EdgeKind::Contains)
            .map(|(_, c)| c)
            .peekable();
        stored.peek().is_some()
            && stored.all(|c| {
                listed(c) || schedule.node_removed(c, done) || blast.compromised.contains(&c)
            })
    };
    let mut stamp = Stamp::new(graph.node_count());
    let mut order: Vec<(u64, NodeId)> = todo
        .iter()
        .copied()
        .filter(|&n| graph.facts(n).kind == NodeKind::Credential || !covered(n))
        .map(|n| (unlocks(graph, n, &mut stamp), n))
        .collect();
    order.sort_by_key(|&(score, n)| (std::cmp::Reverse(score), graph.key_rank(n)));
    order.into_iter().map(|(_, n)| n).collect()
}

/// The node's own action when the input lists one that changes the value at its source
/// (not just deleting a stored copy), else a rotation at the issuer by hand.
pub fn rotation(graph: &TrustGraph, actions: &Actions<'_>, node: NodeId, allowed: &[bool]) -> Step {
    let own = actions
        .on_node(node)
        .filter(|&a| allowed[a] && actions.all[a].revoke.action() != "delete_secret")
        .min_by_key(|&a| (actions.all[a].cost, a));
    if let Some(a) = own {
        return listed_step(
            graph,
            actions,
            (0, Phase::Rotate, false),
            a,
            Target::Node(node),
        );
    }
    // The catalogue's action for this kind of thing at its issuer: keys are deactivated,
    // tokens revoked, stored secrets rotated.
    let n = graph.node(node);
    let at_issuer = match (n.kind, n.credential.as_ref().and_then(|c| c.kind)) {
        (NodeKind::Credential, Some(k)) if k.contains("key") => "deactivate_key",
        (NodeKind::Credential, _) => "revoke_token",
        _ => "rotate",
    };
    let revoke = Revoke {
        id: format!("{ROTATE_PREFIX}{}", n.key),
        action: at_issuer.into(),
        cost: 1,
        commands: Vec::new(),
        from_file: false,
    };
    let target = Target::Node(node);
    Step {
        rank: 0,
        phase: Phase::Rotate,
        playbook: playbook_for(graph, &revoke, &target),
        id: revoke.id,
        listed: false,
        action: "rotate_at_issuer".into(),
        target,
        action_ix: None,
        cost: 1,
        collateral: Vec::new(),
        required: false,
        protects: Vec::new(),
        after: Figures::default(),
    }
}

/// Summed criticality of what a node reaches within a few hops: a proxy for what its
/// value unlocks that stays cheap for a hundred thousand credentials. `stamp` is scratch
/// space, one entry per node, reused across calls.
fn unlocks(graph: &TrustGraph, from: NodeId, stamp: &mut Stamp) -> u64 {
    stamp.next();
    stamp.mark(from);
    let mut frontier = vec![from];
    let (mut total, mut seen) = (0u64, 1usize);
    for _ in 0..UNLOCK_HOPS {
        let mut next = Vec::new();
        for &u in &frontier {
            for step in graph.steps(u) {
                if step.dormant || seen >= UNLOCK_NODES || !stamp.mark(step.to) {
                    continue;
                }
                seen += 1;
                next.push(step.to);
                total += u64::from(graph.facts(step.to).criticality);
            }
        }
        frontier = next;
    }
    total
}

/// Visited marks that reset in O(1): a node is marked when it holds the current round.
struct Stamp {
    round: u32,
    marks: Vec<u32>,
}

impl Stamp {
    fn new(nodes: usize) -> Stamp {
        Stamp {
            round: 0,
            marks: vec![0; nodes],
        }
    }

    fn next(&mut self) {
        self.round += 1;
    }

    /// Marks the node; false when it was marked already this round.
    fn mark(&mut self, node: NodeId) -> bool {
        let m = &mut self.marks[node.index()];
        let fresh = *m != self.round;
        *m = self.round;
        fresh
    }
}

/// One verification step per platform the attacker reached, in platform order.
pub fn checks(graph: &TrustGraph, blast: &BlastRadius) -> Vec<Step> {
    blast
        .summary
        .by_platform
        .keys()
        .map(|platform| Step {
            rank: 0,
            phase: Phase::Verify,
            id: format!("{VERIFY_PREFIX}{platform}"),
            listed: false,
            action: VERIFY_ACTION.into(),
            target: Target::Platform(platform.clone()),
            action_ix: None,
            cost: 0,
            collateral: Vec::new(),
            required: false,
            protects: Vec::new(),
            after: Figures::default(),
            playbook: verify(graph, blast, platform),
        })
        .collect()
}

/// Read-only checks for persistence an attacker leaves behind: new keys, changed trust,
/// new bindings (playbooks.md §3, "sweep what the credential could create").
fn verify(graph: &TrustGraph, blast: &BlastRadius, platform: &str) -> Playbook {
    // The start of the incident is the responder's to fill in: a bare placeholder.
    let since = || hole("<INCIDENT_START>");
    let commands: Vec<Cmd> = match platform {
        "aws" => [
            "CreateAccessKey",
            "CreateLoginProfile",
            "UpdateLoginProfile",
            "CreateUser",
            "UpdateAssumeRolePolicy",
            "AttachRolePolicy",
            "PutRolePolicy",
            "AttachUserPolicy",
            "PutUserPolicy",
            "CreatePolicyVersion",
            "AddUserToGroup",
        ]
        .iter()
        .map(|event| {
            Cmd::new("aws")
                .args(["cloudtrail", "lookup-events", "--lookup-attributes"])
                .arg(format!("AttributeKey=EventName,AttributeValue={event}"))
                .arg("--start-time")
                .word([since()])
                .note("in every account and region reached")
        })
        .chain(std::iter::once(
            Cmd::new("aws")
                .args(["iam", "generate-credential-report"])
                .and(Cmd::new("aws").args(["iam", "get-credential-report", "--query", "Content", "--output", "text"]))
                .pipe(Cmd::new("base64").arg("-d"))
                .note("keys created or used since the compromise"),
        ))
        .collect(),
        "gcp" => std::iter::once(
            Cmd::new("gcloud").args(["logging", "read"]).word([
                Piece::Own(r#"'protoPayload.methodName:("CreateServiceAccountKey" OR "SetIamPolicy" OR "CreateServiceAccount" OR "UpdateWorkloadIdentityPoolProvider") AND timestamp>="'"#),
                since(),
                Piece::Own(r#"'"'"#),
            ])
            .arg("--format=json")
            .note("in every project reached"),
        )
        // (Workload identity principals and GKE members are accounts without keys.)
        .chain(reached_of(graph, blast, platform, NodeKind::ServiceAccount).filter_map(|sa| {
            let email = graph.key(sa).strip_prefix("gcp:sa:")?;
            Some(Cmd::new("gcloud")
                .args(["iam", "service-accounts", "keys", "list"])
                .eq("--iam-account", email)
                .arg("--managed-by=user")
                .note("keys created since the compromise"))
        }))
        .collect(),
        "k8s" => {
            let sorted = |kinds| {
                Cmd::new("kubectl")
                    .args(["get", kinds, "-A", "--sort-by=.metadata.creationTimestamp"])
            };
            vec![
                sorted("clusterrolebindings,rolebindings").note("bindings created since the compromise"),
                sorted("serviceaccounts,secrets").note("new service accounts and token secrets"),
                sorted("pods").args(["-o", "wide"]).note("pods started since the compromise, privileged or on unexpected nodes"),
            ]
        }
        "github" => {
            let repo_api = |tail| Cmd::new("gh").arg("api").word([Piece::Own("/repos/<OWNER>/<REPO>/"), Piece::Own(tail)]);
            vec![
                Cmd::new("gh")
                    .args(["api", "-X", "GET"])
                    .word([Piece::Own("/orgs/"), hole("<ORG>"), Piece::Own("/audit-log")])
                    .arg("-f")
                    .word(["phrase=created:>=".into(), since()])
                    .arg("--paginate")
                    .note("new deploy keys, secrets, members, app installations, tag pushes"),
                repo_api("keys").note("deploy keys in each repository reached"),
                repo_api("git/matching-refs/tags").note("tags re-pointed since the compromise (compare with the release history)"),
            ]
        }
        "spire" => vec![
            Cmd::new("spire-server")
                .args(["entry", "show", "-output", "json"])
                .to_file("entries-now.json")
                .note("compare with the export loaded: an entry added or changed since the compromise (admin, downstream, a new parent or selector) is a foothold"),
            Cmd::new("spire-server").args(["agent", "list"]).note("agents attested since the compromise, and their selectors"),
            Cmd::new("spire-server").args(["localauthority", "x509", "show"]).note("an authority prepared or activated by someone else"),
        ],
        "vault" => vec![
            Cmd::new("vault").args(["list", "auth/token/accessors"]).note("then `vault token lookup -accessor A` for tokens created since the compromise"),
            Cmd::new("vault").args(["policy", "list"]).and(Cmd::new("vault").args(["auth", "list"])).note("policies and auth methods added or changed"),
        ],
        "azure" => {
            // The applications and user-assigned identities reached, by the ids `az`
            // takes (a managed identity has no app registration to list).
            let mut apps = std::collections::BTreeSet::new();
            let mut identities = std::collections::BTreeSet::new();
            for r in &blast.reached {
                let node = graph.node(r.node);
                if node.platform != "azure" {
                    continue;
                }
                let tag = |t: &str| node.tags.get(t);
                match (tag("sp_type"), tag("app_id"), tag("arm_id")) {
                    (Some("ManagedIdentity"), _, Some(arm)) => {
                        identities.insert(arm.to_string());
                    }
                    (Some("ManagedIdentity"), _, None) => {}
                    (_, Some(app), _) => {
                        apps.insert(app.to_string());
                    }
                    _ => {}
                }
            }
            let app_list = |what, app: Piece| Cmd::new("az").args(["ad", "app", what, "list", "--id"]).arg(app);
            let sp_list = |app: Piece| Cmd::new("az").args(["ad", "sp", "credential", "list", "--id"]).arg(app);
            // Entra's audit log, by category: credentials, owners and federated
            // credentials added to apps; directory roles granted.
            let audit = |category: &str| {
                Cmd::new("az").args(["rest", "--method", "GET", "--url"]).word([
                    "https://graph.microsoft.com/v1.0/auditLogs/directoryAudits?$filter=activityDateTime ge ".into(),
                    since(),
                    format!(" and category eq '{category}'").into(),
                ])
            };
            let mut out = vec![
                Cmd::new("az")
                    .args(["monitor", "activity-log", "list", "--start-time"])
                    .word([since()])
                    .args(["--query", "[?contains(operationName.value, 'roleAssignments/write')]"])
                    .note("new role assignments"),
                audit("ApplicationManagement").note("credentials, owners and federated credentials added to apps and service principals"),
                audit("RoleManagement").note("directory roles granted"),
            ];
            if apps.is_empty() && identities.is_empty() {
                out.push(app_list("credential", hole("<APP_ID>")).note("secrets and certificates added to each app reached"));
                out.push(sp_list(hole("<APP_ID>")).note("and to its service principal, which holds credentials of its own"));
                out.push(app_list("federated-credential", hole("<APP_ID>")).note("federated credentials added"));
            }
            for app in &apps {
                out.push(app_list("credential", app.as_str().into()).note("secrets and certificates added since the compromise"));
                out.push(sp_list(app.as_str().into()).note("credentials added to the service principal itself"));
                out.push(app_list("federated-credential", app.as_str().into()).note("federated credentials added"));
            }
            for arm in &identities {
                let parts: Vec<&str> = arm.split('/').collect();
                let at = |name: &str| parts.iter().position(|p| *p == name).and_then(|i| parts.get(i + 1)).copied().unwrap_or_default();
                out.push(
                    Cmd::new("az")
                        .args(["identity", "federated-credential", "list", "--identity-name", at("userassignedidentities"), "--resource-group", at("resourcegroups")])
                        .eq("--subscription", at("subscriptions"))
                        .note("federated credentials added to the managed identity"),
                );
            }
            out
        }
        _ => Vec::new(),
    };
    let mut commands: Vec<String> = commands.into_iter().map(String::from).collect();
    match platform {
        "vault" => commands.push(comment(
            "read the audit device's log for logins and secret reads by the revoked roles since <INCIDENT_START>",
        )),
        "aws" | "gcp" | "k8s" | "github" | "azure" => {}
        other => commands.push(comment(&format!(
            "review {}'s audit log since <INCIDENT_START> for new credentials, bindings and trust changes",
            quote(other)
        ))),
    }
    Playbook {
        commands,
        kills_live_tokens: false,
        live_tokens: None,
        reversible: true,
        note: "read-only: look for anything created or changed since the compromise; each finding is a new foothold to add with -c and re-plan".into(),
    }
}

/// The email `gcloud` takes for a service account: its key holds it (`gcp:sa:EMAIL`); the
/// name is often only the account's display name.
fn reached_of<'a>(
    graph: &'a TrustGraph,
    blast: &'a BlastRadius,
    platform: &'a str,
    kind: NodeKind,
) -> impl Iterator<Item = NodeId> + 'a {
    blast
        .reached
        .iter()
        .map(|r| r.node)
        .filter(move |&n| graph.facts(n).kind == kind && graph.node(n).platform == platform)
}
