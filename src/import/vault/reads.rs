//! Which secrets a holder reads, drawn as compactly as stays exact.
//!
//! Vault merges a token's policies before deciding (a more specific rule in one policy
//! narrows a grant of another), so a policy's grants cannot in general be judged alone.
//! But for most holders they can: when every secret the merged policies let it read is
//! one some policy alone lets it read, and no other, the holder is a member of those
//! policies (`member_of`) and each policy reads its secrets (`can_read`, drawn once per
//! policy). A holder whose policies interact gets its reads drawn from it directly,
//! each naming the rule that decided. A broad policy held by many roles then costs one
//! edge per role plus one per secret, not one per role and secret.

use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::acl::{Acl, Caps};
use super::build::{Build, Holder, Target, edit_policy};
use super::commands::set_field;
use crate::import::revoke;
use crate::model::{Condition, Edge, EdgeKind, Revoke};

/// The rule that decided a read: its pattern, the policies whose rules on it merged,
/// and the reason text.
pub(super) struct Decided {
    pattern: String,
    policies: Vec<String>,
    because: Arc<str>,
}

/// A read one policy set allows: the target's index, the rule, the template condition.
type Grant = (u32, Rc<Decided>, Option<Arc<str>>);

/// Reads by policy set (sorted names), and the policies whose own reads are drawn.
#[derive(Default)]
pub(super) struct Reads {
    by_set: FxHashMap<Vec<String>, Rc<Vec<Grant>>>,
    drawn: FxHashSet<String>,
}

impl Build<'_> {
    /// What `policies` together let a token read among `targets`.
    fn grants(&mut self, policies: &[&str], targets: &[Target]) -> Rc<Vec<Grant>> {
        let mut key: Vec<String> = policies.iter().map(|p| p.to_string()).collect();
        key.sort();
        if let Some(known) = self.reads.by_set.get(&key) {
            return known.clone();
        }
        let v = self.v;
        let acl = Acl::new(
            policies
                .iter()
                .filter_map(|p| Some((*p, &v.policies.get(*p)?.0))),
        );
        let mut rules: FxHashMap<&str, Rc<Decided>> = FxHashMap::default();
        let mut out = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let Some((m, condition)) = acl.allows(&t.path, Caps::READ, Caps::default()) else {
                continue;
            };
            let decided = rules.entry(m.pattern).or_insert_with(|| {
                Rc::new(Decided {
                    pattern: m.pattern.to_string(),
                    policies: m.from.iter().map(|(p, _)| p.to_string()).collect(),
                    because: m.because().into(),
                })
            });
            out.push((i as u32, decided.clone(), condition.map(Into::into)));
        }
        let out = Rc::new(out);
        self.reads.by_set.insert(key, out.clone());
        out
    }

    /// Draws a holder's reads: through its policies when that is exact, else directly.
    pub(super) fn reads(&mut self, h: &Holder, targets: &[Target]) {
        let held: Vec<&str> = h
            .policies
            .iter()
            .filter(|p| self.v.policies.contains_key(*p))
            .map(String::as_str)
            .collect();
        let merged = self.grants(&held, targets);
        let alone: Vec<(&str, Rc<Vec<Grant>>)> = held
            .iter()
            .map(|p| (*p, self.grants(&[p], targets)))
            .collect();
        if exact_through_policies(&merged, &alone, targets.len()) {
            for (p, grants) in &alone {
                if !grants.is_empty() {
                    self.member_of(h, p);
                    self.draw_policy(p, grants, targets);
                }
            }
            return;
        }
        let list = h.policies.join(", ");
        // Shared by every edge one rule gives this holder.
        let mut shared: FxHashMap<&str, (Arc<str>, Arc<[Revoke]>)> = FxHashMap::default();
        for (i, decided, condition) in merged.iter() {
            let (reason, revokes) = shared
                .entry(&decided.pattern)
                .or_insert_with(|| {
                    let reason =
                        format!("{} carries policies [{list}]; {}", h.label, decided.because);
                    let mut revokes: Vec<Revoke> = decided
                        .policies
                        .iter()
                        .filter_map(|p| self.detach(h, p))
                        .collect();
                    revokes.extend(
                        decided
                            .policies
                            .iter()
                            .map(|p| edit_policy(p, &decided.pattern)),
                    );
                    (reason.into(), revokes.into())
                })
                .clone();
            let at = self.graph.node(h.node).provenance.clone();
            let mut edge = Edge::new(EdgeKind::CanRead, reason, at);
            edge.conditions
                .extend(condition.as_deref().map(Condition::described));
            edge.revoke = revokes;
            self.graph.add_edge(h.node, targets[*i as usize].node, edge);
        }
    }

    /// The holder carries a policy: cut by detaching it from the role (a token keeps
    /// the policies it was issued with until it is revoked).
    fn member_of(&mut self, h: &Holder, policy: &str) {
        let Some(to) = self.graph.find(&format!("vault:policy:{policy}")) else {
            return;
        };
        let at = self.graph.node(h.node).provenance.clone();
        let mut edge = Edge::new(
            EdgeKind::MemberOf,
            format!(
                "{} carries policy {policy} (of [{}])",
                h.label,
                h.policies.join(", ")
            ),
            at,
        );
        edge.revoke = self
            .detach(h, policy)
            .into_iter()
            .collect::<Vec<_>>()
            .into();
        self.graph.add_edge(h.node, to, edge);
    }

    /// A policy's own reads, drawn once.
    fn draw_policy(&mut self, policy: &str, grants: &[Grant], targets: &[Target]) {
        if !self.reads.drawn.insert(policy.to_string()) {
            return;
        }
        let Some(from) = self.graph.find(&format!("vault:policy:{policy}")) else {
            return;
        };
        let at = self.graph.node(from).provenance.clone();
        let mut shared: FxHashMap<&str, Arc<[Revoke]>> = FxHashMap::default();
        for (i, decided, condition) in grants {
            let revokes = shared
                .entry(&decided.pattern)
                .or_insert_with(|| vec![edit_policy(policy, &decided.pattern)].into())
                .clone();
            let mut edge = Edge::new(EdgeKind::CanRead, decided.because.clone(), at.clone());
            edge.conditions
                .extend(condition.as_deref().map(Condition::described));
            edge.revoke = revokes;
            self.graph.add_edge(from, targets[*i as usize].node, edge);
        }
    }

    /// Detaching a policy from a role (`default` by `token_no_default_policy`); `None`
    /// for a token, which keeps its policies until it is revoked.
    pub(super) fn detach(&self, h: &Holder, policy: &str) -> Option<Revoke> {
        let field = h.role?;
        let command = if policy == "default" {
            set_field(&h.mount, &h.name, "token_no_default_policy=", "true")
        } else {
            let keep: Vec<&str> = h
                .policies
                .iter()
                .map(String::as_str)
                .filter(|p| *p != policy && *p != "default")
                .collect();
            set_field(&h.mount, &h.name, field, &keep.join(","))
        };
        Some(revoke(
            format!("detach-policy:{}:{policy}", self.graph.key(h.node)),
            "detach_policy",
            4,
            vec![command.render()],
        ))
    }
}

/// Whether the policies' own reads are exactly the merged ones: the same targets, each
/// unconditional in both or conditional in both.
fn exact_through_policies(
    merged: &[Grant],
    alone: &[(&str, Rc<Vec<Grant>>)],
    targets: usize,
) -> bool {
    // Per target: none, conditional (1), unconditional (2).
    let mut union = vec![0u8; targets];
    for (_, grants) in alone {
        for (i, _, condition) in grants.iter() {
            let level = if condition.is_some() { 1 } else { 2 };
            let slot = &mut union[*i as usize];
            *slot = (*slot).max(level);
        }
    }
    let mut together = vec![0u8; targets];
    for (i, _, condition) in merged {
        together[*i as usize] = if condition.is_some() { 1 } else { 2 };
    }
    union == together
}
