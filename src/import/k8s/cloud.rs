//! The ways between a cluster and AWS or GCP: who in AWS is who in the cluster
//! (`aws-auth`, EKS access entries), and which cloud identity a service account becomes
//! (IRSA, EKS pod identity, GKE workload identity).

use super::Cluster;
use super::build::Build;
use super::grants::{sa, user_as};
use super::objects::{AwsAuthEntry, Object};
use crate::glob::glob_match;
use crate::import::Warning;
use crate::import::{provenance, revoke};
use crate::model::{Condition, EdgeKind, NodeKind, Provenance};
use crate::shell::Cmd;

/// The key of the AWS principal `arn` names: its node, or, for a role ARN without a path
/// (aws-auth takes none), the role of that account and name with its path; else a node
/// added and marked as not in the inputs, so the way in shows whichever files are loaded.
fn aws_principal(b: &mut Build<'_>, arn: &str, file: &str, by: &str) -> String {
    if b.graph.find(arn).is_some() {
        return arn.to_string();
    }
    if let Some((account, name)) = arn.split_once(":role/").filter(|(_, n)| !n.contains('/')) {
        let with_path = b.graph.node_ids().map(|id| b.graph.key(id)).find(|k| {
            k.strip_prefix(account)
                .and_then(|rest| rest.strip_prefix(":role/"))
                .is_some_and(|path| path.rsplit('/').next() == Some(name))
        });
        if let Some(key) = with_path {
            return key.to_string();
        }
    }
    let kind = if arn.contains(":role/") {
        NodeKind::Role
    } else {
        NodeKind::ServiceAccount
    };
    let prov = provenance(b.graph, file, by.to_string());
    crate::import::add_placeholder(b.graph, arn, kind, "aws", format!("named by {by}"), prov);
    arn.to_string()
}

/// The Kubernetes user and groups an AWS principal is mapped to.
fn mapped(
    b: &mut Build<'_>,
    arn: &str,
    username: &str,
    groups: &[String],
    file: &str,
    by: &str,
    cut: crate::model::Revoke,
) {
    let prov = &provenance(b.graph, file, by.to_string());
    let arn = &aws_principal(b, arn, file, by);
    let to = user_as(b, username, file, by, Some(NodeKind::ServiceAccount));
    let revoke: std::sync::Arc<[crate::model::Revoke]> = vec![cut].into();
    let r = revoke.clone();
    b.edge(
        arn,
        &to,
        EdgeKind::CanAssume,
        format!("{by} maps {arn} to Kubernetes user {username}"),
        prov,
        |e| e.revoke = r,
    );
    // A node's identity (`system:node:{{EC2PrivateDNSName}}`): whoever holds the node's
    // role (its instance profile, read from the instance metadata) is its kubelet.
    if let Some(node) = username.strip_prefix("system:node:") {
        let nodes: Vec<String> = if node.contains("{{") {
            b.nodes.iter().cloned().collect()
        } else {
            vec![node.to_string()]
        };
        for n in nodes {
            let key = b.key("node", None, &n);
            b.edge(&to, &key, EdgeKind::CanControl, format!("{username} is the kubelet identity of node {n}: it can read the Secrets and tokens of the pods scheduled there"), prov, |_| {});
        }
    }
    for group in groups {
        let key = if group == "system:masters" {
            b.admin()
        } else {
            let key = b.key("group", None, group);
            b.referred(&key, NodeKind::Group, group, None, file, by);
            b.groups.insert(group.clone());
            key
        };
        let why = if group == "system:masters" {
            format!("{by} puts {arn} in group system:masters, which bypasses RBAC: cluster-admin")
        } else {
            format!("{by} puts {arn} in group {group}")
        };
        let r = revoke.clone();
        b.edge(arn, &key, EdgeKind::CanAssume, why, prov, |e| e.revoke = r);
    }
}

/// `kube-system/aws-auth`: `mapRoles` and `mapUsers` (YAML inside the ConfigMap).
pub(super) fn aws_auth(b: &mut Build<'_>, o: &Object, file: &str) {
    let Some(data) = &o.data else { return };
    for (field, text) in [("mapRoles", &data.map_roles), ("mapUsers", &data.map_users)] {
        let Some(text) = text else { continue };
        let entries: Vec<AwsAuthEntry> = match serde_saphyr::from_str(text) {
            Ok(entries) => entries,
            Err(e) => {
                let (place, first) = crate::import::error::yaml_error(&e);
                b.warnings.push(Warning::new(
                    file,
                    format!("aws-auth {field} {place}"),
                    format!("not valid YAML ({first}); its mappings are skipped"),
                ));
                continue;
            }
        };
        for entry in entries {
            let Some(arn) = entry.rolearn.or(entry.userarn) else {
                continue;
            };
            let username = entry.username.unwrap_or_else(|| arn.clone());
            let by = format!("ConfigMap kube-system/aws-auth ({field})");
            let cut = revoke(
                format!("remove-binding:eks:{}:aws-auth:{arn}", b.cluster),
                "remove_binding",
                2,
                Vec::new(),
            );
            mapped(b, &arn, &username, &entry.groups, file, &by, cut);
        }
    }
}

/// EKS access entries: an AWS principal's Kubernetes user and groups.
pub(super) fn access_entries(b: &mut Build<'_>, c: &Cluster) {
    for (entry, file) in &c.access_entries {
        if entry.principal_arn.is_empty() {
            continue;
        }
        if let Some(t) = entry.entry_type.as_deref().filter(|t| *t != "STANDARD") {
            // EC2_LINUX, FARGATE_LINUX…: a node's entry, which the Node authorizer governs.
            b.warnings.push(Warning::new(file, "", format!("access entry of {} is of type {t} (a node's): not modelled; its nodes' reach is not shown", crate::report::clean(&entry.principal_arn))));
            continue;
        }
        let arn = entry.principal_arn.as_str();
        let by = format!("EKS access entry of {arn}");
        let username = entry.username.clone().unwrap_or_else(|| arn.to_string());
        let command = Cmd::new("aws")
            .args([
                "eks",
                "delete-access-entry",
                "--cluster-name",
                b.cluster,
                "--principal-arn",
                arn,
            ])
            .into();
        let cut = revoke(
            format!("delete-access-entry:{}:{arn}", b.cluster),
            "remove_binding",
            2,
            vec![command],
        );
        mapped(b, arn, &username, &entry.kubernetes_groups, file, &by, cut);
    }
}

/// The `sub` patterns an EKS OIDC provider's trust into `role` accepts, with the edge's
/// reason; `None` when nothing in the graph shows that trust.
fn eks_trust(b: &Build<'_>, role: &str) -> Option<Vec<Accepts>> {
    let id = b.graph.find(role)?;
    let mut found: Option<Vec<Accepts>> = None;
    for (edge, from) in b.graph.incoming(id) {
        let provider = b.graph.node(from);
        let e = b.graph.edge(edge);
        // An EKS issuer, or any OIDC issuer trusted for a service account's subject
        // (self-managed clusters publish their own).
        let for_service_accounts = e.conditions.iter().any(|c| {
            c.key.as_deref().is_some_and(|k| k.ends_with(":sub"))
                && c.values
                    .iter()
                    .any(|v| v.starts_with("system:serviceaccount:"))
        });
        if e.kind != EdgeKind::CanAssume
            || !provider.key.contains(":oidc-provider/")
            || !(provider.key.contains(":oidc-provider/oidc.eks.") || for_service_accounts)
        {
            continue;
        }
        let list = found.get_or_insert_with(Vec::new);
        let subs: Vec<&Condition> = e
            .conditions
            .iter()
            .filter(|c| c.key.as_deref().is_some_and(|k| k.ends_with(":sub")))
            .collect();
        let issuer = provider.key.to_string();
        if subs.is_empty() {
            list.push(("*".into(), true, e.reason.to_string(), issuer.clone()));
        }
        for c in subs {
            let like = c.operator.as_deref().unwrap_or("").contains("Like");
            list.extend(
                c.values
                    .iter()
                    .map(|v| (v.clone(), like, e.reason.to_string(), issuer.clone())),
            );
        }
    }
    found
}

/// A `sub` pattern a trust accepts, whether it is a `StringLike`, the trust edge's
/// reason, and the issuer (provider key) it trusts.
type Accepts = (String, bool, String, String);

/// IRSA, EKS pod identity and GKE and Azure workload identity: a service account
/// becomes a cloud identity.
pub(super) fn workload_identity(b: &mut Build<'_>, c: &Cluster) {
    // With one EKS issuer in the inputs it is this cluster's; with several, which one is
    // is not in a Kubernetes export, and an IRSA edge says so.
    let issuers = b
        .graph
        .node_ids()
        .filter(|&id| b.graph.key(id).contains(":oidc-provider/oidc.eks."))
        .count();
    for (o, file) in &c.objects {
        let (true, Some(ns)) = (o.kind == "ServiceAccount", o.metadata.namespace.as_deref()) else {
            continue;
        };
        let name = o.metadata.name.as_str();
        let from = b.key("sa", Some(ns), name);
        let prov = provenance(b.graph, file, format!("ServiceAccount {ns}/{name}"));
        if let Some(role) = o.metadata.annotations.get("eks.amazonaws.com/role-arn") {
            irsa(b, role, (ns, name), file, &prov, issuers);
        }
        for (annotation, id) in &o.metadata.annotations {
            let federation = match annotation.as_str() {
                "iam.gke.io/gcp-service-account" => Federation {
                    to: format!("gcp:sa:{id}"),
                    platform: "gcp",
                    what: "GKE workload identity",
                    condition: format!(
                        "holds only if {id} grants roles/iam.workloadIdentityUser to serviceAccount:PROJECT_ID.svc.id.goog[{ns}/{name}] (its IAM policy is not checked here)"
                    ),
                },
                "azure.workload.identity/client-id" => Federation {
                    to: format!("azure:app:{id}"),
                    platform: "azure",
                    what: "Azure workload identity",
                    condition: format!(
                        "holds only if the app or managed identity with client id {id} has a federated credential for the cluster's OIDC issuer with subject system:serviceaccount:{ns}:{name}, and the pods carry the label azure.workload.identity/use: \"true\" (neither is checked here)"
                    ),
                },
                _ => continue,
            };
            federate(b, &from, (ns, name), annotation, federation, file, &prov);
        }
    }
    for (p, file) in &c.pod_identities {
        if p.namespace.is_empty() || p.service_account.is_empty() {
            continue;
        }
        let from = sa(
            b,
            &p.namespace,
            &p.service_account,
            file,
            "an EKS pod identity association",
        );
        let Some(role) = &p.role_arn else {
            b.warnings.push(Warning::new(file, "", format!("pod identity association of {}/{} names no role (list-pod-identity-associations output): save describe-pod-identity-association for it", p.namespace, p.service_account)));
            continue;
        };
        let by = format!(
            "EKS pod identity association {}",
            p.association_id.as_deref().unwrap_or("?")
        );
        let prov = provenance(b.graph, file, by.clone());
        let role = &aws_principal(b, role, file, &by);
        let mut commands = Vec::new();
        if let Some(id) = &p.association_id {
            commands.push(
                Cmd::new("aws")
                    .args(["eks", "delete-pod-identity-association", "--cluster-name", b.cluster, "--association-id", id])
                    .note("credentials already handed to pods stay valid until they expire (up to 6 h)")
                    .into(),
            );
        }
        let cut = revoke(
            format!(
                "delete-pod-identity:{}:{}",
                b.cluster,
                p.association_id.as_deref().unwrap_or(&from)
            ),
            "remove_trust",
            2,
            commands,
        );
        let r: std::sync::Arc<[crate::model::Revoke]> = vec![cut].into();
        let rr = r.clone();
        b.edge(
            &from,
            role,
            EdgeKind::CanAssume,
            format!(
                "{by} gives service account {}/{} the credentials of {role}",
                p.namespace, p.service_account
            ),
            &prov,
            |e| e.revoke = rr,
        );
        if let Some(target) = &p.target_role_arn {
            let target = &aws_principal(b, target, file, &by);
            b.edge(
                role,
                target,
                EdgeKind::CanAssume,
                format!("{by} chains {role} into {target} (targetRoleArn)"),
                &prov,
                |e| e.revoke = r,
            );
        }
    }
}

/// A cloud identity a service account's annotation names, and what else must hold.
struct Federation {
    to: String,
    platform: &'static str,
    what: &'static str,
    condition: String,
}

/// The conditional edge from a service account to the cloud identity its annotation
/// names (the cloud side's trust is not in a Kubernetes export).
fn federate(
    b: &mut Build<'_>,
    from: &str,
    (ns, name): (&str, &str),
    annotation: &str,
    f: Federation,
    file: &str,
    prov: &Provenance,
) {
    let by = format!("ServiceAccount {ns}/{name}");
    if b.graph.find(&f.to).is_none() {
        let p = provenance(b.graph, file, by.clone());
        let why = format!("named by {by}");
        crate::import::add_placeholder(
            b.graph,
            &f.to,
            NodeKind::ServiceAccount,
            f.platform,
            why,
            p,
        );
    }
    let unannotate = annotate(b.cluster, ns, name, &format!("{annotation}-"));
    let cut = revoke(
        format!("remove-federation:{from}:{}", f.to),
        "remove_trust",
        2,
        vec![unannotate],
    );
    let reason = format!(
        "{by} is annotated {annotation}: {} ({})",
        crate::model::name_of_key(&f.to),
        f.what
    );
    let condition = crate::model::Condition::described(f.condition);
    b.edge(from, &f.to, EdgeKind::CanAssume, reason, prov, |e| {
        e.revoke = vec![cut].into();
        e.conditions = vec![condition];
    });
}

/// `kubectl annotate serviceaccount` removing (`KEY-`) an annotation.
fn annotate(cluster: &str, ns: &str, name: &str, change: &str) -> String {
    Cmd::new("kubectl")
        .args([
            "--context",
            cluster,
            "annotate",
            "serviceaccount",
            name,
            "-n",
            ns,
            change,
        ])
        .note("new pods stop getting the cloud identity; restart running ones")
        .into()
}

/// IRSA: the annotation names a role; the role's trust decides. With the trust in the
/// graph, the edge exists only when it accepts this service account's `sub`.
fn irsa(
    b: &mut Build<'_>,
    role: &str,
    (ns, name): (&str, &str),
    file: &str,
    prov: &Provenance,
    issuers: usize,
) {
    let from = &b.key("sa", Some(ns), name);
    let subject = &format!("system:serviceaccount:{ns}:{name}");
    let trust = eks_trust(b, role);
    let accepted = trust.as_ref().and_then(|subs| {
        subs.iter()
            .find(|(pattern, like, _, _)| {
                if *like {
                    glob_match(pattern, subject)
                } else {
                    pattern == subject
                }
            })
            .cloned()
    });
    if trust.is_some() && accepted.is_none() {
        b.warnings.push(Warning::new(file, format!("ServiceAccount {ns}/{name}"), format!("annotated eks.amazonaws.com/role-arn: {role}, but the role's trust does not accept {subject}: no edge")));
        return;
    }
    if b.graph.find(role).is_some() && trust.is_none() && !role_not_in_inputs(b, role) {
        b.warnings.push(Warning::new(file, format!("ServiceAccount {ns}/{name}"), format!("annotated eks.amazonaws.com/role-arn: {role}, but no EKS OIDC provider is trusted by that role: no edge")));
        return;
    }
    let role = &aws_principal(b, role, file, &format!("ServiceAccount {ns}/{name}"));
    let unannotate = annotate(b.cluster, ns, name, "eks.amazonaws.com/role-arn-");
    let cut = revoke(
        format!("remove-irsa:{from}"),
        "remove_trust",
        2,
        vec![
            unannotate,
            crate::shell::comment(&format!(
                "and remove {subject} from the trust policy of {role}: the annotation alone does not stop a token already minted"
            )),
        ],
    );
    let reason = match &accepted {
        Some((pattern, _, why, _)) => format!(
            "ServiceAccount {ns}/{name} is annotated eks.amazonaws.com/role-arn: {role} (IRSA), and the role's trust accepts sub {pattern}: {why}"
        ),
        None => format!(
            "ServiceAccount {ns}/{name} is annotated eks.amazonaws.com/role-arn: {role} (IRSA)"
        ),
    };
    let conditions = match &accepted {
        None => vec![crate::model::Condition::described(format!(
            "the trust policy of {role} is not in the inputs: holds if it trusts the cluster's OIDC provider for {subject}"
        ))],
        Some((_, _, _, issuer)) if issuers > 1 => {
            vec![crate::model::Condition::described(format!(
                "holds if {issuer} is the OIDC issuer of cluster {} (aws eks describe-cluster --name {} --query cluster.identity.oidc.issuer): several EKS issuers are in the inputs",
                b.cluster,
                crate::shell::quote(b.cluster)
            ))]
        }
        Some(_) => Vec::new(),
    };
    b.edge(from, role, EdgeKind::CanAssume, reason, prov, |e| {
        e.revoke = vec![cut].into();
        e.conditions = conditions;
    });
}

fn role_not_in_inputs(b: &Build<'_>, role: &str) -> bool {
    b.graph
        .find(role)
        .is_some_and(|id| b.graph.node(id).tags.contains_key("not_in_inputs"))
}
