//! From GAAD to the trust graph: principal, group and provider nodes; membership, trust
//! and privilege-escalation edges; the per-account administrator marker.

use std::collections::{BTreeMap, BTreeSet};

use super::commands::{
    deactivate_key, delete_provider, deny_all, key_events, list_keys, revoke_older,
};
use super::credentials::{Credentials, ReportRow};
use super::eval::{Grant, Labels, Permissions};
use super::gaad::{Gaad, Principal, PrincipalKind, account_of};
use super::policy::Context;
use super::providers::{Provider, Providers};
use crate::import::{Warning, revoke};
use crate::model::{
    Credential, Edge, EdgeKind, Node, NodeId, NodeKind, Place, Provenance, Revoke, TrustGraph,
};
use crate::shell::Cmd;

/// Actions whose allowance on `*` together marks an administrator: full control of IAM,
/// STS, compute, data and keys. (`Action: "*"` passes; `NotAction: iam:*` does not.)
pub(super) const ADMIN_PROBES: [&str; 8] = [
    "iam:PutRolePolicy",
    "iam:CreateAccessKey",
    "iam:PassRole",
    "sts:AssumeRole",
    "ec2:RunInstances",
    "s3:GetObject",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
];

/// Adds what the GAAD files describe to the graph.
pub fn build(
    gaad: &Gaad,
    creds: &Credentials,
    providers: &Providers,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    ctx: Context,
) {
    let labels = Labels::new(gaad);
    let perms: Perms<'_> = gaad
        .principals
        .values()
        .map(|p| (p.arn.as_str(), Permissions::of(gaad, p, &labels)))
        .collect();
    for p in gaad.principals.values() {
        let groups = gaad.groups_of(p).flat_map(|g| g.managed.iter());
        for arn in p.managed.iter().chain(groups) {
            if !gaad.policies.contains_key(arn) {
                let message = format!(
                    "managed policy {arn}, attached to {} or its groups, is not in the export; its permissions are unknown (export with the LocalManagedPolicy and AWSManagedPolicy filters)",
                    p.arn
                );
                warnings.push(Warning::new(&p.file, p.place.in_message(), message));
            }
        }
        if let Some(arn) = &p.boundary
            && !gaad.policies.contains_key(arn)
        {
            let message = format!(
                "permission boundary {arn} of {} is not in the export; its grants are conditional on it",
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
            .map(merge);
        if let Some(grant) = grant {
            admins.insert(&p.arn, grant);
        }
        g.principal(
            p,
            creds.report.get(&p.arn),
            admins.contains_key(p.arn.as_str()),
        );
    }
    access_keys(gaad, creds, &mut g);
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
                format!("remove-from-group:{}:{}", group.name, p.name),
                "remove_membership",
                1,
                vec![
                    Cmd::new("aws")
                        .args(["iam", "remove-user-from-group", "--group-name", &group.name])
                        .args(["--user-name", &p.name])
                        .into(),
                ],
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
    for arn in admins.keys() {
        ensure_marker(&mut g, gaad, account_of(arn));
    }
    for (arn, grant) in &admins {
        let p = &gaad.principals[*arn];
        let reason = format!("effective * on *: {}", grant.why);
        let cut = grant.revoke.clone().into_iter().collect();
        g.escalation(
            &p.arn,
            &admin_marker(&p.account),
            "administrator",
            reason,
            grant,
            cut,
            p,
        );
    }

    for provider in providers.listed() {
        g.provider(&provider.arn, providers.details(&provider.arn), None);
    }
    super::trust::edges(gaad, providers, &perms, &mut g, ctx);
    super::escalation::edges(gaad, creds, &perms, &admins, &mut g, ctx);
}

/// Access keys: from `list-access-keys` (with ids) and the credential report (status and
/// last use; a key the report shows but no listing names gets a node of its own, so a
/// long-lived key is never invisible).
fn access_keys(gaad: &Gaad, creds: &Credentials, g: &mut Adder<'_>) {
    let user_arn = |name: &str| -> Vec<&str> {
        gaad.principals
            .values()
            .filter(|p| p.kind == PrincipalKind::User && p.name == name)
            .map(|p| p.arn.as_str())
            .chain(
                creds
                    .report
                    .values()
                    .filter(|r| r.user == name)
                    .map(|r| r.arn.as_str()),
            )
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let mut filled: BTreeSet<(String, usize)> = BTreeSet::new();
    for key in &creds.listed {
        let arns = user_arn(&key.user);
        let [arn] = arns.as_slice() else {
            let message = if arns.is_empty() {
                format!(
                    "access key {} belongs to user {}, who is in no export; linked to nothing",
                    key.id, key.user
                )
            } else {
                format!(
                    "access key {} belongs to user {}, a name in several accounts; linked to nothing",
                    key.id, key.user
                )
            };
            g.warnings
                .push(Warning::new(&key.file, key.place.in_message(), message));
            continue;
        };
        let row = creds.report.get(*arn);
        let slot = row.and_then(|r| creds.slot_of(r, key));
        if let Some(i) = slot {
            filled.insert((arn.to_string(), i));
        }
        // get-access-key-last-used names only the user: it tells about this key when the
        // user has no other.
        let only_key = creds.listed.iter().filter(|k| k.user == key.user).count() == 1;
        let reported = creds
            .last_used
            .iter()
            .filter(|u| only_key && u.user == key.user)
            .filter_map(|u| u.when)
            .max();
        let last_used = row
            .zip(slot)
            .and_then(|(r, i)| r.keys[i].last_used)
            .max(reported);
        let cred = Credential {
            kind: Some("access_key".into()),
            status: Some(key.status.to_ascii_lowercase().into()),
            created: key.created,
            last_used,
            long_lived: Some(true),
            ..Credential::default()
        };
        let name = format!("{} access key {}", key.user, key.id);
        let reason = format!(
            "access key {} of user {} (list-access-keys: Status {})",
            key.id, key.user, key.status
        );
        g.key(&key.id, name, cred, arn, reason, (&key.file, &key.place));
    }
    for used in &creds.last_used {
        let keys = creds.listed.iter().filter(|k| k.user == used.user).count();
        if keys != 1 {
            let message = format!(
                "get-access-key-last-used for user {} cannot be tied to a key ({keys} listed for that user); ignored",
                used.user
            );
            g.warnings.push(Warning::new(&used.file, "", message));
        }
    }
    for row in creds.report.values() {
        for (i, slot) in row.keys.iter().enumerate() {
            if !slot.active || filled.contains(&(row.arn.clone(), i)) {
                continue;
            }
            let key = format!("{}#access-key-{}", row.arn, i + 1);
            let cred = Credential {
                kind: Some("access_key".into()),
                status: Some("active".into()),
                created: slot.last_rotated,
                last_used: slot.last_used,
                long_lived: Some(true),
                ..Credential::default()
            };
            let name = format!("{} access key {} (id not in the inputs)", row.user, i + 1);
            let reason = format!(
                "access key {} of user {} (credential report; run list-access-keys for its id)",
                i + 1,
                row.user
            );
            g.key(
                &key,
                name,
                cred,
                &row.arn,
                reason,
                (&row.file, &Place::Line(row.line)),
            );
        }
    }
}

/// Permissions by principal ARN.
pub(super) type Perms<'g> = rustc_hash::FxHashMap<&'g str, Permissions<'g>>;

/// One grant standing for several: every distinct statement quoted, every condition and
/// every policy to remove kept (an administrator through two policies needs both cut).
fn merge(grants: Vec<Grant>) -> Grant {
    let mut merged = Grant::implicit();
    let mut whys: Vec<String> = Vec::new();
    for grant in grants {
        if !whys.contains(&grant.why) {
            whys.push(grant.why);
        }
        for c in grant.conditions {
            if !merged.conditions.contains(&c) {
                merged.conditions.push(c);
            }
        }
        for r in grant.revoke {
            if !merged.revoke.iter().any(|x| x.id == r.id) {
                merged.revoke.push(r);
            }
        }
    }
    merged.why = whys.join("; ");
    merged
}

pub(super) fn admin_marker(account: &str) -> String {
    format!("aws:account-admin:{account}")
}

/// Adds nodes and edges, keeping whatever another input defined first.
pub(super) struct Adder<'a> {
    pub(super) graph: &'a mut TrustGraph,
    pub(super) warnings: &'a mut Vec<Warning>,
}

impl Adder<'_> {
    pub(super) fn provenance(&mut self, file: &str, place: &Place) -> Provenance {
        Provenance {
            source: self.graph.intern_source(file),
            place: place.clone(),
        }
    }

    pub(super) fn node(&mut self, node: Node) -> NodeId {
        match self.graph.add_node(node) {
            Ok(id) => id,
            Err(existing) => existing.0,
        }
    }

    fn principal(&mut self, p: &Principal, report: Option<&ReportRow>, admin: bool) {
        // A user with a console password and no active key is a person; anything with
        // keys is a machine identity (the inventory overlay knows better, when given).
        let human = report.is_some_and(|r| r.password_enabled && !r.keys.iter().any(|k| k.active));
        let kind = match p.kind {
            PrincipalKind::User if human => NodeKind::Human,
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
        if let Some(r) = report {
            node.tags
                .insert("console_password".into(), r.password_enabled.to_string());
            node.tags.insert("mfa".into(), r.mfa_active.to_string());
            if r.password_enabled && r.keys.iter().any(|k| k.active) {
                // Console password and keys together: an NHI that a person also uses.
                node.tags
                    .insert("human_use_suspected".into(), "true".into());
            }
        }
        if p.service_linked() {
            node.tags.insert("service_linked".into(), "true".into());
        } else {
            node.revoke = vec![match p.kind {
                PrincipalKind::User => revoke(
                    format!("deny-all:{}", p.arn),
                    "disable_identity",
                    4,
                    vec![
                        deny_all("user", &p.name).into(),
                        Cmd::new("aws")
                            .args(["iam", "delete-login-profile", "--user-name", &p.name])
                            .note("if it has a console password")
                            .into(),
                        list_keys(Some(&p.name))
                            .note("then deactivate each key")
                            .into(),
                    ],
                ),
                PrincipalKind::Role => revoke(
                    format!("revoke-sessions:{}", p.arn),
                    "revoke_sessions",
                    2,
                    // The cut-off is the moment the command runs, as the console's
                    // "Revoke active sessions" does: the shell fills it in.
                    vec![revoke_older("role", &p.name).into()],
                ),
            }];
        }
        self.node(node);
    }

    /// An access key node and its `authenticates_as` edge to the user.
    fn key(
        &mut self,
        id: &str,
        name: String,
        cred: Credential,
        user: &str,
        reason: String,
        (file, place): (&str, &Place),
    ) {
        let u = Some(user.rsplit('/').next().unwrap_or(user));
        let commands = if id.starts_with("AKIA") {
            vec![
                deactivate_key(u, Some(id)).into(),
                key_events(Some(id)).into(),
            ]
        } else {
            vec![
                list_keys(u).note("find <KEY_ID>").into(),
                deactivate_key(u, None).into(),
            ]
        };
        let cut = revoke(format!("deactivate:{id}"), "deactivate_key", 1, commands);
        let mut node = Node::new(id, NodeKind::Credential, self.provenance(file, place));
        node.platform = "aws".into();
        node.name = name.into();
        node.scope = Some(account_of(user).into());
        node.credential = Some(Box::new(cred));
        node.revoke = vec![cut.clone()];
        self.node(node);
        if self.graph.find(user).is_none() {
            // A user in the credential report but in no authorization-details export.
            let mut node = Node::new(user, NodeKind::ServiceAccount, self.provenance(file, place));
            node.platform = "aws".into();
            node.scope = Some(account_of(user).into());
            node.tags.insert(
                "not_in_inputs".into(),
                "no authorization-details export lists it".into(),
            );
            self.node(node);
        }
        self.edge(
            id,
            user,
            EdgeKind::AuthenticatesAs,
            reason,
            Vec::new(),
            vec![cut],
            (file, place),
        );
    }

    /// An identity provider node, with what its listing says and how to remove it.
    pub(super) fn provider(
        &mut self,
        arn: &str,
        details: Option<Provider>,
        trusted_by: Option<&Principal>,
    ) {
        if self.graph.find(arn).is_some() {
            return;
        }
        let saml = arn.contains(":saml-provider/");
        let (file, place) = match (&details, trusted_by) {
            (Some(d), _) => (d.file.clone(), d.place.clone()),
            (None, Some(role)) => (role.file.clone(), role.place.clone()),
            (None, None) => (String::new(), Place::Unknown),
        };
        let mut node = Node::new(arn, NodeKind::Provider, self.provenance(&file, &place));
        node.platform = "aws".into();
        let short = arn
            .split_once(if saml {
                ":saml-provider/"
            } else {
                ":oidc-provider/"
            })
            .map_or(arn, |(_, n)| n);
        node.name = format!("{} provider {short}", if saml { "SAML" } else { "OIDC" }).into();
        node.scope = Some(account_of(arn).into());
        match &details {
            Some(d) => {
                if let Some(url) = &d.url {
                    node.tags.insert("url".into(), url.clone());
                }
                if !d.audiences.is_empty() {
                    node.tags.insert("audiences".into(), d.audiences.join(","));
                }
                if let Some(until) = &d.valid_until {
                    node.tags.insert("valid_until".into(), until.clone());
                }
            }
            None => {
                node.tags.insert(
                    "not_in_inputs".into(),
                    "named by a trust policy; no provider listing".into(),
                );
            }
        }
        node.revoke = vec![revoke(
            format!("delete-provider:{arn}"),
            "disable_provider",
            6,
            vec![
                delete_provider(saml, arn)
                    .note("every role that trusts it stops accepting its tokens; only re-creating it undoes this")
                    .into(),
                "# sessions already issued from its tokens stay valid until they expire: revoke the roles' sessions too".into(),
            ],
        )];
        self.node(node);
    }

    /// A principal absent from the inputs, and its `can_assume` edge into `role` with the
    /// trust statement's quote, conditions and revoke action.
    pub(super) fn outsider_assumes(
        &mut self,
        key: &str,
        kind: NodeKind,
        name: String,
        why: &str,
        role: &Principal,
        (quote, conditions, cut): (&str, &[crate::model::Condition], Vec<Revoke>),
    ) {
        self.outside(key, kind, name, why, role);
        let at = (role.file.as_str(), &role.place);
        self.edge(
            key,
            &role.arn,
            EdgeKind::CanAssume,
            quote.to_string(),
            conditions.to_vec(),
            cut,
            at,
        );
    }

    /// A node for a principal named by a trust policy but absent from the inputs.
    pub(super) fn outside(
        &mut self,
        key: &str,
        kind: NodeKind,
        name: String,
        why: &str,
        p: &Principal,
    ) {
        if self.graph.find(key).is_none() {
            let mut node = Node::new(key, kind, self.provenance(&p.file, &p.place));
            node.platform = "aws".into();
            node.name = name.into();
            node.tags.insert("not_in_inputs".into(), why.into());
            self.node(node);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn edge(
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
        let mut edge = Edge::new(kind, reason, provenance);
        edge.conditions = conditions;
        edge.revoke = revoke.into();
        self.graph.add_edge(a, b, edge);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn escalation(
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
        let mut edge = Edge::new(EdgeKind::CanEscalate, reason, provenance);
        edge.technique = Some(technique.into());
        edge.conditions = grant.conditions.clone();
        edge.revoke = revoke.into();
        self.graph.add_edge(a, b, edge);
    }
}

/// The administrator marker of an account, created with its edges the first time a
/// principal can reach it: an administrator can create access keys for any user and
/// rewrite any role's trust, so the marker controls every principal of the account.
pub(super) fn ensure_marker(g: &mut Adder<'_>, gaad: &Gaad, account: &str) {
    let marker = admin_marker(account);
    if g.graph.find(&marker).is_some() {
        return;
    }
    let members: Vec<&Principal> = gaad
        .principals
        .values()
        .filter(|p| p.account == account && !p.service_linked())
        .collect();
    // Provenance: the export the account came from, so the marker survives a round trip.
    let file = members.first().map_or("", |p| p.file.as_str());
    let place = Place::Other(format!("(derived: administrators of account {account})").into());
    let mut node = Node::new(&marker, NodeKind::Resource, g.provenance(file, &place));
    node.platform = "aws".into();
    node.name = format!("administrator of account {account}").into();
    node.scope = Some(account.into());
    node.admin = true;
    g.node(node);
    for p in members {
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
