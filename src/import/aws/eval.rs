//! Effective permissions of a principal: identity policies (inline, managed, and for a
//! user those of its groups), then the permission boundary. An explicit deny anywhere
//! wins; an unconditional allow is needed in the identity policies and, when there is
//! one, in the boundary. Conditions trustpath cannot evaluate are carried on the grant,
//! so the edge it becomes is marked conditional instead of dropped.

use super::gaad::{Gaad, Principal, PrincipalKind};
use super::policy::{Clause, Context, Effect, Statement, Vars};
use std::collections::HashMap;

use crate::model::{Condition, Revoke};

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
    /// `None`: no boundary. `Some(empty)`: a boundary that allows nothing (or is missing
    /// from the export, which the importer warns about).
    pub boundary: Option<Vec<Sourced<'g>>>,
}

/// Why a principal may do something: the allowing statement and what it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// "inline policy deploy of role/deploy: {…statement…}"
    pub why: String,
    pub conditions: Vec<Condition>,
    /// What removes the allowing policy (empty id when the grant is implicit).
    pub revoke: Option<Revoke>,
}

impl<'g> Permissions<'g> {
    /// Gathers a principal's statements; labels name each policy for edge reasons.
    pub fn of(gaad: &'g Gaad, p: &'g Principal, labels: &'g Labels) -> Permissions<'g> {
        let mut identity = Vec::new();
        let mut push_doc = |label: &'g Origin, doc: &'g super::policy::Parsed| {
            identity.extend(doc.statements.iter().map(|statement| Sourced {
                policy: label,
                statement,
            }));
        };
        for (i, inline) in p.inline.iter().enumerate() {
            push_doc(labels.inline(&p.arn, i), &inline.doc);
        }
        for arn in &p.managed {
            if let Some(policy) = gaad.policies.get(arn) {
                push_doc(labels.managed(arn, &p.arn), &policy.doc);
            }
        }
        if p.kind == PrincipalKind::User {
            for group in gaad.groups_of(p) {
                for (i, inline) in group.inline.iter().enumerate() {
                    push_doc(labels.inline(&group.arn, i), &inline.doc);
                }
                for arn in &group.managed {
                    if let Some(policy) = gaad.policies.get(arn) {
                        push_doc(labels.managed(arn, &group.arn), &policy.doc);
                    }
                }
            }
        }
        let boundary = p.boundary.as_ref().map(|arn| {
            gaad.policies
                .get(arn)
                .map(|policy| {
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
                .unwrap_or_default()
        });
        let vars = Vars {
            username: if p.kind == PrincipalKind::User {
                p.name.clone()
            } else {
                String::new()
            },
            userid: p.id.clone(),
            account: p.account.clone(),
        };
        Permissions {
            identity,
            vars,
            boundary,
        }
    }

    /// The statements of a group alone (what membership adds).
    pub fn of_group(
        gaad: &'g Gaad,
        group: &'g super::gaad::Group,
        labels: &'g Labels,
    ) -> Permissions<'g> {
        let mut identity = Vec::new();
        for (i, inline) in group.inline.iter().enumerate() {
            let policy = labels.inline(&group.arn, i);
            identity.extend(
                inline
                    .doc
                    .statements
                    .iter()
                    .map(|statement| Sourced { policy, statement }),
            );
        }
        for arn in &group.managed {
            if let Some(p) = gaad.policies.get(arn) {
                let policy = labels.managed(arn, &group.arn);
                identity.extend(
                    p.doc
                        .statements
                        .iter()
                        .map(|statement| Sourced { policy, statement }),
                );
            }
        }
        Permissions {
            identity,
            vars: Vars::default(),
            boundary: None,
        }
    }

    /// Whether `action` on `resource` is allowed in the attacker's context.
    pub fn allows(&self, action: &str, resource: &str, ctx: Context) -> Option<Grant> {
        let mut grant = decide(&self.identity, action, resource, &self.vars, ctx)?;
        if let Some(boundary) = &self.boundary {
            let limit = decide(boundary, action, resource, &self.vars, ctx)?;
            grant.conditions.extend(limit.conditions);
        }
        Some(grant)
    }

    /// Whether any statement could allow `action` at all (a cheap pre-filter before
    /// checking every possible target).
    pub fn may_allow(&self, action: &str) -> bool {
        self.identity
            .iter()
            .any(|s| s.statement.effect == Effect::Allow && s.statement.covers_action(action))
    }
}

fn decide(
    statements: &[Sourced<'_>],
    action: &str,
    resource: &str,
    vars: &Vars,
    ctx: Context,
) -> Option<Grant> {
    let mut unless = Vec::new();
    for s in statements
        .iter()
        .filter(|s| s.statement.effect == Effect::Deny)
    {
        if !s.statement.covers(action, resource, vars) {
            continue;
        }
        match s.statement.conditions_in(ctx) {
            Ok(open) if open.is_empty() => return None,
            Ok(open) => unless.extend(open.into_iter().map(|c| negated(c, &s.policy.label))),
            Err(()) => {}
        }
    }
    let mut best: Option<(Vec<&Clause>, &Sourced<'_>)> = None;
    for s in statements
        .iter()
        .filter(|s| s.statement.effect == Effect::Allow)
    {
        if !s.statement.covers(action, resource, vars) {
            continue;
        }
        if let Ok(open) = s.statement.conditions_in(ctx)
            && best.as_ref().is_none_or(|(b, _)| open.len() < b.len())
        {
            best = Some((open, s));
        }
    }
    let (open, s) = best?;
    let mut conditions: Vec<Condition> = open.into_iter().map(Clause::to_condition).collect();
    conditions.extend(unless);
    Some(Grant {
        why: format!("{}: {}", s.policy.label, s.statement.text),
        revoke: Some(s.policy.revoke.clone()),
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
    unknown: Origin,
}

impl Default for Labels {
    fn default() -> Labels {
        Labels {
            inline: HashMap::new(),
            managed: HashMap::new(),
            boundaries: HashMap::new(),
            unknown: Origin {
                label: "a policy".into(),
                revoke: Revoke {
                    id: "unknown-policy".into(),
                    action: "detach_policy".into(),
                    cost: 3,
                    commands: Vec::new(),
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

/// Quotes a value for a POSIX shell.
pub fn shell(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@+=,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn inline_origin(h: &Holder<'_>, policy: &str) -> Origin {
    let (kind, name, p) = (h.kind, shell(h.name), shell(policy));
    Origin {
        label: format!("inline policy {policy} of {kind}/{}", h.name),
        revoke: Revoke {
            id: format!("delete-inline-policy:{}:{policy}", h.arn),
            action: "detach_policy".into(),
            cost: 3,
            commands: vec![
                format!(
                    "aws iam get-{kind}-policy --{kind}-name {name} --policy-name {p} > {}.json  # keep a copy",
                    policy.replace(['/', ' '], "_")
                ),
                format!("aws iam delete-{kind}-policy --{kind}-name {name} --policy-name {p}"),
            ],
        },
    }
}

fn managed_origin(h: &Holder<'_>, policy: &str, arn: &str) -> Origin {
    let (kind, name) = (h.kind, shell(h.name));
    Origin {
        label: format!("managed policy {policy} (attached to {kind}/{})", h.name),
        revoke: Revoke {
            id: format!("detach-policy:{arn}:{}", h.arn),
            action: "detach_policy".into(),
            cost: 3,
            commands: vec![format!(
                "aws iam detach-{kind}-policy --{kind}-name {name} --policy-arn {}",
                shell(arn)
            )],
        },
    }
}

impl Labels {
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
            for (i, inline) in p.inline.iter().enumerate() {
                labels
                    .inline
                    .insert((p.arn.clone(), i), inline_origin(&holder, &inline.name));
            }
            for arn in &p.managed {
                labels.managed.insert(
                    (arn.clone(), p.arn.clone()),
                    managed_origin(&holder, &policy_name(arn), arn),
                );
            }
            if let Some(arn) = &p.boundary {
                let origin = Origin {
                    label: format!("permission boundary {}", policy_name(arn)),
                    ..labels.unknown.clone()
                };
                labels.boundaries.insert(arn.clone(), origin);
            }
        }
        for g in gaad.groups.values() {
            let holder = Holder {
                kind: "group",
                name: &g.name,
                arn: &g.arn,
            };
            for (i, inline) in g.inline.iter().enumerate() {
                labels
                    .inline
                    .insert((g.arn.clone(), i), inline_origin(&holder, &inline.name));
            }
            for arn in &g.managed {
                labels.managed.insert(
                    (arn.clone(), g.arn.clone()),
                    managed_origin(&holder, &policy_name(arn), arn),
                );
            }
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

    fn boundary(&self, arn: &str) -> &Origin {
        self.boundaries.get(arn).unwrap_or(&self.unknown)
    }
}
