//! The revoke entries the SPIRE importer writes, with their `spire-server` commands
//! (doc/spire_server.md). None of them ends an SVID already issued: the server cannot
//! recall a certificate or a JWT, so each says how long those live.

use super::{Entry, SpiffeId};
use crate::import::revoke;
use crate::model::Revoke;
use crate::shell::{Cmd, comment, hole};

/// SPIRE's default SVID lifetimes (`default_x509_svid_ttl`, `default_jwt_svid_ttl`).
pub(super) const LIVE_SVIDS: &str =
    "SVIDs already issued stay valid until they expire (X.509-SVID default 1 h, JWT-SVID 5 min)";

fn spire_server<'a>(words: impl IntoIterator<Item = &'a str>) -> Cmd {
    Cmd::new("spire-server").args(words)
}

/// What deleting an entry leaves alive: its SVIDs until they expire (the entry's TTLs
/// when it sets them, SPIRE's defaults otherwise), and a downstream server's CA.
fn live_svids(e: &Entry) -> String {
    let svids = svid_lifetimes(e);
    if e.downstream {
        format!(
            "{svids}; the intermediate CA the nested server already holds signs SVIDs until it expires: revoking the authority that signed it (rotate-authority) ends it"
        )
    } else {
        svids
    }
}

fn svid_lifetimes(e: &Entry) -> String {
    match (e.x509_svid_ttl, e.jwt_svid_ttl) {
        (0, 0) => LIVE_SVIDS.to_string(),
        (x509, jwt) => {
            let ttl = |s: i64, default: &str| {
                if s == 0 {
                    default.to_string()
                } else {
                    format!("{s} s")
                }
            };
            format!(
                "SVIDs already issued stay valid until they expire (this entry: X.509-SVID {}, JWT-SVID {})",
                ttl(x509, "default 1 h"),
                ttl(jwt, "default 5 min")
            )
        }
    }
}

/// The id of the action that deletes an entry: by its ID, or, in a `-data` file that has
/// none yet, by its SPIFFE ID and parent.
pub(super) fn entry_action_id(e: &Entry) -> String {
    match &e.id {
        Some(id) => format!("delete-entry:spire:{id}"),
        None => format!(
            "delete-entry:spire:{}|{}",
            e.spiffe_id.key(),
            e.parent_id.key()
        ),
    }
}

/// The commands that delete one entry: by ID, or found by SPIFFE ID and parent first.
fn delete_commands(e: &Entry) -> Vec<String> {
    let delete = spire_server(["entry", "delete", "-entryID"]);
    match &e.id {
        Some(id) => vec![delete.arg(id).note(live_svids(e)).into()],
        None => vec![
            spire_server(["entry", "show", "-spiffeID"])
                .arg(e.spiffe_id.key())
                .arg("-parentID")
                .arg(e.parent_id.key())
                .note("its Entry ID is <ENTRY_ID> below")
                .into(),
            delete.arg(hole("<ENTRY_ID>")).note(live_svids(e)).into(),
        ],
    }
}

/// Deleting one entry: no SVID is issued from it any more.
pub(super) fn delete_entry(e: &Entry) -> Revoke {
    revoke(entry_action_id(e), "delete_identity", 2, delete_commands(e))
}

/// Deleting every entry of one SPIFFE ID (or node alias): one entry's own action when it
/// has one entry, so that deleting it from the node or from an edge is the same step.
pub(super) fn delete_entries(key: &str, entries: &[&Entry]) -> Revoke {
    match entries {
        [one] => delete_entry(one),
        all => revoke(
            format!("delete-entries:spire:{key}"),
            "delete_identity",
            3,
            all.iter().flat_map(|e| delete_commands(e)).collect(),
        ),
    }
}

/// Banning an agent. A ban clears the agent's record, so the server refuses the agent
/// at its next call and it cannot attest again. `agent evict` would delete the record
/// instead, which lets an agent whose attestor allows it (k8s_psat, x509pop…) attest
/// again at once, and deletes a ban already set: so no evict, before or after.
pub(super) fn ban_agent(agent: &SpiffeId) -> Revoke {
    let key = agent.key();
    let ban = spire_server(["agent", "ban", "-spiffeID"])
        .arg(&key)
        .note(format!(
            "the server refuses the agent from its next sync and it cannot re-attest; {LIVE_SVIDS}, in the agent's cache and in its workloads' hands"
        ));
    let no_evict = comment(
        "do not run `spire-server agent evict` on it: evicting deletes the record that holds the ban, and the agent may then attest again",
    );
    revoke(
        format!("ban-agent:spire:{key}"),
        "disable_workload",
        4,
        vec![ban.into(), no_evict],
    )
}

/// Replacing the trust domain's signing keys (SPIRE 1.11 and later): prepare a new X.509
/// and JWT authority, activate it once agents and federated peers have its bundle, taint
/// the old one (every SVID it signed is re-issued early), then revoke it (dropped from the
/// bundle, so what it signed, a downstream server's CA included, stops verifying).
pub(super) fn rotate_authority(td: &str) -> Revoke {
    let mut commands = Vec::new();
    for (kind, new, old) in [
        (
            "x509",
            hole("<NEW_X509_AUTHORITY_ID>"),
            hole("<OLD_X509_AUTHORITY_ID>"),
        ),
        (
            "jwt",
            hole("<NEW_JWT_AUTHORITY_ID>"),
            hole("<OLD_JWT_AUTHORITY_ID>"),
        ),
    ] {
        let local = |verb: &'static str| spire_server(["localauthority", kind, verb]);
        commands.push(
            local("prepare")
                .note(format!(
                    "prints the new authority's ID; `spire-server localauthority {kind} show` gives the active one's"
                ))
                .into(),
        );
        commands.push(
            local("activate")
                .arg("-authorityID")
                .arg(new)
                .note("once every agent and federated trust domain has the new bundle")
                .into(),
        );
        commands.push(
            local("taint")
                .arg("-authorityID")
                .arg(old.clone())
                .note("agents and downstream servers replace what it signed")
                .into(),
        );
        commands.push(
            local("revoke")
                .arg("-authorityID")
                .arg(old)
                .note(format!(
                    "drops it from the bundle of {td}: what it signed stops verifying"
                ))
                .into(),
        );
    }
    commands.push(comment(&format!(
        "with an UpstreamAuthority, {td}'s root is upstream: rotate it there"
    )));
    revoke(
        format!("rotate-authority:spire:{td}"),
        "rotate",
        9,
        commands,
    )
}
