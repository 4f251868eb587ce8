//! Effective permissions of a principal: identity policies (inline, managed, and for a
//! user those of its groups), then the permission boundary. An explicit deny anywhere
//! wins; an unconditional allow is needed in the identity policies and, when there is
//! one, in the boundary. Conditions trustpath cannot evaluate are carried on the grant,
//! so the edge it becomes is marked conditional instead of dropped.

use super::commands::policy_cmd;
use super::gaad::{Gaad, Inline, Principal, PrincipalKind};
use super::policy::{Clause, Context, Effect, Statement, Vars};
use std::collections::HashMap;

use crate::model::{Condition, Revoke};
use crate::shell::Cmd;

/// A statement with the policy it sits in.
#[derive(Clone, Copy)]
pub struct Sourced<'g> {
    pub policy: &'g Origin,
    pub statement: &'g Statement,
}

/// Where a statement comes from, and how to take it away from the principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// "inline policy ci of user/x", "managed policy Deploy (attached to role/deploy)"
    pub label: String,
    /// Deleting the inline policy, or detaching the managed one from its holder.
    pub revoke: Revoke,
}

/// The statements that decide what a principal may do.
pub struct Permissions<'g> {
    pub identity: Vec<Sourced<'g>>,
    /// Policy variables (`${aws:username}`) as this principal's requests fill them.
    pub vars: Vars,
    /// The permission boundary's statements, when it has one in the export.
    pub boundary: Option<Vec<Sourced<'g>>>,
    /// A boundary the export does not contain: grants become conditional on it.
    pub boundary_missing: Option<String>,
    /// A user can sign requests with a long-term key; a role only has sessions.
    pub long_term: bool,
    /// The service control policies of the principal's account: one of them must allow,
    /// and a deny in any wins. (Service-linked roles are exempt.)
    pub scp: Option<Vec<Sourced<'g>>>,
    /// Added to every grant (a group's grants hold for members whose own policies,
    /// boundary and SCPs do not block them).
    pub note: Option<Condition>,
}

/// Why a principal may do something: the allowing statement and what it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// "inline policy deploy of role/deploy: {…statement…}"
    pub why: String,
    pub conditions: Vec<Condition>,
    /// What removes every policy that allows it (empty when the grant is implicit, as for
    /// a trust policy that names the principal).
    pub revoke: Vec<Revoke>,
}

impl Grant {
    /// Allowed without an identity policy (a same-account trust naming the principal).
    pub fn implicit() -> Grant {
        Grant {
            why: String::new(),
            conditions: Vec::new(),
            revoke: Vec::new(),
        }
    }
}

/// Appends the statements of the inline and attached managed policies of one user,
/// role or group (`holder`), each with the policy it came from.
fn held<'g>(
    gaad: &'g Gaad,
    labels: &'g Labels,
    holder: &str,
    inline: &'g [Inline],
    managed: &[String],
    out: &mut Vec<Sourced<'g>>,
) {
    let mut push = |policy: &'g Origin, doc: &'g super::policy::Parsed| {
        out.extend(
            doc.statements
                .iter()
                .map(|statement| Sourced { policy, statement }),
        );
    };
    for (i, policy) in inline.iter().enumerate() {
        push(labels.inline(holder, i), &policy.doc);
    }
    for arn in managed {
        if let Some(policy) = gaad.policies.get(arn) {
            push(labels.managed(arn, holder), &policy.doc);
        }
    }
}

/// The statements of the service control policies of an account, when any are loaded.
fn scp_statements<'g>(
    gaad: &'g Gaad,
    labels: &'g Labels,
    account: &str,
) -> Option<Vec<Sourced<'g>>> {
    gaad.scps.get(account).map(|scps| {
        scps.iter()
            .flat_map(|scp| {
                let policy = labels.scp(&scp.name);
                scp.doc
                    .statements
                    .iter()
                    .map(move |statement| Sourced { policy, statement })
            })
            .collect()
    })
}

impl<'g> Permissions<'g> {
    /// Gathers a principal's statements; labels name each policy for edge reasons.
    pub fn of(gaad: &'g Gaad, p: &'g Principal, labels: &'g Labels) -> Permissions<'g> {
        let mut identity = Vec::new();
        held(gaad, labels, &p.arn, &p.inline, &p.managed, &mut identity);
        if p.kind == PrincipalKind::User {
            for group in gaad.groups_of(p) {
                held(
                    gaad,
                    labels,
                    &group.arn,
                    &group.inline,
                    &group.managed,
                    &mut identity,
                );
            }
        }
        let boundary = p.boundary.as_ref().and_then(|arn| {
            gaad.policies.get(arn).map(|policy| {
                policy
                    .doc
                    .statements
                    .iter()
                    .map(|statement| Sourced {
                        policy: labels.boundary(arn),
                        statement,
                    })
                    .collect()
            })
        });
        let boundary_missing = p
            .boundary
            .clone()
            .filter(|arn| !gaad.policies.contains_key(arn));
        let vars = Vars {
            username: if p.kind == PrincipalKind::User {
                p.name.clone()
            } else {
                String::new()
            },
            userid: p.id.clone(),
            account: p.account.clone(),
        };
        let scp = (!p.service_linked())
            .then(|| scp_statements(gaad, labels, &p.account))
            .flatten();
        Permissions {
            identity,
            vars,
            boundary,
            boundary_missing,
            long_term: p.kind == PrincipalKind::User,
            scp,
            note: None,
        }
    }

    /// The statements of a group alone (what membership adds).
    pub fn of_group(
        gaad: &'g Gaad,
        group: &'g super::gaad::Group,
        labels: &'g Labels,
    ) -> Permissions<'g> {
        let mut identity = Vec::new();
        held(
            gaad,
            labels,
            &group.arn,
            &group.inline,
            &group.managed,
            &mut identity,
        );
        Permissions {
            identity,
            vars: Vars::default(),
            boundary: None,
            boundary_missing: None,
            long_term: true,
            scp: scp_statements(gaad, labels, &group.account),
            note: Some(Condition {
                description: format!(
                    "as a member of group {} whose own policies and boundary do not block it",
                    group.name
                ),
                key: None,
                operator: None,
                values: Vec::new(),
            }),
        }
    }

    /// Whether `action` on `resource` is allowed in the attacker's context: for a user,
    /// with its long-term key or with a session; for a role, with a session.
    pub fn allows(&self, action: &str, resource: &str, ctx: Context) -> Option<Grant> {
        self.check(action, Target::Resource(resource), ctx)
    }

    /// Whether `action` is allowed on some resource (the resources themselves are not in
    /// the export); a grant limited to certain resources says so in a condition.
    pub fn allows_some(&self, action: &str, ctx: Context) -> Option<Grant> {
        self.check(action, Target::Some, ctx)
    }

    /// The resources the Allow statements for `action` name, when all are literal ARNs
    /// (after policy variables); `None` when any is a pattern or a `NotResource`.
    pub fn literal_resources(&self, action: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for s in self
            .identity
            .iter()
            .filter(|s| s.statement.effect == Effect::Allow && s.statement.covers_action(action))
        {
            out.extend(s.statement.literal_resources(&self.vars)?);
        }
        Some(out)
    }

    /// An explicit, unconditional deny of `action` on `resource`.
    pub fn denies(&self, action: &str, resource: &str, ctx: Context) -> bool {
        self.identity.iter().any(|s| {
            s.statement.effect == Effect::Deny
                && s.statement.covers(action, resource, &self.vars)
                && s.statement
                    .conditions_in(ctx)
                    .is_ok_and(|open| open.is_empty())
        })
    }

    fn check(&self, action: &str, target: Target<'_>, ctx: Context) -> Option<Grant> {
        let long_term = self.long_term.then(|| ctx.with_long_term_key());
        [long_term, Some(ctx)]
            .into_iter()
            .flatten()
            .find_map(|ctx| {
                let mut grant = decide(&self.identity, action, target, &self.vars, ctx)?;
                if let Some(boundary) = &self.boundary {
                    let limit = decide(boundary, action, target, &self.vars, ctx)?;
                    grant.conditions.extend(limit.conditions);
                }
                if let Some(scp) = &self.scp {
                    let limit = decide(scp, action, target, &self.vars, ctx)?;
                    grant.conditions.extend(limit.conditions);
                }
                if let Some(missing) = &self.boundary_missing {
                    grant.conditions.push(Condition {
                        description: format!(
                            "if permission boundary {missing} (not in the export) allows it"
                        ),
                        key: None,
                        operator: None,
                        values: Vec::new(),
                    });
                }
                grant.conditions.extend(self.note.clone());
                Some(grant)
            })
    }

    /// Whether any statement could allow `action` at all (a cheap pre-filter before
    /// checking every possible target).
    pub fn may_allow(&self, action: &str) -> bool {
        self.identity
            .iter()
            .any(|s| s.statement.effect == Effect::Allow && s.statement.covers_action(action))
    }
}

/// What a check is about: one resource, or whether the action is allowed on any
/// resource at all (for techniques whose resources the export cannot list).
#[derive(Clone, Copy)]
enum Target<'a> {
    Resource(&'a str),
    Some,
}

fn decide(
    statements: &[Sourced<'_>],
    action: &str,
    target: Target<'_>,
    vars: &Vars,
    ctx: Context,
) -> Option<Grant> {
    let covers = |st: &Statement| match target {
        Target::Resource(r) => st.covers(action, r, vars),
        Target::Some => st.covers_action(action),
    };
    let mut unless = Vec::new();
    for s in statements
        .iter()
        .filter(|s| s.statement.effect == Effect::Deny)
    {
        // On "some resource", only a deny of every resource blocks for sure.
        let blocks_all = match target {
            Target::Resource(_) => true,
            Target::Some => s.statement.covers_every_resource(),
        };
        if !covers(s.statement) {
            continue;
        }
        match s.statement.conditions_in(ctx) {
            Ok(open) if open.is_empty() && blocks_all => return None,
            Ok(open) if open.is_empty() => unless.push(Condition {
                description: format!("unless the resource is one {} denies", s.policy.label),
                key: None,
                operator: None,
                values: Vec::new(),
            }),
            Ok(open) => unless.extend(open.into_iter().map(|c| negated(c, &s.policy.label))),
            Err(()) => {}
        }
    }
    let mut best: Option<(Vec<&Clause>, &Sourced<'_>)> = None;
    // Every statement that allows it must go for the grant to go.
    let mut revoke: Vec<Revoke> = Vec::new();
    for s in statements
        .iter()
        .filter(|s| s.statement.effect == Effect::Allow)
    {
        if !covers(s.statement) {
            continue;
        }
        let Ok(open) = s.statement.conditions_in(ctx) else {
            continue;
        };
        if !revoke.iter().any(|r| r.id == s.policy.revoke.id) {
            revoke.push(s.policy.revoke.clone());
        }
        if best.as_ref().is_none_or(|(b, _)| open.len() < b.len()) {
            best = Some((open, s));
        }
    }
    let (open, s) = best?;
    let mut conditions: Vec<Condition> = open.into_iter().map(Clause::to_condition).collect();
    if let Target::Some = target
        && !s.statement.covers_every_resource()
    {
        conditions.push(Condition {
            description: format!("on resources that {} names", s.policy.label),
            key: None,
            operator: None,
            values: Vec::new(),
        });
    }
    conditions.extend(unless);
    Some(Grant {
        why: format!("{}: {}", s.policy.label, s.statement.text),
        revoke,
        conditions,
    })
}

/// A conditional deny that may or may not apply: the grant holds only if it does not.
fn negated(clause: &Clause, policy: &str) -> Condition {
    let mut c = clause.to_condition();
    c.description = format!("unless a deny in {policy} applies ({})", c.description);
    c
}

/// Every policy's [`Origin`], built once so that grants can borrow them.
pub struct Labels {
    inline: HashMap<(String, usize), Origin>,
    /// Keyed by (policy ARN, holder ARN): detaching depends on who holds it.
    managed: HashMap<(String, String), Origin>,
    boundaries: HashMap<String, Origin>,
    scps: HashMap<String, Origin>,
    unknown: Origin,
}

impl Default for Labels {
    fn default() -> Labels {
        Labels {
            inline: HashMap::new(),
            managed: HashMap::new(),
            boundaries: HashMap::new(),
            scps: HashMap::new(),
            unknown: Origin {
                label: "a policy".into(),
                revoke: Revoke {
                    id: "unknown-policy".into(),
                    action: "detach_policy".into(),
                    cost: 3,
                    commands: Vec::new(),
                    from_file: false,
                },
            },
        }
    }
}

/// The IAM entity a policy is attached to, as the CLI names it.
struct Holder<'a> {
    /// `user`, `role` or `group`
    kind: &'a str,
    name: &'a str,
    arn: &'a str,
}

fn inline_origin(h: &Holder<'_>, policy: &str) -> Origin {
    let kind = h.kind;
    Origin {
        label: format!("inline policy {policy} of {kind}/{}", h.name),
        revoke: Revoke {
            id: format!("delete-inline-policy:{}:{policy}", h.arn),
            action: "detach_policy".into(),
            cost: 3,
            commands: vec![
                policy_cmd("get", kind, h.name)
                    .args(["--policy-name", policy])
                    .to_file(format!("{}.json", policy.replace(['/', ' '], "_")))
                    .note("keep a copy")
                    .into(),
                policy_cmd("delete", kind, h.name)
                    .args(["--policy-name", policy])
                    .into(),
            ],
            from_file: false,
        },
    }
}

fn managed_origin(h: &Holder<'_>, policy: &str, arn: &str) -> Origin {
    let kind = h.kind;
    Origin {
        label: format!("managed policy {policy} (attached to {kind}/{})", h.name),
        revoke: Revoke {
            id: format!("detach-policy:{arn}:{}", h.arn),
            action: "detach_policy".into(),
            cost: 3,
            commands: vec![
                Cmd::new("aws")
                    .args(["iam", &format!("detach-{kind}-policy")])
                    .arg(format!("--{kind}-name"))
                    .args([h.name, "--policy-arn", arn])
                    .into(),
            ],
            from_file: false,
        },
    }
}

impl Labels {
    /// The origins of the inline and attached managed policies of one user, role or
    /// group.
    fn add_holder(
        &mut self,
        holder: &Holder<'_>,
        inline: &[Inline],
        managed: &[String],
        policy_name: &dyn Fn(&str) -> String,
    ) {
        for (i, policy) in inline.iter().enumerate() {
            self.inline.insert(
                (holder.arn.to_string(), i),
                inline_origin(holder, &policy.name),
            );
        }
        for arn in managed {
            self.managed.insert(
                (arn.clone(), holder.arn.to_string()),
                managed_origin(holder, &policy_name(arn), arn),
            );
        }
    }

    pub fn new(gaad: &Gaad) -> Labels {
        let mut labels = Labels::default();
        let policy_name = |arn: &str| {
            gaad.policies.get(arn).map_or_else(
                || arn.rsplit('/').next().unwrap_or(arn).to_string(),
                |p| p.name.clone(),
            )
        };
        for p in gaad.principals.values() {
            let kind = if p.kind == PrincipalKind::User {
                "user"
            } else {
                "role"
            };
            let holder = Holder {
                kind,
                name: &p.name,
                arn: &p.arn,
            };
            labels.add_holder(&holder, &p.inline, &p.managed, &policy_name);
            if let Some(arn) = &p.boundary {
                let origin = Origin {
                    label: format!("permission boundary {}", policy_name(arn)),
                    ..labels.unknown.clone()
                };
                labels.boundaries.insert(arn.clone(), origin);
            }
        }
        for scp in gaad.scps.values().flatten() {
            let origin = Origin {
                label: scp.name.clone(),
                ..labels.unknown.clone()
            };
            labels.scps.insert(scp.name.clone(), origin);
        }
        for g in gaad.groups.values() {
            let holder = Holder {
                kind: "group",
                name: &g.name,
                arn: &g.arn,
            };
            labels.add_holder(&holder, &g.inline, &g.managed, &policy_name);
        }
        labels
    }

    fn inline(&self, owner: &str, i: usize) -> &Origin {
        self.inline
            .get(&(owner.to_string(), i))
            .unwrap_or(&self.unknown)
    }

    fn managed(&self, arn: &str, holder: &str) -> &Origin {
        self.managed
            .get(&(arn.to_string(), holder.to_string()))
            .unwrap_or(&self.unknown)
    }

    fn scp(&self, name: &str) -> &Origin {
        self.scps.get(name).unwrap_or(&self.unknown)
    }

    fn boundary(&self, arn: &str) -> &Origin {
        self.boundaries.get(arn).unwrap_or(&self.unknown)
    }
}
