//! Nodes of the trust graph: identities, credentials, secrets, workloads, resources.

use std::collections::BTreeMap;
use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::view::{NodeRef, Revokes, Tags};
use super::{Provenance, Revoke};

/// What a node is. Serialized in `snake_case`, exactly as the native format spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Human,
    ServiceAccount,
    Role,
    Group,
    Credential,
    Secret,
    Workload,
    Resource,
    Provider,
}

impl NodeKind {
    pub const ALL: [NodeKind; 9] = [
        NodeKind::Human,
        NodeKind::ServiceAccount,
        NodeKind::Role,
        NodeKind::Group,
        NodeKind::Credential,
        NodeKind::Secret,
        NodeKind::Workload,
        NodeKind::Resource,
        NodeKind::Provider,
    ];

    /// Position in [`NodeKind::ALL`] (declaration order), for per-kind arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Parses the native spelling (CSV columns, where serde does not help).
    pub fn parse(s: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Human => "human",
            NodeKind::ServiceAccount => "service_account",
            NodeKind::Role => "role",
            NodeKind::Group => "group",
            NodeKind::Credential => "credential",
            NodeKind::Secret => "secret",
            NodeKind::Workload => "workload",
            NodeKind::Resource => "resource",
            NodeKind::Provider => "provider",
        }
    }

    /// Principals the attacker can act as (used to tell identities from everything else).
    pub fn is_identity(self) -> bool {
        matches!(
            self,
            NodeKind::Human | NodeKind::ServiceAccount | NodeKind::Role | NodeKind::Group
        )
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lifecycle facts of a credential node (access key, token, key, certificate, password).
///
/// Generic over how its two texts are held: owned by a [`Node`], borrowed by a
/// [`NodeRef`](super::NodeRef) from the graph (`Credential<&str>`), or string ids in a
/// snapshot's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Credential<S = Box<str>> {
    /// `access_key`, `token`, `sa_key`, `certificate`, `password`, … (open set).
    pub kind: Option<S>,
    /// `active`, `inactive`, `disabled`, `revoked`, … Anything but `active` is unusable.
    pub status: Option<S>,
    pub created: Option<Timestamp>,
    pub expires: Option<Timestamp>,
    pub last_used: Option<Timestamp>,
    pub last_rotated: Option<Timestamp>,
    /// As given in the input; [`Credential::is_long_lived`] derives it when absent.
    pub long_lived: Option<bool>,
    /// `false` when the secret material cannot be copied out (hardware-bound keys).
    pub copyable: Option<bool>,
}

/// Statuses that mean a credential cannot be used, as the platforms spell them (AWS
/// `Inactive`, GCP `disabled`, Vault `revoked`, …). Any other status counts as usable:
/// when unsure, trustpath over-reports reach rather than hiding it, and the importer
/// warns about statuses it does not know.
pub const DEAD_STATUSES: [&str; 7] = [
    "inactive",
    "disabled",
    "revoked",
    "expired",
    "deleted",
    "suspended",
    "deactivated",
];

/// Statuses that mean a credential works.
pub const LIVE_STATUSES: [&str; 3] = ["active", "enabled", "valid"];

fn is_dead_status(status: &str) -> bool {
    let status = status.trim();
    DEAD_STATUSES.iter().any(|d| d.eq_ignore_ascii_case(status))
}

/// Credentials living longer than this without an expiry count as long-lived.
const LONG_LIVED_AFTER: SignedDuration = SignedDuration::from_hours(90 * 24);

impl<S> Credential<S> {
    /// The same facts with the texts mapped (borrowed, or looked up by id).
    pub fn map<'a, T>(&'a self, mut f: impl FnMut(&'a S) -> T) -> Credential<T> {
        Credential {
            kind: self.kind.as_ref().map(&mut f),
            status: self.status.as_ref().map(&mut f),
            created: self.created,
            expires: self.expires,
            last_used: self.last_used,
            last_rotated: self.last_rotated,
            long_lived: self.long_lived,
            copyable: self.copyable,
        }
    }
}

impl<S: AsRef<str>> Credential<S> {
    /// The credential with its texts borrowed.
    pub fn view(&self) -> Credential<&str> {
        self.map(|s| s.as_ref())
    }

    /// The credential with its texts owned.
    pub fn owned(&self) -> Credential {
        self.map(|s| s.as_ref().into())
    }

    /// When the secret in use came to be, as of `at`: its last rotation, else its
    /// creation (a date after `at` has not happened yet), and whether that was a rotation.
    pub fn issued(&self, at: Timestamp) -> Option<(Timestamp, bool)> {
        let past = |t: Option<Timestamp>| t.filter(|&t| t <= at);
        let rotated = past(self.last_rotated);
        let issued = rotated.into_iter().chain(past(self.created)).max()?;
        Some((issued, rotated == Some(issued)))
    }

    /// Whether an attacker holding this credential can use it at `at`.
    pub fn usable_at(&self, at: Timestamp) -> bool {
        self.unusable_reason(at).is_none()
    }

    /// Why the credential cannot be used at `at`, or `None` when it can.
    pub fn unusable_reason(&self, at: Timestamp) -> Option<String> {
        if let Some(status) = &self.status
            && self.is_dead()
        {
            return Some(format!("status is {}", status.as_ref().trim()));
        }
        if let Some(expires) = self.expires
            && expires <= at
        {
            return Some(format!("expired {expires}"));
        }
        if let Some(created) = self.created
            && created > at
        {
            return Some(format!("not yet created at {at} (created {created})"));
        }
        None
    }

    /// The status says the credential cannot be used, whatever the time.
    pub fn is_dead(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| is_dead_status(s.as_ref()))
    }

    /// Explicit `long_lived`, else: no expiry, or a validity window over 90 days.
    pub fn is_long_lived(&self) -> bool {
        self.long_lived
            .unwrap_or_else(|| match (self.created, self.expires) {
                (_, None) => true,
                (Some(created), Some(expires)) => {
                    expires.duration_since(created) > LONG_LIVED_AFTER
                }
                (None, Some(_)) => false,
            })
    }
}

/// One node of the trust graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Stable key: `<platform>:<native id>`, or the ARN for AWS.
    pub key: Box<str>,
    pub kind: NodeKind,
    pub platform: Box<str>,
    pub name: Box<str>,
    pub scope: Option<Box<str>>,
    pub owner: Option<Box<str>>,
    pub purpose: Option<Box<str>>,
    pub environment: Option<Box<str>>,
    /// As given in the input or overlay; [`Node::criticality`] applies the defaults.
    pub criticality: Option<u8>,
    pub admin: bool,
    pub tags: BTreeMap<String, String>,
    pub credential: Option<Box<Credential>>,
    pub revoke: Vec<Revoke>,
    pub provenance: Provenance,
}

/// Pseudo-nodes that stand for anyone on the internet (or any account of a platform).
pub(super) const PUBLIC: [&str; 5] = [
    "aws:anyone",
    "gcp:any-user",
    "gcp:any-google-account",
    "github:any-user",
    "github:any-repo",
];

/// Who holds a node that nobody inside the organisation controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outsider {
    /// Anyone: `github:any-user`, `aws:anyone`, `gcp:any-user`, a per-owner
    /// `github:any-repo:…`, or a principal an importer marked public.
    Public,
    /// Another organisation: code or an app tagged `third_party` by its importer (an
    /// action of another owner, a multi-tenant service principal).
    ThirdParty,
}

/// Criticality at or above which a node is a crown jewel.
pub const CROWN_JEWEL: u8 = 8;

impl Node {
    /// A node with only the required fields; platform and name are derived from the key.
    pub fn new(key: &str, kind: NodeKind, provenance: Provenance) -> Node {
        Node::named(key, kind, None, None, provenance)
    }

    /// A node with only the required fields and the platform and name given; those not
    /// given are derived from the key.
    pub fn named(
        key: &str,
        kind: NodeKind,
        platform: Option<&str>,
        name: Option<&str>,
        provenance: Provenance,
    ) -> Node {
        Node {
            key: key.into(),
            kind,
            platform: platform.unwrap_or_else(|| platform_of_key(key)).into(),
            name: name.unwrap_or_else(|| name_of_key(key)).into(),
            scope: None,
            owner: None,
            purpose: None,
            environment: None,
            criticality: None,
            admin: false,
            tags: BTreeMap::new(),
            credential: None,
            revoke: Vec::new(),
            provenance,
        }
    }

    /// The node read as the graph answers it, for code that takes either.
    pub fn view(&self) -> NodeRef<'_> {
        NodeRef {
            key: &self.key,
            kind: self.kind,
            platform: &self.platform,
            name: &self.name,
            scope: self.scope.as_deref(),
            owner: self.owner.as_deref(),
            purpose: self.purpose.as_deref(),
            environment: self.environment.as_deref(),
            criticality: self.criticality,
            admin: self.admin,
            tags: Tags::of(&self.tags),
            credential: self.credential.as_deref().map(Credential::view),
            revoke: Revokes::slice(&self.revoke),
            provenance: &self.provenance,
        }
    }

    /// Effective criticality (see [`NodeRef::criticality`]).
    pub fn criticality(&self) -> u8 {
        self.view().criticality()
    }

    pub fn is_crown_jewel(&self) -> bool {
        self.view().is_crown_jewel()
    }

    /// See [`NodeRef::usable_at`].
    pub fn usable_at(&self, at: Timestamp) -> bool {
        self.view().usable_at(at)
    }

    /// See [`NodeRef::unusable_reason`].
    pub fn unusable_reason(&self, at: Timestamp) -> Option<String> {
        self.view().unusable_reason(at)
    }

    /// See [`NodeRef::outsider`].
    pub fn outsider(&self) -> Option<Outsider> {
        self.view().outsider()
    }

    pub fn is_long_lived_credential(&self) -> bool {
        self.view().is_long_lived_credential()
    }
}

/// Platform implied by a key: `arn:aws:…` is AWS, `github:…` is GitHub, and so on.
pub fn platform_of_key(key: &str) -> &str {
    if key.starts_with("arn:aws") {
        return "aws";
    }
    if key.starts_with("AKIA") || key.starts_with("ASIA") {
        return "aws";
    }
    match key.split_once(':') {
        Some((prefix, _)) if !prefix.is_empty() => prefix,
        _ => "unknown",
    }
}

/// Short name implied by a key: the part after the last `/` or `:`.
pub fn name_of_key(key: &str) -> &str {
    let tail = key.rsplit(['/', ':']).next().unwrap_or(key);
    if tail.is_empty() { key } else { tail }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn keys_imply_platform_and_name() {
        assert_eq!(
            platform_of_key("arn:aws:iam::111122223333:role/deploy"),
            "aws"
        );
        assert_eq!(
            name_of_key("arn:aws:iam::111122223333:role/deploy"),
            "deploy"
        );
        assert_eq!(platform_of_key("github:repo:acme/web"), "github");
        assert_eq!(name_of_key("github:repo:acme/web"), "web");
        assert_eq!(platform_of_key("plain"), "unknown");
        assert_eq!(name_of_key("trailing/"), "trailing/");
    }

    #[test]
    fn inactive_and_expired_credentials_are_unusable() {
        let at = ts("2026-01-01T00:00:00Z");
        let mut cred: Credential = Credential {
            status: Some("active".into()),
            ..Credential::default()
        };
        assert!(cred.usable_at(at));
        cred.status = Some("Inactive ".into());
        assert_eq!(
            cred.unusable_reason(at).as_deref(),
            Some("status is Inactive")
        );
        for live in ["Enabled", "active ", "", "weird"] {
            cred.status = Some(live.into());
            assert!(cred.usable_at(at), "{live:?} is not a dead status");
        }
        cred.status = Some("active".into());
        cred.expires = Some(ts("2025-12-31T23:59:59Z"));
        assert!(!cred.usable_at(at));
        assert!(cred.usable_at(ts("2025-06-01T00:00:00Z")));
    }

    #[test]
    fn long_lived_is_derived_from_validity() {
        let mut cred: Credential = Credential::default();
        assert!(cred.is_long_lived(), "no expiry means long-lived");
        cred.created = Some(ts("2026-01-01T00:00:00Z"));
        cred.expires = Some(ts("2026-01-01T01:00:00Z"));
        assert!(!cred.is_long_lived());
        cred.long_lived = Some(true);
        assert!(cred.is_long_lived(), "explicit value wins");
    }

    #[test]
    fn kind_index_is_the_position_in_all() {
        for (i, k) in NodeKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }

    #[test]
    fn criticality_defaults() {
        let prov = Provenance::default();
        let mut node = Node::new("aws:x", NodeKind::Role, prov);
        assert_eq!(node.criticality(), 2);
        node.admin = true;
        assert!(node.is_crown_jewel());
        node.criticality = Some(1);
        assert_eq!(
            node.criticality(),
            1,
            "explicit value wins over admin default"
        );
    }
}
