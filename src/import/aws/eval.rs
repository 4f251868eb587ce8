//! Effective permissions of a principal: identity policies (inline, managed, and for a
//! user those of its groups), then the permission boundary. An explicit deny anywhere
//! wins; an unconditional allow is needed in the identity policies and, when there is
//! one, in the boundary. Conditions trustpath cannot evaluate are carried on the grant,
//! so the edge it becomes is marked conditional instead of dropped.

use super::gaad::{Gaad, Principal, PrincipalKind};
use super::policy::{Clause, Context, Effect, Statement, Vars};
use crate::model::Condition;

/// A statement with the label of the policy it sits in ("inline policy ci of user/x").
#[derive(Clone, Copy)]
pub struct Sourced<'g> {
    pub policy: &'g str,
    pub statement: &'g Statement,
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
}

impl<'g> Permissions<'g> {
    /// Gathers a principal's statements; labels name each policy for edge reasons.
    pub fn of(gaad: &'g Gaad, p: &'g Principal, labels: &'g Labels) -> Permissions<'g> {
        let mut identity = Vec::new();
        let mut push_doc = |label: &'g str, doc: &'g super::policy::Parsed| {
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
                push_doc(labels.managed(arn), &policy.doc);
            }
        }
        if p.kind == PrincipalKind::User {
            for group in gaad.groups_of(p) {
                for (i, inline) in group.inline.iter().enumerate() {
                    push_doc(labels.inline(&group.arn, i), &inline.doc);
                }
                for arn in &group.managed {
                    if let Some(policy) = gaad.policies.get(arn) {
                        push_doc(labels.managed(arn), &policy.doc);
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
                            policy: labels.managed(arn),
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
                let policy = labels.managed(arn);
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
            Ok(open) => unless.extend(open.into_iter().map(|c| negated(c, s.policy))),
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
        why: format!("{}: {}", s.policy, s.statement.text),
        conditions,
    })
}

/// A conditional deny that may or may not apply: the grant holds only if it does not.
fn negated(clause: &Clause, policy: &str) -> Condition {
    let mut c = clause.to_condition();
    c.description = format!("unless a deny in {policy} applies ({})", c.description);
    c
}

/// Stable labels for policies, so grants can borrow them.
#[derive(Default)]
pub struct Labels {
    inline: std::collections::HashMap<(String, usize), String>,
    managed: std::collections::HashMap<String, String>,
}

impl Labels {
    pub fn new(gaad: &Gaad) -> Labels {
        let mut labels = Labels::default();
        for p in gaad.principals.values() {
            let kind = if p.kind == PrincipalKind::User {
                "user"
            } else {
                "role"
            };
            for (i, inline) in p.inline.iter().enumerate() {
                labels.inline.insert(
                    (p.arn.clone(), i),
                    format!("inline policy {} of {kind}/{}", inline.name, p.name),
                );
            }
        }
        for g in gaad.groups.values() {
            for (i, inline) in g.inline.iter().enumerate() {
                labels.inline.insert(
                    (g.arn.clone(), i),
                    format!("inline policy {} of group {}", inline.name, g.name),
                );
            }
        }
        for p in gaad.policies.values() {
            labels
                .managed
                .insert(p.arn.clone(), format!("managed policy {}", p.name));
        }
        labels
    }

    fn inline(&self, owner: &str, i: usize) -> &str {
        self.inline
            .get(&(owner.to_string(), i))
            .map_or("an inline policy", String::as_str)
    }

    fn managed(&self, arn: &str) -> &str {
        self.managed
            .get(arn)
            .map_or("a managed policy", String::as_str)
    }
}
