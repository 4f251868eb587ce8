//! Edges of the trust graph, each read "whoever controls `from` can …".

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use super::Provenance;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// credential → identity it logs in as
    AuthenticatesAs,
    /// assume, impersonate, federate into
    CanAssume,
    /// identity → group whose permissions it gains
    MemberOf,
    /// workload → identity it runs as
    RunsAs,
    /// exec into, deploy to, change the code or config of
    CanControl,
    /// read a secret or resource
    CanRead,
    /// secret → credential it stores
    Contains,
    /// a privilege-escalation technique (`technique` names it)
    CanEscalate,
    /// resource access at a `level`
    CanAccess,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::AuthenticatesAs => "authenticates_as",
            EdgeKind::CanAssume => "can_assume",
            EdgeKind::MemberOf => "member_of",
            EdgeKind::RunsAs => "runs_as",
            EdgeKind::CanControl => "can_control",
            EdgeKind::CanRead => "can_read",
            EdgeKind::Contains => "contains",
            EdgeKind::CanEscalate => "can_escalate",
            EdgeKind::CanAccess => "can_access",
        }
    }

    /// Parses the native spelling (used by the links CSV, where serde does not help).
    pub fn parse(s: &str) -> Option<EdgeKind> {
        const ALL: [EdgeKind; 9] = [
            EdgeKind::AuthenticatesAs,
            EdgeKind::CanAssume,
            EdgeKind::MemberOf,
            EdgeKind::RunsAs,
            EdgeKind::CanControl,
            EdgeKind::CanRead,
            EdgeKind::Contains,
            EdgeKind::CanEscalate,
            EdgeKind::CanAccess,
        ];
        ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Access level of a `can_access` edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    Read,
    Write,
    Admin,
}

/// A condition the platform attaches to an edge and that trustpath did not evaluate
/// (MFA required, source IP, an OIDC `sub` pattern). The edge is still traversed, and
/// everything reached only through it is reported as conditional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// Human reading of the condition, e.g. "sub matches repo:acme/web:*".
    pub description: String,
    /// The condition key as the platform names it (`aws:SourceIp`, `…:sub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The operator as the platform names it (`StringLike`, `IpAddress`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl Condition {
    /// A condition an importer states in words (nothing a policy engine could evaluate).
    pub fn described(description: impl Into<String>) -> Condition {
        Condition {
            description: description.into(),
            key: None,
            operator: None,
            values: Vec::new(),
        }
    }
}

/// A candidate revocation action. Every edge or node listing the same `id` is cut by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Revoke {
    pub id: String,
    /// One of a few names (`detach_policy`, `revoke_sessions`, …): [`Revoke::action_name`]
    /// shares the known ones rather than allocating each, since a million edges list them.
    pub action: Cow<'static, str>,
    /// Base disruption of the action; the plan adds collateral.
    #[serde(default = "default_cost")]
    pub cost: u32,
    /// The exact commands that carry the action out, in order, when the importer knows
    /// them (a placeholder like `<TRUST_DOC>` is explained in the command's comment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// The commands were read from a graph file (whoever wrote it), not written by this
    /// run's importers: the runbook says so above them. Not part of the file format.
    #[serde(skip)]
    pub from_file: bool,
}

fn default_cost() -> u32 {
    1
}

/// Action names the importers write; [`Revoke::action_name`] maps these to shared
/// static strings.
const KNOWN_ACTIONS: [&str; 18] = [
    "deactivate_key",
    "edit_policy",
    "delete_deploy_key",
    "delete_secret",
    "detach_policy",
    "disable_identity",
    "disable_provider",
    "disable_workflow",
    "pin_action",
    "remove_binding",
    "remove_membership",
    "remove_trust",
    "revoke_sessions",
    "revoke_token",
    "rotate",
    "disable_workload",
    "delete_identity",
    "suspend_installation",
];

impl Revoke {
    /// The action name, shared when it is a known one (see [`Revoke::action`]).
    pub fn action_name(name: &str) -> Cow<'static, str> {
        match KNOWN_ACTIONS.iter().find(|&&k| k == name) {
            Some(&k) => Cow::Borrowed(k),
            None => Cow::Owned(name.to_string()),
        }
    }
}

/// One edge of the trust graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Shared between edges that give the same reason (the importer interns them: a
    /// million grants of one policy need not spell it out a million times).
    pub reason: Arc<str>,
    pub conditions: Vec<Condition>,
    /// Marked dormant by the input (disabled binding, deleted target…); never traversed.
    pub dormant: bool,
    /// An edge that depends on a resource the export cannot show (e.g. "if a Lambda exists").
    pub potential: bool,
    /// Asserted by a person (links CSV) rather than derived from an export.
    pub asserted: bool,
    pub technique: Option<Box<str>>,
    pub level: Option<AccessLevel>,
    /// Shared between edges that list the same entries (the importer interns them: every
    /// grant of one policy lists the same detach).
    pub revoke: Arc<[Revoke]>,
    pub provenance: Provenance,
}

/// The empty list of revoke entries, allocated once.
pub(crate) fn no_revoke() -> Arc<[Revoke]> {
    static EMPTY: LazyLock<Arc<[Revoke]>> = LazyLock::new(|| Arc::new([]));
    EMPTY.clone()
}

impl Edge {
    pub fn new(kind: EdgeKind, reason: impl Into<Arc<str>>, provenance: Provenance) -> Edge {
        Edge {
            kind,
            reason: reason.into(),
            conditions: Vec::new(),
            dormant: false,
            potential: false,
            asserted: false,
            technique: None,
            level: None,
            revoke: no_revoke(),
            provenance,
        }
    }

    /// Traversal depends on something trustpath could not verify.
    pub fn is_conditional(&self) -> bool {
        self.potential || !self.conditions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_as_they_serialize() {
        for kind in [
            EdgeKind::AuthenticatesAs,
            EdgeKind::CanEscalate,
            EdgeKind::CanAccess,
        ] {
            assert_eq!(EdgeKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).expect("serializes");
            assert_eq!(json, format!("\"{kind}\""));
        }
        assert_eq!(EdgeKind::parse("can_teleport"), None);
    }
}
