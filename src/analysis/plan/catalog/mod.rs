//! The revocation playbook catalogue: for one candidate action, the commands that carry it
//! out, whether credentials already issued die with it, and whether it can be undone.
//!
//! Many revocations only stop new issuance (an AWS key's STS sessions, a GCP key's access
//! tokens, a GitHub secret's upstream credential), so every entry says what happens to the
//! tokens already out there and what the companion step is.

mod aws;
mod azure;
mod gcp;
mod github;
mod k8s;
mod spire;
mod ssh;
#[cfg(test)]
mod tests;

mod vault;
mod x509;

use std::borrow::Cow;

use crate::model::{EdgeRef, NodeKind, NodeRef, Revoke};
use crate::shell::{Cmd, Piece, comment, hole, quote};

/// What the plan needs to know about one revocation action to print it as a runbook step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playbook {
    /// Commands to run, in order. The input's `revoke.commands` win when present (with any
    /// control character escaped, see [`crate::shell::one_line`]);
    /// otherwise generated from the action type and the target's platform. Every command is a
    /// single line; a trailing `  # comment` explains placeholders such as <KEY_ID>.
    pub commands: Vec<String>,
    /// Whether carrying the action out also invalidates credentials/tokens/sessions already issued.
    pub kills_live_tokens: bool,
    /// When `kills_live_tokens` is false: the companion step, or how long issued tokens stay valid.
    /// None when it kills them.
    pub live_tokens: Option<Cow<'static, str>>,
    pub reversible: bool,
    /// How to undo it, or why it cannot be undone; plus propagation delay where documented.
    pub note: Cow<'static, str>,
}

/// Where the action applies. Made one at a time, for one playbook, and never stored:
/// the size of its views does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Target<'a> {
    /// A node action (`revoke` listed on the node).
    Node(NodeRef<'a>),
    /// An edge action: the first edge (by stable order) that lists the action, with its endpoints.
    Edge {
        from: NodeRef<'a>,
        to: NodeRef<'a>,
        edge: EdgeRef<'a>,
    },
}

pub fn playbook(revoke: &Revoke, target: Target<'_>) -> Playbook {
    let site = Site::of(&revoke.action, &target, &revoke.id);
    let mut book = catalogue(&revoke.action, &site);
    if !revoke.commands.is_empty() {
        book.commands.clone_from(&revoke.commands);
        if revoke.from_file {
            // Whoever wrote the graph file wrote these: the runbook says so.
            book.commands.insert(0, FROM_FILE.to_string());
        }
    }
    // A name a command could take for an option (`--all` as a secret's name) or that a
    // shell cannot pass whole (a NUL cuts it short): quoting cannot make it safe, so
    // the commands are shown, not offered to run.
    let keys: Vec<&str> = match &target {
        Target::Node(n) => vec![&n.key],
        Target::Edge { from, to, .. } => vec![&from.key, &to.key],
    };
    if let Some(bad) = keys.iter().find(|k| crate::shell::unsafe_name(k)) {
        let why = format!(
            "# NOT RUN: {} has a part that starts with `-` or holds a NUL, which a command could take for an option or cut short; act on it by hand:",
            crate::report::clean(bad)
        );
        book.commands = std::iter::once(why)
            .chain(book.commands.iter().map(|c| format!("#   {c}")))
            .collect();
    }
    // Every command is one line with no control character, whoever wrote it: values are
    // quoted without raw control characters already, and a command from an input file
    // that smuggles a second line in is shown broken rather than run.
    for c in &mut book.commands {
        *c = crate::shell::one_line(c);
    }
    // Notes are mostly the catalogue's own text, kept without a copy; one that names
    // something from the input is cleaned into a copy of its own.
    if let Cow::Owned(clean) = crate::report::clean(&book.note) {
        book.note = clean.into();
    }
    book
}

/// The line above commands a graph file brought (`revoke.commands`).
pub const FROM_FILE: &str = "# these commands come from an input graph file, not from trustpath: read each one before you run it";

/// Actions the importers and inputs produce; anything else is "unknown".
const ACTIONS: [&str; 16] = [
    "disable_identity",
    "revoke_sessions",
    "deactivate_key",
    "rotate",
    "revoke_token",
    "detach_policy",
    "remove_trust",
    "remove_membership",
    "remove_binding",
    "delete_secret",
    "disable_provider",
    "disable_workflow",
    "pin_action",
    "delete_deploy_key",
    "disable_workload",
    "edit_policy",
];

/// The node the action changes, and the other end when the action sits on an edge.
pub(super) struct Site<'a> {
    pub(super) node: NodeRef<'a>,
    pub(super) peer: Option<NodeRef<'a>>,
    pub(super) id: &'a str,
}

impl<'a> Site<'a> {
    fn of(action: &str, target: &Target<'a>, id: &'a str) -> Site<'a> {
        let (from, to) = match *target {
            Target::Node(node) => {
                return Site {
                    node,
                    peer: None,
                    id,
                };
            }
            Target::Edge { from, to, .. } => (from, to),
        };
        // Memberships, trust and bindings are held by the group, role or resource; a
        // policy by the identity it is attached to; other actions act on a node kind.
        let on_to = match action {
            "remove_membership" | "remove_trust" => true,
            "remove_binding" => known(to.platform) || !known(from.platform),
            "disable_workflow" => to.key.starts_with("github:workflow:"),
            "detach_policy" | "pin_action" => false,
            // A link from outside (a repository to a pool principal) is cut at the
            // provider, which lives with the identity it issues.
            "disable_provider" => from.kind != NodeKind::Provider,
            _ => {
                let kinds = subject_kinds(action);
                !kinds.contains(&from.kind) && kinds.contains(&to.kind)
            }
        };
        let (node, peer) = if on_to { (to, from) } else { (from, to) };
        Site {
            node,
            peer: Some(peer),
            id,
        }
    }

    pub(super) fn key(&self) -> &str {
        self.node.key
    }

    /// The node or its peer, whichever `pred` accepts first.
    pub(super) fn either(&self, pred: impl Fn(&NodeRef<'a>) -> bool) -> Option<NodeRef<'a>> {
        std::iter::once(self.node)
            .chain(self.peer)
            .find(|n| pred(n))
    }
}

pub(super) fn subject_kinds(action: &str) -> &'static [NodeKind] {
    use NodeKind::{Credential, Group, Human, Provider, Role, Secret, ServiceAccount, Workload};
    match action {
        "delete_secret" | "rotate" => &[Secret, Credential],
        "deactivate_key" | "revoke_token" | "delete_deploy_key" => &[Credential],
        "disable_identity" | "revoke_sessions" => &[ServiceAccount, Role, Human, Group],
        "disable_provider" => &[Provider],
        "disable_workload" => &[Workload],
        _ => &[],
    }
}

pub(super) fn known(platform: &str) -> bool {
    ["aws", "gcp", "k8s", "vault", "github", "azure"].contains(&platform)
}

fn catalogue(action: &str, site: &Site<'_>) -> Playbook {
    let found = match site.node.platform {
        _ if spire::owns(site.id) => spire::playbook(action, site),
        _ if x509::owns(site.id) => x509::playbook(action, site),
        _ if ssh::owns(site.id) => ssh::playbook(action, site),
        "aws" => aws::playbook(action, site),
        "gcp" => gcp::playbook(action, site),
        "k8s" => k8s::playbook(action, site),
        "vault" => vault::playbook(action, site),
        "github" => github::playbook(action, site),
        "azure" => azure::playbook(action, site),
        _ => None,
    };
    found.unwrap_or_else(|| by_hand(action, site))
}

fn by_hand(action: &str, site: &Site<'_>) -> Playbook {
    let what = if ACTIONS.contains(&action) {
        format!(
            "{action} is not catalogued for platform {}",
            site.node.platform
        )
    } else {
        format!("unknown action {action:?}")
    };
    Playbook {
        commands: vec![comment(&format!(
            "{what}: carry out {} on {} by hand",
            site.id,
            site.key()
        ))],
        kills_live_tokens: false,
        live_tokens: Some(
            format!("unknown ({what}): check whether credentials already issued survive it").into(),
        ),
        reversible: false,
        note: "unknown: find out how to undo it before running it".into(),
    }
}

/// An action that also ends the sessions and tokens already issued.
pub(super) fn kills(
    commands: Vec<String>,
    reversible: bool,
    note: impl Into<Cow<'static, str>>,
) -> Option<Playbook> {
    Some(Playbook {
        commands,
        kills_live_tokens: true,
        live_tokens: None,
        reversible,
        note: note.into(),
    })
}

/// An action that stops new use only; `live` says what survives and the companion step.
pub(super) fn leaves(
    commands: Vec<String>,
    live: impl Into<Cow<'static, str>>,
    reversible: bool,
    note: impl Into<Cow<'static, str>>,
) -> Option<Playbook> {
    Some(Playbook {
        commands,
        kills_live_tokens: false,
        live_tokens: Some(live.into()),
        reversible,
        note: note.into(),
    })
}

pub(super) const COPY_ONLY: &str = "this deletes or replaces a stored copy only: the credential it holds stays valid (and in the hands of whoever read it) until it is rotated or revoked at its issuer";

/// Deleting or replacing a stored copy, which never revokes the credential it holds.
pub(super) fn copy(
    mut commands: Vec<String>,
    reversible: bool,
    note: impl Into<Cow<'static, str>>,
) -> Option<Playbook> {
    commands.insert(
        0,
        "# first rotate or revoke the credential it holds at its issuer: the copy going away does not revoke it".into(),
    );
    leaves(commands, COPY_ONLY, reversible, note)
}

/// The policy a `detach-policy:…:<name>` style id names (its last `:` field).
pub(super) fn policy_of(id: &str) -> Option<&str> {
    let (_, last) = id.rsplit_once(':')?;
    let last = last.strip_prefix("policy/").unwrap_or(last);
    (!last.is_empty()).then_some(last)
}

/// A key's part after `<platform>:<type>:`, when the type matches.
pub(super) fn rest<'k>(key: &'k str, platform: &str, ty: &str) -> Option<&'k str> {
    key.strip_prefix(platform)?
        .strip_prefix(':')?
        .strip_prefix(ty)?
        .strip_prefix(':')
}
