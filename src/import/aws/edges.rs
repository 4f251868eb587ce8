//! From GAAD to the trust graph: principal, group and provider nodes; membership, trust
//! and privilege-escalation edges; the per-account administrator marker.

use std::collections::{BTreeMap, BTreeSet};

use super::eval::{Grant, Labels, Permissions};
use super::gaad::{Gaad, Principal, PrincipalKind, account_of};
use super::policy::{Context, Effect};
use crate::import::Warning;
use crate::model::{Edge, EdgeKind, Node, NodeId, NodeKind, Place, Provenance, Revoke, TrustGraph};

/// Actions whose allowance on `*` together marks an administrator: full control of IAM,
/// STS, compute, data and keys. (`Action: "*"` passes; `NotAction: iam:*` does not.)
const ADMIN_PROBES: [&str; 8] = [
    "iam:PutRolePolicy",
    "iam:CreateAccessKey",
    "iam:PassRole",
    "sts:AssumeRole",
    "ec2:RunInstances",
    "s3:GetObject",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
];

/// PassRole to a service that then runs code as the role: the service, and the action
/// sets that each suffice together with `iam:PassRole` (from the public catalogue).
const PASS_ROLE: [(&str, &[&[&str]]); 7] = [
    ("ec2.amazonaws.com", &[&["ec2:RunInstances"]]),
    (
        "lambda.amazonaws.com",
        &[
            &["lambda:CreateFunction", "lambda:InvokeFunction"],
            &["lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
        ],
    ),
    ("glue.amazonaws.com", &[&["glue:CreateDevEndpoint"]]),
    (
        "cloudformation.amazonaws.com",
        &[&["cloudformation:CreateStack"]],
    ),
    (
        "datapipeline.amazonaws.com",
        &[&[
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ]],
    ),
    (
        "codebuild.amazonaws.com",
        &[&["codebuild:CreateProject", "codebuild:StartBuild"]],
    ),
    (
        "sagemaker.amazonaws.com",
        &[
            &["sagemaker:CreateNotebookInstance"],
            &["sagemaker:CreateTrainingJob"],
            &["sagemaker:CreateProcessingJob"],
        ],
    ),
];

/// Techniques on resources the export cannot list (functions, stacks, instances): each
/// is a *potential* edge to every role that trusts the service.
const EXISTING: [(&str, &str); 7] = [
    ("lambda.amazonaws.com", "lambda:UpdateFunctionCode"),
    ("glue.amazonaws.com", "glue:UpdateDevEndpoint"),
    ("cloudformation.amazonaws.com", "cloudformation:UpdateStack"),
    ("ec2.amazonaws.com", "ssm:SendCommand"),
    ("ec2.amazonaws.com", "ssm:StartSession"),
    ("ec2.amazonaws.com", "ec2-instance-connect:SendSSHPublicKey"),
    (
        "sagemaker.amazonaws.com",
        "sagemaker:CreatePresignedNotebookInstanceUrl",
    ),
];

/// Adds what the GAAD files describe to the graph.
pub fn build(gaad: &Gaad, graph: &mut TrustGraph, warnings: &mut Vec<Warning>, ctx: Context) {
    let labels = Labels::new(gaad);
    let perms: BTreeMap<&str, Permissions<'_>> = gaad
        .principals
        .values()
        .map(|p| (p.arn.as_str(), Permissions::of(gaad, p, &labels)))
        .collect();
    for p in gaad.principals.values() {
        if let Some(arn) = &p.boundary
            && !gaad.policies.contains_key(arn)
        {
            let message = format!(
                "permission boundary {arn} of {} is not in the export; treated as allowing nothing",
                p.arn
            );
            warnings.push(Warning::new(&p.file, p.place.in_message(), message));
        }
    }
    let mut g = Adder { graph, warnings };

    // Nodes first, so that every edge below finds its endpoints.
    let mut admins: BTreeMap<&str, Grant> = BTreeMap::new();
    for p in gaad.principals.values() {
        let grant = ADMIN_PROBES
            .iter()
            .map(|a| perms[p.arn.as_str()].allows(a, "*", ctx))
            .collect::<Option<Vec<_>>>()
            .and_then(|mut grants| grants.pop());
        if let Some(grant) = grant {
            admins.insert(&p.arn, grant);
        }
        g.principal(p, admins.contains_key(p.arn.as_str()));
    }
    for group in gaad.groups.values() {
        let mut node = Node::new(
            &group.arn,
            NodeKind::Group,
            g.provenance(&group.file, &group.place),
        );
        node.platform = "aws".into();
        node.name = group.name.as_str().into();
        node.scope = Some(group.account.as_str().into());
        g.node(node);
    }

    // Memberships.
    for p in gaad.principals.values() {
        for group in gaad.groups_of(p) {
            let reason = format!(
                "user/{} is a member of group {} (GroupList)",
                p.name, group.name
            );
            let revoke = revoke(
                &format!("remove-from-group:{}:{}", group.name, p.name),
                "remove_membership",
                1,
            );
            g.edge(
                &p.arn,
                &group.arn,
                EdgeKind::MemberOf,
                reason,
                Vec::new(),
                vec![revoke],
                (&p.file, &p.place),
            );
        }
    }

    // Administrators control their account.
    let accounts: BTreeSet<&str> = gaad
        .principals
        .values()
        .map(|p| p.account.as_str())
        .collect();
    for account in &accounts {
        let marker = admin_marker(account);
        if !admins.keys().any(|a| account_of(a) == *account) {
            continue;
        }
        let mut node = Node::new(&marker, NodeKind::Resource, Provenance::default());
        node.platform = "aws".into();
        node.name = format!("administrator of account {account}").into();
        node.scope = Some((*account).into());
        node.admin = true;
        g.node(node);
        for p in gaad
            .principals
            .values()
            .filter(|p| p.account == *account && !p.service_linked())
        {
            let reason = format!(
                "an administrator of account {account} can create access keys for any user and rewrite any role's trust policy"
            );
            g.edge(
                &marker,
                &p.arn,
                EdgeKind::CanControl,
                reason,
                Vec::new(),
                Vec::new(),
                (&p.file, &p.place),
            );
        }
    }
    for (arn, grant) in &admins {
        let p = &gaad.principals[*arn];
        let reason = format!("effective * on *: {}", grant.why);
        let cut = revoke(&format!("restrict:{arn}"), "detach_policy", 5);
        g.escalation(
            &p.arn,
            &admin_marker(&p.account),
            "administrator",
            reason,
            grant,
            vec![cut],
            p,
        );
    }

    trust_edges(gaad, &perms, &mut g, ctx);
    escalation_edges(gaad, &perms, &admins, &mut g, ctx);
}

fn admin_marker(account: &str) -> String {
    format!("aws:account-admin:{account}")
}

fn revoke(id: &str, action: &str, cost: u32) -> Revoke {
    Revoke {
        id: id.to_string(),
        action: action.to_string(),
        cost,
    }
}

/// Adds nodes and edges, keeping whatever another input defined first.
struct Adder<'a> {
    graph: &'a mut TrustGraph,
    warnings: &'a mut Vec<Warning>,
}

impl Adder<'_> {
    fn provenance(&mut self, file: &str, place: &Place) -> Provenance {
        Provenance {
            source: self.graph.intern_source(file),
            place: place.clone(),
        }
    }

    fn node(&mut self, node: Node) -> NodeId {
        match self.graph.add_node(node) {
            Ok(id) => id,
            Err(existing) => existing.0,
        }
    }

    fn principal(&mut self, p: &Principal, admin: bool) {
        let kind = match p.kind {
            PrincipalKind::User => NodeKind::ServiceAccount,
            PrincipalKind::Role => NodeKind::Role,
        };
        let mut node = Node::new(&p.arn, kind, self.provenance(&p.file, &p.place));
        node.platform = "aws".into();
        node.name = p.name.as_str().into();
        node.scope = Some(p.account.as_str().into());
        node.admin = admin;
        node.tags = p.tags.clone();
        node.tags.insert("unique_id".into(), p.id.clone());
        if p.service_linked() {
            node.tags.insert("service_linked".into(), "true".into());
        } else {
            node.revoke = vec![match p.kind {
                PrincipalKind::User => {
                    revoke(&format!("deny-all:{}", p.arn), "disable_identity", 4)
                }
                PrincipalKind::Role => {
                    revoke(&format!("revoke-sessions:{}", p.arn), "revoke_sessions", 2)
                }
            }];
        }
        self.node(node);
    }

    /// A node for a principal named by a trust policy but absent from the inputs.
    fn outside(&mut self, key: &str, kind: NodeKind, name: String, why: &str, p: &Principal) {
        if self.graph.find(key).is_none() {
            let mut node = Node::new(key, kind, self.provenance(&p.file, &p.place));
            node.platform = "aws".into();
            node.name = name.into();
            node.tags.insert("not_in_inputs".into(), why.into());
            self.node(node);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn edge(
        &mut self,
        from: &str,
        to: &str,
        kind: EdgeKind,
        reason: String,
        conditions: Vec<crate::model::Condition>,
        revoke: Vec<Revoke>,
        (file, place): (&str, &Place),
    ) {
        let (Some(a), Some(b)) = (self.graph.find(from), self.graph.find(to)) else {
            return;
        };
        let provenance = self.provenance(file, place);
        let mut edge = Edge::new(kind, &reason, provenance);
        edge.conditions = conditions;
        edge.revoke = revoke;
        self.graph.add_edge(a, b, edge);
    }

    #[allow(clippy::too_many_arguments)]
    fn escalation(
        &mut self,
        from: &str,
        to: &str,
        technique: &str,
        reason: String,
        grant: &Grant,
        revoke: Vec<Revoke>,
        p: &Principal,
    ) {
        let (Some(a), Some(b)) = (self.graph.find(from), self.graph.find(to)) else {
            return;
        };
        let provenance = self.provenance(&p.file, &p.place);
        let mut edge = Edge::new(EdgeKind::CanEscalate, &reason, provenance);
        edge.technique = Some(technique.into());
        edge.conditions = grant.conditions.clone();
        edge.revoke = revoke;
        self.graph.add_edge(a, b, edge);
    }
}

const ASSUME: [&str; 3] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
];

fn trust_edges(
    gaad: &Gaad,
    perms: &BTreeMap<&str, Permissions<'_>>,
    g: &mut Adder<'_>,
    ctx: Context,
) {
    for role in gaad
        .principals
        .values()
        .filter(|p| p.kind == PrincipalKind::Role)
    {
        let Some(trust) = &role.trust else { continue };
        for st in trust
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            if !ASSUME.iter().any(|a| st.covers_action(a)) {
                continue;
            }
            let Some(principals) = &st.principal else {
                continue;
            };
            let Ok(open) = st.conditions_in(ctx) else {
                continue;
            };
            let conditions: Vec<_> = open.into_iter().map(|c| c.to_condition()).collect();
            let at = (role.file.as_str(), &role.place);
            let cut = |who: &str| {
                vec![revoke(
                    &format!("remove-trust:{}:{who}", role.arn),
                    "remove_trust",
                    2,
                )]
            };
            let quote = format!("trust policy of role/{}: {}", role.name, st.text);
            if principals.anyone || principals.not {
                g.outside(
                    "aws:anyone",
                    NodeKind::Group,
                    "any AWS principal".into(),
                    "public",
                    role,
                );
                let reason = format!("{quote} — the role is assumable by anyone");
                g.edge(
                    "aws:anyone",
                    &role.arn,
                    EdgeKind::CanAssume,
                    reason,
                    conditions.clone(),
                    cut("*"),
                    at,
                );
            }
            for service in &principals.service {
                let key = format!("aws:service:{service}");
                g.outside(
                    &key,
                    NodeKind::ServiceAccount,
                    service.clone(),
                    "AWS service principal",
                    role,
                );
                g.edge(
                    &key,
                    &role.arn,
                    EdgeKind::CanAssume,
                    quote.clone(),
                    conditions.clone(),
                    cut(service),
                    at,
                );
            }
            for provider in &principals.federated {
                let kind = if provider.contains(":saml-provider/") {
                    "SAML"
                } else {
                    "OIDC"
                };
                g.outside(
                    provider,
                    NodeKind::Provider,
                    format!("{kind} provider {provider}"),
                    "identity provider",
                    role,
                );
                g.edge(
                    provider,
                    &role.arn,
                    EdgeKind::CanAssume,
                    quote.clone(),
                    conditions.clone(),
                    cut(provider),
                    at,
                );
            }
            for entry in &principals.aws {
                aws_principal(gaad, perms, g, role, entry, &quote, &conditions, ctx);
            }
        }
    }
}

/// One `"AWS"` entry of a trust statement: an ARN, an account (root or bare id), or the
/// unique id a deleted principal leaves behind.
#[allow(clippy::too_many_arguments)]
fn aws_principal(
    gaad: &Gaad,
    perms: &BTreeMap<&str, Permissions<'_>>,
    g: &mut Adder<'_>,
    role: &Principal,
    entry: &str,
    quote: &str,
    conditions: &[crate::model::Condition],
    ctx: Context,
) {
    let at = (role.file.as_str(), &role.place);
    let cut = vec![revoke(
        &format!("remove-trust:{}:{entry}", role.arn),
        "remove_trust",
        2,
    )];
    let account = if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        Some(entry)
    } else {
        entry.strip_suffix(":root").map(account_of)
    };
    if let Some(account) = account {
        // The account delegates to its own IAM: a principal there also needs an
        // identity policy that allows sts:AssumeRole on the role.
        let members: Vec<&Principal> = gaad
            .principals
            .values()
            .filter(|p| p.account == account)
            .collect();
        if members.is_empty() {
            let key = format!("arn:aws:iam::{account}:root");
            g.outside(
                &key,
                NodeKind::Group,
                format!("any principal of account {account}"),
                "account not in inputs",
                role,
            );
            g.edge(
                &key,
                &role.arn,
                EdgeKind::CanAssume,
                quote.to_string(),
                conditions.to_vec(),
                cut,
                at,
            );
            return;
        }
        for p in members {
            if p.arn == role.arn {
                continue;
            }
            if let Some(grant) = perms[p.arn.as_str()].allows("sts:AssumeRole", &role.arn, ctx) {
                let reason = format!("{quote}; and {}", grant.why);
                let mut all = conditions.to_vec();
                all.extend(grant.conditions);
                g.edge(
                    &p.arn,
                    &role.arn,
                    EdgeKind::CanAssume,
                    reason,
                    all,
                    cut.clone(),
                    at,
                );
            }
        }
        return;
    }
    if let Some(p) = gaad.principals.get(entry) {
        // Naming the principal itself: in the same account the trust policy is enough;
        // across accounts the caller's own policies must allow it too.
        let grant = if p.account == role.account {
            Some(Grant {
                why: String::new(),
                conditions: Vec::new(),
            })
        } else {
            perms[p.arn.as_str()].allows("sts:AssumeRole", &role.arn, ctx)
        };
        if let Some(grant) = grant {
            let reason = if grant.why.is_empty() {
                quote.to_string()
            } else {
                format!("{quote}; and {}", grant.why)
            };
            let mut all = conditions.to_vec();
            all.extend(grant.conditions);
            g.edge(&p.arn, &role.arn, EdgeKind::CanAssume, reason, all, cut, at);
        }
        return;
    }
    let deleted = !entry.starts_with("arn:");
    let (key, kind, name, why) = if deleted {
        let kind = if entry.starts_with("AIDA") {
            NodeKind::ServiceAccount
        } else {
            NodeKind::Role
        };
        (
            format!("aws:deleted:{entry}"),
            kind,
            format!("deleted principal {entry}"),
            "deleted principal",
        )
    } else {
        let kind = if entry.contains(":user/") {
            NodeKind::ServiceAccount
        } else {
            NodeKind::Role
        };
        (
            entry.to_string(),
            kind,
            entry.rsplit('/').next().unwrap_or(entry).to_string(),
            "not in inputs",
        )
    };
    if deleted {
        let message = format!(
            "trust policy of role/{} names {entry}: the unique id of a deleted principal (a new principal with the same name does not match it)",
            role.name
        );
        g.warnings
            .push(Warning::new(&role.file, role.place.in_message(), message));
    }
    g.outside(&key, kind, name, why, role);
    g.edge(
        &key,
        &role.arn,
        EdgeKind::CanAssume,
        quote.to_string(),
        conditions.to_vec(),
        cut,
        at,
    );
}

fn escalation_edges(
    gaad: &Gaad,
    perms: &BTreeMap<&str, Permissions<'_>>,
    admins: &BTreeMap<&str, Grant>,
    g: &mut Adder<'_>,
    ctx: Context,
) {
    let trusting = trusting_roles(gaad);
    let admin_groups = admin_groups(gaad, ctx);
    for p in gaad.principals.values() {
        // An administrator already reaches everything in its account.
        if admins.contains_key(p.arn.as_str()) {
            continue;
        }
        let perm = &perms[p.arn.as_str()];
        let cut = |grant: &Grant| {
            vec![revoke(
                &format!(
                    "remove-statement:{}",
                    grant.why.split(':').next().unwrap_or("")
                ),
                "detach_policy",
                3,
            )]
        };

        // Credentials of other users.
        for (action, note) in [
            ("iam:CreateAccessKey", None),
            (
                "iam:CreateLoginProfile",
                Some("if the user has no console password yet"),
            ),
            (
                "iam:UpdateLoginProfile",
                Some("if the user has a console password"),
            ),
        ] {
            if !perm.may_allow(action) {
                continue;
            }
            for u in gaad
                .principals
                .values()
                .filter(|u| u.kind == PrincipalKind::User && u.arn != p.arn)
            {
                if let Some(mut grant) = perm.allows(action, &u.arn, ctx) {
                    if let Some(note) = note {
                        grant.conditions.push(plain_condition(note));
                    }
                    let reason = format!("{action} on user/{}: {}", u.name, grant.why);
                    g.escalation(&p.arn, &u.arn, action, reason, &grant, cut(&grant), p);
                }
            }
        }

        // Joining a group to gain its permissions.
        if p.kind == PrincipalKind::User && perm.may_allow("iam:AddUserToGroup") {
            for group in gaad
                .groups
                .values()
                .filter(|gr| gr.account == p.account && !p.groups.contains(&gr.name))
            {
                if let Some(grant) = perm.allows("iam:AddUserToGroup", &group.arn, ctx) {
                    let reason = format!(
                        "iam:AddUserToGroup on group {}: {} can join it and gain its permissions; {}",
                        group.name, p.name, grant.why
                    );
                    g.escalation(
                        &p.arn,
                        &group.arn,
                        "iam:AddUserToGroup",
                        reason,
                        &grant,
                        cut(&grant),
                        p,
                    );
                    // Membership of an administrators' group makes an administrator,
                    // unless the user's own boundary stops it.
                    if admin_groups.contains(group.arn.as_str()) && perm.boundary.is_none() {
                        let reason = format!(
                            "iam:AddUserToGroup on group {}, which grants * on *: {}",
                            group.name, grant.why
                        );
                        let marker = admin_marker(&p.account);
                        ensure_marker(g, &p.account);
                        g.escalation(
                            &p.arn,
                            &marker,
                            "iam:AddUserToGroup",
                            reason,
                            &grant,
                            cut(&grant),
                            p,
                        );
                    }
                }
            }
        }

        // Rewriting a role's trust policy.
        if perm.may_allow("iam:UpdateAssumeRolePolicy") {
            for r in gaad
                .principals
                .values()
                .filter(|r| r.kind == PrincipalKind::Role && r.arn != p.arn && !r.service_linked())
            {
                if let Some(grant) = perm.allows("iam:UpdateAssumeRolePolicy", &r.arn, ctx) {
                    let reason = format!(
                        "iam:UpdateAssumeRolePolicy on role/{}: {}",
                        r.name, grant.why
                    );
                    g.escalation(
                        &p.arn,
                        &r.arn,
                        "iam:UpdateAssumeRolePolicy",
                        reason,
                        &grant,
                        cut(&grant),
                        p,
                    );
                }
            }
        }

        // Granting itself more: the administrator marker of its account.
        for (technique, what, grant) in self_escalations(gaad, p, perm, ctx) {
            let reason = format!(
                "{technique} on {what} lets {} grant itself any permission: {}",
                p.name, grant.why
            );
            let marker = admin_marker(&p.account);
            ensure_marker(g, &p.account);
            g.escalation(&p.arn, &marker, &technique, reason, &grant, cut(&grant), p);
        }

        // Passing a role to a service that runs code as it.
        for (service, combos) in PASS_ROLE {
            let Some(roles) = trusting.get(service) else {
                continue;
            };
            if !perm.may_allow("iam:PassRole") {
                continue;
            }
            for combo in combos.iter() {
                let extras: Option<Vec<Grant>> =
                    combo.iter().map(|a| perm.allows(a, "*", ctx)).collect();
                let Some(extras) = extras else { continue };
                for r in roles.iter().filter(|r| r.arn != p.arn) {
                    let Some(mut grant) = perm.allows("iam:PassRole", &r.arn, ctx) else {
                        continue;
                    };
                    let technique = format!("iam:PassRole+{}", combo.join("+"));
                    let quotes: Vec<&str> = extras.iter().map(|e| e.why.as_str()).collect();
                    let reason = format!(
                        "{technique}: role/{} trusts {service}; {}; {}",
                        r.name,
                        grant.why,
                        quotes.join("; ")
                    );
                    grant
                        .conditions
                        .extend(extras.iter().flat_map(|e| e.conditions.iter().cloned()));
                    g.escalation(&p.arn, &r.arn, &technique, reason, &grant, cut(&grant), p);
                }
            }
        }

        // Code or sessions on resources the export does not list: potential edges.
        for (service, action) in EXISTING {
            let Some(roles) = trusting.get(service) else {
                continue;
            };
            if !perm.may_allow(action) {
                continue;
            }
            let Some(mut grant) = perm.allows(action, "*", ctx) else {
                continue;
            };
            grant.conditions.push(plain_condition(&format!(
                "a resource ({service}) running as the role must exist; the export does not list them"
            )));
            for r in roles.iter().filter(|r| r.arn != p.arn) {
                let reason = format!(
                    "{action} on existing resources that run as role/{} (it trusts {service}): {}",
                    r.name, grant.why
                );
                let (Some(a), Some(b)) = (g.graph.find(&p.arn), g.graph.find(&r.arn)) else {
                    continue;
                };
                let provenance = g.provenance(&p.file, &p.place);
                let mut edge = Edge::new(EdgeKind::CanEscalate, &reason, provenance);
                edge.technique = Some(action.into());
                edge.potential = true;
                edge.conditions = grant.conditions.clone();
                edge.revoke = cut(&grant);
                g.graph.add_edge(a, b, edge);
            }
        }
    }
}

fn ensure_marker(g: &mut Adder<'_>, account: &str) {
    let marker = admin_marker(account);
    if g.graph.find(&marker).is_none() {
        let mut node = Node::new(&marker, NodeKind::Resource, Provenance::default());
        node.platform = "aws".into();
        node.name = format!("administrator of account {account}").into();
        node.scope = Some(account.into());
        node.admin = true;
        g.node(node);
    }
}

fn plain_condition(description: &str) -> crate::model::Condition {
    crate::model::Condition {
        description: description.to_string(),
        key: None,
        operator: None,
        values: Vec::new(),
    }
}

/// Groups whose own policies grant `*` on `*`.
fn admin_groups(gaad: &Gaad, ctx: Context) -> BTreeSet<&str> {
    let labels = Labels::default();
    gaad.groups
        .values()
        .filter(|group| {
            let perm = Permissions::of_group(gaad, group, &labels);
            ADMIN_PROBES
                .iter()
                .all(|a| perm.allows(a, "*", ctx).is_some())
        })
        .map(|group| group.arn.as_str())
        .collect()
}

/// Roles by the service principals their trust policies allow.
fn trusting_roles(gaad: &Gaad) -> BTreeMap<&str, Vec<&Principal>> {
    let mut map: BTreeMap<&str, Vec<&Principal>> = BTreeMap::new();
    for role in gaad
        .principals
        .values()
        .filter(|p| p.kind == PrincipalKind::Role && !p.service_linked())
    {
        let Some(trust) = &role.trust else { continue };
        for st in trust
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            for service in st.principal.iter().flat_map(|p| &p.service) {
                let entry = map.entry(service.as_str()).or_default();
                if !entry.iter().any(|r| r.arn == role.arn) {
                    entry.push(role);
                }
            }
        }
    }
    map
}

/// Ways a principal can raise its own permissions to anything: (action, on what, grant).
fn self_escalations(
    gaad: &Gaad,
    p: &Principal,
    perm: &Permissions<'_>,
    ctx: Context,
) -> Vec<(String, String, Grant)> {
    let mut found = Vec::new();
    let mut try_action = |action: &str, resource: &str, what: String| {
        if perm.may_allow(action)
            && let Some(grant) = perm.allows(action, resource, ctx)
        {
            found.push((action.to_string(), what, grant));
        }
    };
    match p.kind {
        PrincipalKind::User => {
            try_action("iam:PutUserPolicy", &p.arn, "itself".into());
            try_action("iam:AttachUserPolicy", &p.arn, "itself".into());
            for group in gaad.groups_of(p) {
                try_action(
                    "iam:PutGroupPolicy",
                    &group.arn,
                    format!("its group {}", group.name),
                );
                try_action(
                    "iam:AttachGroupPolicy",
                    &group.arn,
                    format!("its group {}", group.name),
                );
            }
        }
        PrincipalKind::Role => {
            try_action("iam:PutRolePolicy", &p.arn, "itself".into());
            try_action("iam:AttachRolePolicy", &p.arn, "itself".into());
        }
    }
    // Customer-managed policies attached to it (or its groups): a new default version
    // can say anything. AWS-managed policies cannot be changed.
    let mut attached: Vec<&str> = p.managed.iter().map(String::as_str).collect();
    attached.extend(
        gaad.groups_of(p)
            .flat_map(|g| g.managed.iter().map(String::as_str)),
    );
    for arn in attached
        .into_iter()
        .filter(|a| !a.starts_with("arn:aws:iam::aws:"))
    {
        try_action("iam:CreatePolicyVersion", arn, format!("its policy {arn}"));
        if gaad
            .policies
            .get(arn)
            .is_some_and(|pol| !pol.other_versions.is_empty())
        {
            try_action(
                "iam:SetDefaultPolicyVersion",
                arn,
                format!("its policy {arn} (another version exists)"),
            );
        }
    }
    found
}
