//! The graph of everything GCP inputs hold: the hierarchy, service accounts and their
//! keys, and what every IAM binding lets its members do, inherited down organization →
//! folders → project → resource.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use rustc_hash::FxHashSet;

use super::delegation::{Delegation, delegate};
use super::members::{self, ANY_GOOGLE_ACCOUNT, ANY_USER, Member};
use super::nodes::{
    accounts, ensure_resource, gke_members, keys, lineage, parents, unlisted_account,
};
use super::policy::{condition_at, level, remove_binding};
use super::{Binding, Inventory, Resource};
use crate::import::{Warning, provenance, revoke};
use crate::model::{
    Condition, Edge, EdgeKind, Node, NodeId, NodeKind, Provenance, Revoke, TrustGraph,
};

/// Permissions that let the holder act as a service account on the spot.
/// (`implicitDelegation` alone only passes a delegation chain through the account.)
const IMPERSONATE: [&str; 3] = [
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.signJwt",
    "iam.serviceAccounts.signBlob",
];

/// Permissions that run code somewhere a service account can be attached (with actAs).
const RUNTIMES: [&str; 11] = [
    "compute.instances.create",
    "run.services.create",
    "run.services.update",
    "cloudfunctions.functions.update",
    "run.jobs.create",
    "cloudfunctions.functions.create",
    "cloudbuild.builds.create",
    "cloudscheduler.jobs.create",
    "dataproc.clusters.create",
    "composer.environments.create",
    "deploymentmanager.deployments.create",
];

pub(super) struct Build<'a> {
    pub(super) graph: &'a mut TrustGraph,
    pub(super) warnings: &'a mut Vec<Warning>,
    pub(super) at: Timestamp,
    /// (Keyed by endpoints, kind, revoke id and whether it is conditional: an
    /// unconditional grant is not hidden behind a conditional one of the same binding.)
    pub(super) made: FxHashSet<(NodeId, NodeId, EdgeKind, String, bool)>,
    /// Service accounts marked disabled: nothing reaches through them.
    pub(super) disabled: BTreeSet<String>,
    /// `implicitDelegation` grants without impersonation: resolved once every account's
    /// own edges are in.
    pub(super) delegations: Vec<Delegation>,
}

impl Build<'_> {
    /// Adds a node unless its key is known; returns whether it was added.
    pub(super) fn node(
        &mut self,
        key: &str,
        kind: NodeKind,
        name: &str,
        scope: Option<&str>,
        prov: Provenance,
    ) -> Option<&mut Node> {
        crate::import::add_new_node(self.graph, key, kind, "gcp", name, scope, prov)
    }

    pub(super) fn edge(
        &mut self,
        from: &str,
        to: &str,
        kind: EdgeKind,
        reason: String,
        prov: &Provenance,
        tune: impl FnOnce(&mut Edge),
    ) {
        let (Some(a), Some(b)) = (self.graph.find(from), self.graph.find(to)) else {
            return;
        };
        if a == b {
            return;
        }
        let mut edge = Edge::new(kind, reason, prov.clone());
        tune(&mut edge);
        let id = edge.revoke.first().map_or(String::new(), |r| r.id.clone());
        if !self
            .made
            .insert((a, b, kind, id, edge.conditions.is_empty()))
        {
            return;
        }
        for end in [from, to] {
            if self.disabled.contains(end) {
                edge.dormant = true;
            }
        }
        self.graph.add_edge(a, b, edge);
    }
}

/// The node key of a resource.
pub(super) fn key_of(r: &Resource) -> String {
    match r {
        Resource::Org(n) => format!("gcp:org:{n}"),
        Resource::Folder(n) => format!("gcp:folder:{n}"),
        Resource::Project(p) => format!("gcp:project:{p}"),
        Resource::Child {
            project,
            collection,
            name,
        } => match collection.as_str() {
            "serviceAccounts" => format!("gcp:sa:{name}"),
            "secrets" => format!("gcp:secret:projects/{project}/secrets/{name}"),
            "buckets" => format!("gcp:bucket:{name}"),
            "datasets" => format!("gcp:bigquery:{project}/{name}"),
            // `topics`, `locations/L/services`, `datasets/D/tables`: the type is the last.
            other => format!(
                "gcp:{}:projects/{project}/{other}/{name}",
                other
                    .rsplit('/')
                    .next()
                    .unwrap_or(other)
                    .trim_end_matches('s')
            ),
        },
    }
}

/// The permissions a role grants that matter for reach; `None` for a custom role the
/// inputs do not hold.
fn permissions<'r>(gcp: &'r Inventory, role: &str) -> Option<Vec<&'r str>> {
    if let Some(custom) = gcp.roles.get(role) {
        // A deleted custom role grants nothing while it stays deleted.
        return Some(if custom.deleted {
            Vec::new()
        } else {
            custom
                .included_permissions
                .iter()
                .map(String::as_str)
                .collect()
        });
    }
    use super::roles::{ALL, PREDEFINED};
    if let Ok(i) = PREDEFINED.binary_search_by(|(name, _)| (*name).cmp(role)) {
        return Some(PREDEFINED[i].1.to_vec());
    }
    // A predefined role of the dump absent from the table grants nothing that matters
    // for reach; one newer than the dump is unknown, like a custom role not loaded.
    ALL.binary_search(&role).ok().map(|_| Vec::new())
}

/// What a binding grants, for its edges.
#[derive(Clone)]
struct Grant<'g> {
    scope: &'g Resource,
    scope_key: String,
    role: &'g str,
    perms: Vec<&'g str>,
    /// `IAM policy of project acme: {role: roles/owner, members: [serviceAccount:…]}`
    quote: String,
    condition: Option<String>,
    prov: Provenance,
    /// The escalation that makes this grant wider than the role says, for every edge.
    technique: Option<&'static str>,
}

pub(super) fn build(
    gcp: &Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: Timestamp,
) {
    let mut b = Build {
        graph,
        warnings,
        at,
        made: FxHashSet::default(),
        delegations: Vec::new(),
        disabled: gcp
            .accounts
            .values()
            .filter(|(a, _)| a.disabled)
            .map(|(a, _)| format!("gcp:sa:{}", a.email))
            .collect(),
    };
    let up = parents(gcp);
    // The hierarchy's nodes, and its edges: whoever controls a parent controls the child.
    for (p, file) in gcp.projects.values() {
        let key = format!("gcp:project:{}", p.project_id);
        let prov = provenance(b.graph, file, format!("project {}", p.project_id));
        if let Some(node) = b.node(
            &key,
            NodeKind::Resource,
            &p.project_id,
            Some(&p.project_id),
            prov,
        ) && !p.project_number.is_empty()
        {
            node.tags
                .insert("project_number".into(), p.project_number.clone());
        }
    }
    for (f, file) in gcp.folders.values() {
        let Some(id) = f.name.strip_prefix("folders/") else {
            continue;
        };
        let prov = provenance(b.graph, file, format!("folder {id}"));
        let name = if f.display_name.is_empty() {
            id.to_string()
        } else {
            format!("{} (folder {id})", f.display_name)
        };
        b.node(
            &format!("gcp:folder:{id}"),
            NodeKind::Resource,
            &name,
            None,
            prov,
        );
    }
    for (child, parent) in &up {
        // Where the child was listed, which names its parent.
        let Some(prov) = b
            .graph
            .find(child)
            .map(|id| b.graph.node(id).provenance.clone())
        else {
            continue;
        };
        // (No edge: holding a parent is not holding its children; each binding's edges
        // reach what lies below it, at its own level.)
        if b.graph.find(parent).is_none() {
            let name = parent.trim_start_matches("gcp:").replace(':', " ");
            b.node(parent, NodeKind::Resource, &name, None, prov);
        }
    }
    accounts(&mut b, gcp);
    keys(&mut b, gcp);
    // Resources with their own policy (secrets, buckets, datasets) by project, for grants
    // made higher up.
    // What each resource covers, by the key of every ancestor it has (and its own): the
    // accounts and the resources with their own policies. Computed once, so that a
    // binding finds what it covers without walking the hierarchy again.
    let mut lineages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut under = |project: &str| -> Vec<String> {
        lineages
            .entry(project.to_string())
            .or_insert_with(|| lineage(&format!("gcp:project:{project}"), &up))
            .clone()
    };
    // Accounts from the listings, and those only a policy file or a key names.
    let mut known: BTreeMap<String, String> = gcp
        .accounts
        .values()
        .map(|(a, _)| (a.email.clone(), a.project_id.clone()))
        .collect();
    for (r, _, _) in &gcp.policies {
        if let Resource::Child {
            project,
            collection,
            name,
        } = r
            && collection == "serviceAccounts"
        {
            known.entry(name.clone()).or_insert_with(|| project.clone());
        }
    }
    for (k, _) in &gcp.keys {
        let mut parts = k.name.split('/');
        if let (Some(project), Some(email)) = (parts.nth(1), parts.nth(1)) {
            known
                .entry(email.to_string())
                .or_insert_with(|| project.to_string());
        }
    }
    let mut sas_under: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (email, project) in &known {
        let key = format!("gcp:sa:{email}");
        for scope in under(project) {
            sas_under.entry(scope).or_default().push(key.clone());
        }
        sas_under.entry(key.clone()).or_default().push(key);
    }
    // Projects and folders below each resource, for grants that hold on them too.
    let mut containers_under: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for child in up.keys() {
        for ancestor in lineage(child, &up).into_iter().skip(1) {
            containers_under
                .entry(ancestor)
                .or_default()
                .push(child.clone());
        }
    }
    let mut children_under: BTreeMap<String, Vec<&Resource>> = BTreeMap::new();
    for (r, _, _) in &gcp.policies {
        if let Resource::Child {
            project,
            collection,
            ..
        } = r
            && collection != "serviceAccounts"
        {
            for scope in under(project) {
                children_under.entry(scope).or_default().push(r);
            }
        }
    }
    // Who can create something an account can be attached to, anywhere.
    let mut creators: BTreeMap<String, &str> = BTreeMap::new();
    // Who can rewrite custom roles, and where (a role's project or organization, or
    // above it).
    let mut updaters: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
    for (resource, bindings, _) in &gcp.policies {
        for binding in bindings {
            let Some(perms) = permissions(gcp, &binding.role) else {
                continue;
            };
            let expired = binding
                .condition
                .as_ref()
                .is_some_and(|c| condition_at(&c.expression, at).is_err());
            if let Some(p) = perms.iter().find(|p| RUNTIMES.contains(p))
                && !expired
            {
                for m in binding
                    .members
                    .iter()
                    .filter(|m| !m.starts_with("deleted:"))
                {
                    creators.entry(m.clone()).or_insert(p);
                }
            }
            let open = binding
                .condition
                .as_ref()
                .and_then(|c| condition_at(&c.expression, at).ok().flatten());
            if perms.contains(&"iam.roles.update") && !expired {
                for m in binding
                    .members
                    .iter()
                    .filter(|m| !m.starts_with("deleted:"))
                {
                    updaters
                        .entry(m.clone())
                        .or_default()
                        .push((key_of(resource), open.clone()));
                }
            }
        }
    }
    let ctx = Ctx {
        gcp,
        sas_under: &sas_under,
        children_under: &children_under,
        containers_under: &containers_under,
        creators: &creators,
        updaters: &updaters,
    };
    // Every resource with a policy first: a grant higher up reaches those below it,
    // whichever file was read first.
    for (resource, _, file) in &gcp.policies {
        let scope_key = key_of(resource);
        let scope_prov = provenance(b.graph, file, format!("IAM policy of {scope_key}"));
        ensure_resource(&mut b, resource, &scope_key, scope_prov);
    }
    for (resource, bindings, file) in &gcp.policies {
        let scope_key = key_of(resource);
        for binding in bindings {
            policy_binding(&mut b, &ctx, resource, &scope_key, binding, file);
        }
    }
    // allUsers holds whatever allAuthenticatedUsers holds.
    if b.graph.find(ANY_USER).is_some() && b.graph.find(ANY_GOOGLE_ACCOUNT).is_some() {
        let prov = provenance(b.graph, "inputs", "allUsers".into());
        b.edge(
            ANY_USER,
            ANY_GOOGLE_ACCOUNT,
            EdgeKind::MemberOf,
            "anyone can sign in with some Google account: allUsers covers allAuthenticatedUsers"
                .into(),
            &prov,
            |_| {},
        );
    }
    super::nodes::account_sets(&mut b, gcp, &sas_under);
    delegate(&mut b);
    super::wif::providers(&mut b, &gcp.providers, &gcp.pools);
    gke_members(&mut b);
}

/// What every binding's edges are derived against.
struct Ctx<'c> {
    gcp: &'c Inventory,
    /// The projects and folders below each resource key.
    containers_under: &'c BTreeMap<String, Vec<String>>,
    /// The resources with their own policy below each resource key.
    children_under: &'c BTreeMap<String, Vec<&'c Resource>>,
    /// The service accounts under each resource key (an account is under itself).
    sas_under: &'c BTreeMap<String, Vec<String>>,
    /// Members that can create a runtime somewhere, and the permission that lets them.
    creators: &'c BTreeMap<String, &'c str>,
    /// Members that hold `iam.roles.update`, and the resources they hold it on.
    updaters: &'c BTreeMap<String, Vec<(String, Option<String>)>>,
}

impl Ctx<'_> {
    /// Whether `member` can rewrite custom role `role` (`projects/P/roles/R` or
    /// `organizations/O/roles/R`): it holds `iam.roles.update` where the role lives or
    /// above it.
    /// `None`: it cannot; `Some(condition)`: it can, under the IAM condition of its
    /// `iam.roles.update` grant if that has one.
    fn can_rewrite(&self, member: &str, role: &str) -> Option<Option<&str>> {
        let parent = match role.split('/').collect::<Vec<_>>().as_slice() {
            ["projects", p, "roles", _] => format!("gcp:project:{p}"),
            ["organizations", o, "roles", _] => format!("gcp:org:{o}"),
            _ => return None,
        };
        let grants: Vec<Option<&str>> = self
            .updaters
            .get(member)?
            .iter()
            .filter(|(s, _)| {
                *s == parent
                    || self
                        .containers_under
                        .get(s)
                        .is_some_and(|c| c.contains(&parent))
            })
            .map(|(_, c)| c.as_deref())
            .collect();
        // An unconditional grant wins over conditional ones.
        grants
            .iter()
            .find(|c| c.is_none())
            .or(grants.first())
            .copied()
    }
}

/// What a member who can rewrite the custom role it holds can give itself: anything.
const ANY_PERMISSION: [&str; 5] = [
    "iam.serviceAccounts.getAccessToken",
    "secretmanager.versions.access",
    "storage.objects.get",
    "bigquery.tables.getData",
    "iam.serviceAccounts.setIamPolicy",
];

fn policy_binding(
    b: &mut Build<'_>,
    ctx: &Ctx<'_>,
    resource: &Resource,
    scope_key: &str,
    binding: &Binding,
    file: &str,
) {
    let condition = match &binding.condition {
        None => None,
        Some(c) => match condition_at(&c.expression, b.at) {
            Err(_) => return,
            Ok(open) => open.map(|e| {
                let title = if c.title.is_empty() {
                    String::new()
                } else {
                    format!(" \"{}\"", c.title)
                };
                format!("IAM condition{title}: {e}")
            }),
        },
    };
    let perms = permissions(ctx.gcp, &binding.role);
    let mut condition = condition;
    if perms.is_none() {
        let what = if binding.role.starts_with("roles/") {
            format!(
                "predefined role {} is newer than trustpath's role table ({})",
                binding.role,
                super::roles::DUMP
            )
        } else {
            format!("custom role {} is not in the inputs", binding.role)
        };
        b.warnings.push(Warning::new(file, format!("{} {}", scope_key, binding.role), format!("{what}: its members get a conditional edge to {scope_key} only (save `gcloud iam roles describe {}` with the inputs)", binding.role)));
        condition = Some(format!("{what}: what it grants is unknown"));
    }
    let perms = perms.unwrap_or_default();
    let g = Grant {
        scope: resource,
        scope_key: scope_key.to_string(),
        role: &binding.role,
        quote: format!(
            "IAM policy of {}: {{role: {}, members: [{}]}}",
            scope_key.trim_start_matches("gcp:"),
            binding.role,
            binding.members.join(", ")
        ),
        perms,
        condition,
        prov: provenance(b.graph, file, format!("{} {}", scope_key, binding.role)),
        technique: None,
    };
    for member in &binding.members {
        let (from, kind, name) = match members::parse(member) {
            Member::Node { key, kind, name } => (key, kind, name),
            Member::Deleted(_) => continue,
            Member::Unknown(m) => {
                b.warnings.push(Warning::new(
                    file,
                    scope_key,
                    format!(
                        "member {} of {} is not a kind trustpath models yet; skipped",
                        crate::report::clean(&m),
                        binding.role
                    ),
                ));
                continue;
            }
        };
        if let Some(email) = from.strip_prefix("gcp:sa:") {
            let why = "a member of an IAM policy; not in a service-account listing";
            unlisted_account(b, email, None, why.into(), g.prov.clone());
        } else {
            b.node(&from, kind, &name, None, g.prov.clone());
        }
        if let Some(when) = ctx.can_rewrite(member, &binding.role) {
            // It can add any permission to the role it holds here: setIamPolicy included.
            let own = match resource {
                Resource::Org(_) => "resourcemanager.organizations.setIamPolicy",
                Resource::Folder(_) => "resourcemanager.folders.setIamPolicy",
                Resource::Project(_) => "resourcemanager.projects.setIamPolicy",
                Resource::Child { .. } => "resource.setIamPolicy",
            };
            let mut rewritten = g.clone();
            rewritten.perms.extend(ANY_PERMISSION);
            rewritten.perms.push(own);
            rewritten.quote = format!(
                "{} (and iam.roles.update lets it add any permission to {})",
                g.quote, binding.role
            );
            rewritten.technique = Some("iam.roles.update");
            if let Some(c) = when {
                let also = format!("IAM condition on its iam.roles.update: {c}");
                rewritten.condition = Some(match &g.condition {
                    Some(own) => format!("{own}; {also}"),
                    None => also,
                });
            }
            member_edges(b, ctx, &rewritten, member, &from);
        } else {
            member_edges(b, ctx, &g, member, &from);
        }
    }
}

fn member_edges(b: &mut Build<'_>, ctx: &Ctx<'_>, g: &Grant<'_>, member: &str, from: &str) {
    let cut: std::sync::Arc<[Revoke]> = vec![revoke(
        format!("remove-binding:{}:{}:{member}", g.scope_key, g.role),
        "remove_binding",
        3,
        vec![remove_binding(g.scope, member, g.role)],
    )]
    .into();
    let conditions: Vec<Condition> = g
        .condition
        .iter()
        .map(|c| Condition::described(c.clone()))
        .collect();
    let edge = |b: &mut Build<'_>,
                to: &str,
                kind: EdgeKind,
                why: String,
                technique: Option<String>,
                level: Option<crate::model::AccessLevel>| {
        let (cut, conditions) = (cut.clone(), conditions.clone());
        b.edge(
            from,
            to,
            kind,
            format!("{}: {why}", g.quote),
            &g.prov,
            |e| {
                e.revoke = cut;
                e.conditions = conditions;
                e.technique = technique.or(g.technique.map(String::from)).map(Into::into);
                e.level = level;
            },
        );
    };
    let has = |p: &str| g.perms.contains(&p);
    // The resource it is granted on.
    // (On a service account, what a role grants is said by the edges below.)
    let on = g.scope_key.trim_start_matches("gcp:");
    if g.scope_key.starts_with("gcp:secret:") && has("secretmanager.versions.access") {
        edge(
            b,
            &g.scope_key,
            EdgeKind::CanRead,
            format!("secretmanager.versions.access reads {on}"),
            None,
            None,
        );
    } else if !g.scope_key.starts_with("gcp:sa:") {
        let lvl = level(g.role, &g.perms, matches!(g.scope, Resource::Child { .. }));
        edge(
            b,
            &g.scope_key,
            EdgeKind::CanAccess,
            format!("{} on {on}", g.role),
            None,
            Some(lvl),
        );
        for below in ctx.containers_under.get(&g.scope_key).into_iter().flatten() {
            let why = format!(
                "{} on {on} holds on {} below it",
                g.role,
                below.trim_start_matches("gcp:")
            );
            edge(b, below, EdgeKind::CanAccess, why, None, Some(lvl));
        }
    }
    // Setting the policy of the scope, or of every project below it (a project-level
    // permission granted higher up holds on each project beneath).
    let own = match g.scope {
        Resource::Org(_) => "resourcemanager.organizations.setIamPolicy",
        Resource::Folder(_) => "resourcemanager.folders.setIamPolicy",
        _ => "resourcemanager.projects.setIamPolicy",
    };
    let admin = !matches!(g.scope, Resource::Child { .. })
        && (has(own) || has("resourcemanager.projects.setIamPolicy"));
    // Service accounts it covers.
    let relevant = admin
        || g.perms.iter().any(|p| {
            IMPERSONATE.contains(p)
                || [
                    "iam.serviceAccountKeys.create",
                    "iam.serviceAccounts.actAs",
                    "iam.serviceAccounts.setIamPolicy",
                    "iam.serviceAccounts.implicitDelegation",
                ]
                .contains(p)
        });
    let mut sas: Vec<String> = if relevant {
        ctx.sas_under.get(&g.scope_key).cloned().unwrap_or_default()
    } else {
        Vec::new()
    };
    if relevant && g.scope_key.starts_with("gcp:sa:") && !sas.contains(&g.scope_key) {
        sas.push(g.scope_key.clone());
    }
    for sa in &sas {
        let email = sa.trim_start_matches("gcp:sa:");
        if has("iam.serviceAccounts.implicitDelegation") && !IMPERSONATE.iter().any(|p| has(p)) {
            b.delegations.push(Delegation {
                from: from.to_string(),
                through: sa.clone(),
                quote: g.quote.clone(),
                cut: cut.clone(),
                conditions: conditions.clone(),
                prov: g.prov.clone(),
            });
        }
        if let Some(p) = IMPERSONATE.iter().find(|p| has(p)) {
            edge(
                b,
                sa,
                EdgeKind::CanAssume,
                format!("{p} lets it act as {email}"),
                None,
                None,
            );
        } else if has("iam.serviceAccountKeys.create") {
            edge(
                b,
                sa,
                EdgeKind::CanEscalate,
                format!(
                    "iam.serviceAccountKeys.create lets it mint a key of {email} that lasts until deleted"
                ),
                Some("iam.serviceAccountKeys.create".into()),
                None,
            );
        } else if has("iam.serviceAccounts.actAs")
            && let Some(run) = ctx.creators.get(member)
        {
            edge(
                b,
                sa,
                EdgeKind::CanEscalate,
                format!(
                    "iam.serviceAccounts.actAs, with {run} that it holds, lets it run code as {email}"
                ),
                Some(format!("iam.serviceAccounts.actAs+{run}")),
                None,
            );
        } else if has("iam.serviceAccounts.setIamPolicy") || admin {
            let p = if admin {
                "setIamPolicy on an ancestor"
            } else {
                "iam.serviceAccounts.setIamPolicy"
            };
            edge(
                b,
                sa,
                EdgeKind::CanEscalate,
                format!("{p} lets it grant itself roles/iam.serviceAccountTokenCreator on {email}"),
                Some("setIamPolicy".into()),
                None,
            );
        }
    }
    // Resources below with their own policies.
    for child in ctx.children_under.get(&g.scope_key).into_iter().flatten() {
        let Resource::Child { collection, .. } = child else {
            continue;
        };
        let to = key_of(child);
        let (wanted, kind) = match collection.as_str() {
            "secrets" => ("secretmanager.versions.access", EdgeKind::CanRead),
            "buckets" => ("storage.objects.get", EdgeKind::CanAccess),
            "datasets" => ("bigquery.tables.getData", EdgeKind::CanAccess),
            _ => ("", EdgeKind::CanAccess),
        };
        if admin {
            edge(
                b,
                &to,
                EdgeKind::CanAccess,
                format!(
                    "setIamPolicy on an ancestor lets it grant itself anything on {}",
                    to.trim_start_matches("gcp:")
                ),
                None,
                Some(crate::model::AccessLevel::Admin),
            );
        } else if !wanted.is_empty() && has(wanted) {
            let level = (kind == EdgeKind::CanAccess).then(|| level(g.role, &g.perms, true));
            edge(
                b,
                &to,
                kind,
                format!(
                    "{wanted} holds on {} below it",
                    to.trim_start_matches("gcp:")
                ),
                None,
                level,
            );
        }
    }
}
