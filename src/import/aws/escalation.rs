//! Privilege-escalation edges: what a principal's own permissions let it become.

use std::collections::{BTreeMap, BTreeSet};

use super::credentials::Credentials;
use super::edges::{ADMIN_PROBES, Adder, Perms, admin_marker, ensure_marker};
use super::eval::{Grant, Labels, Permissions};
use super::gaad::{Gaad, Principal, PrincipalKind};
use super::policy::{Context, Effect};
use crate::model::Condition;
use crate::model::{Edge, EdgeKind};

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

pub(super) fn edges(
    gaad: &Gaad,
    creds: &Credentials,
    perms: &Perms<'_>,
    admins: &BTreeMap<&str, Grant>,
    g: &mut Adder<'_>,
    ctx: Context,
) {
    let trusting = trusting_roles(gaad);
    let admin_groups = admin_groups(gaad, ctx);
    let labels = Labels::new(gaad);
    let source = Source {
        gaad,
        creds,
        trusting: &trusting,
        admin_groups: &admin_groups,
        ctx,
    };
    for p in gaad.principals.values() {
        // An administrator already reaches everything in its account.
        if admins.contains_key(p.arn.as_str()) {
            continue;
        }
        source.edges(p, &perms[p.arn.as_str()], g);
    }
    // A group's own permissions, as edges from the group node: what its members (and
    // whoever can add itself to it) can do through it.
    for group in gaad.groups.values() {
        let perm = Permissions::of_group(gaad, group, &labels);
        if perm.identity.is_empty() {
            continue;
        }
        let member = Principal::group_member(group);
        if admin_groups.contains(group.arn.as_str()) {
            // An administrators' group: one edge to the account, not the whole catalogue.
            let Some(grant) = perm.allows("iam:PutRolePolicy", "*", ctx) else {
                continue;
            };
            ensure_marker(g, gaad, &group.account);
            let marker = admin_marker(&group.account);
            let reason = format!("members of group {} have * on *: {}", group.name, grant.why);
            let cut = grant.revoke.clone();
            g.escalation(
                &group.arn,
                &marker,
                "administrator",
                reason,
                &grant,
                cut,
                &member,
            );
            continue;
        }
        source.edges(&member, &perm, g);
    }
}

/// What the techniques need besides the principal.
struct Source<'a, 'g> {
    gaad: &'g Gaad,
    creds: &'a Credentials,
    trusting: &'a BTreeMap<&'g str, Vec<&'g Principal>>,
    admin_groups: &'a BTreeSet<&'g str>,
    ctx: Context,
}

impl Source<'_, '_> {
    /// Every escalation edge out of `p` with permissions `perm`.
    fn edges(&self, p: &Principal, perm: &Permissions<'_>, g: &mut Adder<'_>) {
        let Source {
            gaad,
            creds,
            trusting,
            admin_groups,
            ctx,
        } = *self;
        let cut = |grant: &Grant| grant.revoke.clone().into_iter().collect::<Vec<_>>();

        // Credentials of other users (IAM has no resource policies: same account only).
        for action in [
            "iam:CreateAccessKey",
            "iam:CreateLoginProfile",
            "iam:UpdateLoginProfile",
        ] {
            if !perm.may_allow(action) {
                continue;
            }
            for u in targets(gaad, perm, action, p, PrincipalKind::User) {
                // CreateLoginProfile needs a user without a console password, Update one
                // with; the credential report tells which, when it is loaded.
                let password = creds.report.get(&u.arn).map(|r| r.password_enabled);
                let note = match (action, password) {
                    ("iam:CreateLoginProfile", Some(true))
                    | ("iam:UpdateLoginProfile", Some(false)) => continue,
                    ("iam:CreateLoginProfile", None) => {
                        Some("if the user has no console password yet")
                    }
                    ("iam:UpdateLoginProfile", None) => Some("if the user has a console password"),
                    _ => None,
                };
                if let Some(mut grant) = perm.allows(action, &u.arn, ctx) {
                    if let Some(note) = note {
                        grant.conditions.push(Condition::described(note));
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
                        ensure_marker(g, gaad, &p.account);
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
            for r in targets(
                gaad,
                perm,
                "iam:UpdateAssumeRolePolicy",
                p,
                PrincipalKind::Role,
            ) {
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

        // Granting itself more: the administrator marker of its account. A permission
        // boundary caps whatever the principal grants itself, so it stops this.
        let capped = perm.boundary.is_some() || perm.boundary_missing.is_some();
        for (technique, what, grant) in self_escalations(gaad, p, perm, ctx)
            .into_iter()
            .filter(|_| !capped)
        {
            let reason = format!(
                "{technique} on {what} lets {} grant itself any permission: {}",
                p.name, grant.why
            );
            let marker = admin_marker(&p.account);
            ensure_marker(g, gaad, &p.account);
            g.escalation(&p.arn, &marker, &technique, reason, &grant, cut(&grant), p);
        }

        // Passing a role to a service that runs code as it (only roles of its own account).
        for (service, combos) in PASS_ROLE {
            let Some(roles) = trusting.get(service) else {
                continue;
            };
            if !perm.may_allow("iam:PassRole") {
                continue;
            }
            for combo in combos.iter() {
                // The service's own actions act on resources the export cannot list.
                let extras: Option<Vec<Grant>> =
                    combo.iter().map(|a| perm.allows_some(a, ctx)).collect();
                let Some(extras) = extras else { continue };
                for r in roles
                    .iter()
                    .filter(|r| r.arn != p.arn && r.account == p.account)
                {
                    let passing = ctx.passing_to(service);
                    let Some(mut grant) = perm.allows("iam:PassRole", &r.arn, passing) else {
                        continue;
                    };
                    // EC2 runs a role only from an instance profile: one must exist, or
                    // the principal must be able to make one.
                    if service == "ec2.amazonaws.com" && r.instance_profiles.is_empty() {
                        let make = ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"]
                            .iter()
                            .all(|a| perm.allows_some(a, ctx).is_some());
                        if !make {
                            grant.conditions.push(Condition::described(
                                "if an instance profile holds the role (the export shows none)",
                            ));
                        }
                    }
                    let technique = format!("iam:PassRole+{}", combo.join("+"));
                    // Quote each allowing statement once, however many actions it covers.
                    let mut quotes: Vec<&str> = vec![grant.why.as_str()];
                    for e in &extras {
                        if !quotes.contains(&e.why.as_str()) {
                            quotes.push(&e.why);
                        }
                    }
                    let reason = format!(
                        "{technique}: role/{} trusts {service}; {}",
                        r.name,
                        quotes.join("; ")
                    );
                    for e in &extras {
                        grant.conditions.extend(e.conditions.iter().cloned());
                        for cut in &e.revoke {
                            if !grant.revoke.iter().any(|x| x.id == cut.id) {
                                grant.revoke.push(cut.clone());
                            }
                        }
                    }
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
            let Some(mut grant) = perm.allows_some(action, ctx) else {
                continue;
            };
            grant.conditions.push(Condition::described(format!(
                "a resource ({service}) running as the role must exist; the export does not list them"
            )));
            for r in roles
                .iter()
                .filter(|r| r.arn != p.arn && r.account == p.account)
            {
                let reason = format!(
                    "{action} on existing resources that run as role/{} (it trusts {service}): {}",
                    r.name, grant.why
                );
                let (Some(a), Some(b)) = (g.graph.find(&p.arn), g.graph.find(&r.arn)) else {
                    continue;
                };
                let provenance = g.provenance(&p.file, &p.place);
                let mut edge = Edge::new(EdgeKind::CanEscalate, reason, provenance);
                edge.technique = Some(action.into());
                edge.potential = true;
                edge.conditions = grant.conditions.clone();
                edge.revoke = cut(&grant).into();
                g.graph.add_edge(a, b, edge);
            }
        }
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
    // AWS-managed policies (`arn:<partition>:iam::aws:policy/…`) cannot be changed.
    attached.extend(
        gaad.groups_of(p)
            .flat_map(|g| g.managed.iter().map(String::as_str)),
    );
    for arn in attached
        .into_iter()
        .filter(|a| !a.contains(":iam::aws:policy/"))
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

/// The principals of `kind` in `p`'s own account that `action` might target. When every
/// statement that allows it names literal ARNs (a self-service policy on
/// `user/${aws:username}`), only those; otherwise all of them.
fn targets<'g>(
    gaad: &'g Gaad,
    perm: &Permissions<'_>,
    action: &str,
    p: &'g Principal,
    kind: PrincipalKind,
) -> Vec<&'g Principal> {
    let usable = |t: &&Principal| {
        t.kind == kind && t.arn != p.arn && t.account == p.account && !t.service_linked()
    };
    match perm.literal_resources(action) {
        Some(arns) => arns
            .iter()
            .filter_map(|a| gaad.principals.get(a))
            .filter(usable)
            .collect(),
        None => gaad.principals.values().filter(usable).collect(),
    }
}
