//! Registration entries as trust: who can obtain each SVID, as the SPIRE server decides
//! it (`pkg/server/cache/entrycache`).
//!
//! - An agent is handed every entry below it: those naming it as parent, those naming
//!   one of its node aliases, and, recursively, those naming any of these entries'
//!   SPIFFE IDs. It serves each SVID to the workloads whose attested selectors include
//!   all of the entry's. So agent → SVID (`can_assume`); a workload's own SVID does not
//!   let it obtain the entries below it (only its agent does), so no edge starts there.
//! - A node alias (an entry whose parent is `…/spire/server`) is held by every agent
//!   whose node selectors include all of the alias's: agent → alias (`member_of`),
//!   unconditional only when the agent's ID settles every selector (the cluster of a
//!   `k8s_psat`/`k8s_sat` agent, a `k8s_psat` node UID); a selector of another
//!   attestor than the agent's cannot be among its selectors. The alias's SVID is never
//!   issued: the alias is a group of nodes.
//! - A Kubernetes service account whose pods match an entry's `k8s:ns`/`k8s:sa`
//!   selectors, in the cluster of an agent (or alias) the entry reaches, gets the SVID.
//! - `downstream: true` hands a nested SPIRE server an intermediate CA of the trust
//!   domain, which signs any SVID of it; `admin: true` lets the SVID call the server's
//!   admin APIs (entries, minting), and the server holds the trust domain's CA.
//! - `federates_with` only hands the SVID's holders the foreign trust domain's bundle:
//!   they trust the foreign domain's SVIDs, the foreign domain gains nothing over
//!   them, and whether it trusts ours is in its own server's configuration. It is a
//!   tag, not an edge: an edge `spiffe://OTHER → SVID` would claim that whoever holds
//!   the other domain's CA becomes this workload, which federation never grants.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::Timestamp;

use super::commands::{ban_agent, delete_entries, delete_entry, rotate_authority};
use super::{Entry, SpiffeId};
use crate::import::{Warning, add_new_node, add_placeholder, provenance};
use crate::model::{Condition, Edge, EdgeKind, NodeId, NodeKind, Provenance, Revoke, TrustGraph};

/// Who obtains an entry's SVIDs: an agent, a node alias or a parent the inputs do not
/// explain, and the entry in between when the entry is a descendant of another.
struct Via<'e> {
    id: &'e SpiffeId,
    through: Option<String>,
}

/// A service account whose pods an entry's selectors match.
struct Selected {
    ns: String,
    name: String,
    /// The entry's other selectors, which the pod must match too.
    conditions: Vec<Condition>,
    /// Matched by namespace alone (the entry selects no `k8s:sa`).
    wide: bool,
}

/// A cluster whose agents hold a node alias: `None` when certain, else the condition.
type Clusters = BTreeMap<String, Option<String>>;

struct Build<'a> {
    graph: &'a mut TrustGraph,
    at: Timestamp,
    entries: &'a [Entry],
    /// Entries other than node aliases, by SPIFFE ID key.
    by_key: BTreeMap<String, Vec<usize>>,
    /// Node alias entries, by SPIFFE ID key.
    aliases: BTreeMap<String, Vec<usize>>,
    /// The clusters whose agents hold each node alias.
    alias_clusters: BTreeMap<String, Clusters>,
    /// Service account names by cluster and namespace, as the inputs knew them before
    /// SPIRE (what a namespace-wide entry can reach).
    sas: BTreeMap<(String, String), BTreeSet<String>>,
    /// Edges made, so that two entries giving the same edge make it once.
    made: BTreeSet<(NodeId, NodeId, EdgeKind, Arc<str>)>,
}

pub(super) fn graph(
    entries: &[Entry],
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: Timestamp,
) {
    if entries.is_empty() {
        return;
    }
    let mut b = Build {
        sas: known_service_accounts(graph),
        graph,
        at,
        entries,
        by_key: BTreeMap::new(),
        aliases: BTreeMap::new(),
        alias_clusters: BTreeMap::new(),
        made: BTreeSet::new(),
    };
    for (i, e) in entries.iter().enumerate() {
        let map = if e.is_alias() {
            &mut b.aliases
        } else {
            &mut b.by_key
        };
        map.entry(e.spiffe_id.key()).or_default().push(i);
    }
    b.trust_domains();
    b.identity_nodes();
    b.parent_nodes();
    b.alias_edges(warnings);
    for e in entries.iter().filter(|e| !e.is_alias()) {
        b.entry_edges(e);
    }
}

/// `k8s:CLUSTER:sa:NS/NAME` nodes already in the graph.
fn known_service_accounts(graph: &TrustGraph) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut sas: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for id in graph.node_ids() {
        let node = graph.node(id);
        let Some((cluster, rest)) = node
            .key
            .strip_prefix("k8s:")
            .and_then(|k| k.split_once(':'))
        else {
            continue;
        };
        let Some((ns, name)) = rest.strip_prefix("sa:").and_then(|r| r.split_once('/')) else {
            continue;
        };
        sas.entry((cluster.to_string(), ns.to_string()))
            .or_default()
            .insert(name.to_string());
    }
    sas
}

fn sa_key(cluster: &str, ns: &str, name: &str) -> String {
    format!("k8s:{cluster}:sa:{ns}/{name}")
}

impl Build<'_> {
    fn prov(&mut self, e: &Entry) -> Provenance {
        provenance(self.graph, &e.file, format!("/entries/{}", e.index))
    }

    fn edge(&mut self, from: &str, to: &str, edge: Edge) {
        let (Some(a), Some(b)) = (self.graph.find(from), self.graph.find(to)) else {
            return;
        };
        if a == b || !self.made.insert((a, b, edge.kind, edge.reason.clone())) {
            return;
        }
        self.graph.add_edge(a, b, edge);
    }

    /// Each trust domain's signing authority and server: the server holds the CA key.
    fn trust_domains(&mut self) {
        let mut first: BTreeMap<String, &Entry> = BTreeMap::new();
        for e in self.entries {
            first.entry(e.spiffe_id.td.clone()).or_insert(e);
        }
        for (td, e) in first {
            let ca = e.spiffe_id.domain_key();
            let server = format!("{ca}/spire/server");
            let prov = self.prov(e);
            let authority = self.admin_node(
                &ca,
                NodeKind::Provider,
                format!("trust domain {td} (its CA)"),
                &td,
                prov.clone(),
                "the X.509 and JWT authority of the trust domain: it signs every SVID of it",
            );
            if let Some(node) = authority {
                node.revoke = vec![rotate_authority(&td)];
            }
            self.admin_node(
                &server,
                NodeKind::Role,
                format!("SPIRE server of {td} (admin)"),
                &td,
                prov.clone(),
                "the server's admin APIs: registration entries, agents, minting SVIDs",
            );
            let reason = format!(
                "the SPIRE server of {td} holds the trust domain's signing keys (or its UpstreamAuthority's credentials)"
            );
            self.edge(&server, &ca, Edge::new(EdgeKind::CanControl, reason, prov));
        }
    }

    /// A new admin node of a trust domain, with what it means (`None` when another input
    /// made it first).
    fn admin_node(
        &mut self,
        key: &str,
        kind: NodeKind,
        name: String,
        td: &str,
        prov: Provenance,
        meaning: &str,
    ) -> Option<&mut crate::model::Node> {
        let node = add_new_node(self.graph, key, kind, "spire", &name, Some(td), prov)?;
        node.admin = true;
        node.tags.insert("meaning".into(), meaning.into());
        Some(node)
    }

    /// One node per SPIFFE ID: a service account for what workloads get, a group for a
    /// node alias (a set of agents), tagged with what its entries say.
    fn identity_nodes(&mut self) {
        let keys: Vec<(String, Vec<usize>, NodeKind)> = self
            .by_key
            .iter()
            .map(|(k, v)| (k.clone(), v.clone(), NodeKind::ServiceAccount))
            .chain(
                self.aliases
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone(), NodeKind::Group)),
            )
            .collect();
        for (key, indexes, kind) in keys {
            let entries: Vec<&Entry> = indexes.iter().map(|&i| &self.entries[i]).collect();
            let prov = self.prov(entries[0]);
            let td = entries[0].spiffe_id.td.clone();
            let Some(node) = add_new_node(self.graph, &key, kind, "spire", &key, Some(&td), prov)
            else {
                continue;
            };
            let mut tags: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            let mut tag = |k: &'static str, v: String| {
                let values = tags.entry(k).or_default();
                if !values.contains(&v) {
                    values.push(v);
                }
            };
            for e in &entries {
                tag(
                    "entry_id",
                    e.id.clone().unwrap_or_else(|| "(none yet)".into()),
                );
                tag("parent_id", e.parent_id.key());
                tag("selectors", e.selector_list());
                if e.x509_svid_ttl != 0 {
                    tag("x509_svid_ttl", format!("{} s", e.x509_svid_ttl));
                }
                if e.jwt_svid_ttl != 0 {
                    tag("jwt_svid_ttl", format!("{} s", e.jwt_svid_ttl));
                }
                for td in &e.federates_with {
                    tag("federates_with", format!("spiffe://{td}"));
                }
                for dns in &e.dns_names {
                    tag("dns_names", dns.clone());
                }
                if e.admin {
                    tag("admin", "true".into());
                }
                if e.downstream {
                    tag("downstream", "true".into());
                }
                if e.store_svid {
                    tag(
                        "store_svid",
                        "true: an SVIDStore plugin keeps a copy".into(),
                    );
                }
                if !e.hint.is_empty() {
                    tag("hint", e.hint.clone());
                }
                if let Some(t) = e.expires_at {
                    tag("expires_at", t.to_string());
                }
            }
            if let Some(ns) = entries.iter().find_map(|e| namespace_wide(e)) {
                tag(
                    "k8s_namespace_wide",
                    format!("every service account of namespace {ns} (an entry selects no k8s:sa)"),
                );
            }
            for (k, v) in tags {
                node.tags.insert(k.into(), v.join(", "));
            }
            node.revoke = vec![delete_entries(&key, &entries)];
        }
    }

    /// A node for every parent that is not an entry of the inputs: agents by their ID's
    /// shape, anything else as a placeholder.
    fn parent_nodes(&mut self) {
        let mut seen = BTreeSet::new();
        for e in self.entries {
            let parent = &e.parent_id;
            let key = parent.key();
            if parent.is_server()
                || self.by_key.contains_key(&key)
                || self.aliases.contains_key(&key)
                || !seen.insert(key.clone())
            {
                continue;
            }
            let prov = self.prov(e);
            let Some((attestor, rest)) = parent.agent() else {
                let why = format!(
                    "parent of {}: no entry in the inputs has this SPIFFE ID and it is not an agent's (…/spire/agent/…): an agent with its own path template, or an entry not exported",
                    e.label()
                );
                add_placeholder(self.graph, &key, NodeKind::Workload, "spire", why, prov);
                continue;
            };
            let (attestor, rest) = (attestor.to_string(), rest.join("/"));
            let name = format!("SPIRE agent {key}");
            if let Some(node) = add_new_node(
                self.graph,
                &key,
                NodeKind::Workload,
                "spire",
                &name,
                Some(&parent.td),
                prov,
            ) {
                node.tags.insert("attestation".into(), attestor);
                node.tags.insert("agent_path".into(), rest);
                if let Some(cluster) = parent.agent_cluster() {
                    node.tags.insert("cluster".into(), cluster.to_string());
                }
                node.revoke = vec![ban_agent(parent)];
            }
        }
    }

    /// Agents known from the inputs → the node aliases their attestation matches.
    fn alias_edges(&mut self, warnings: &mut Vec<Warning>) {
        let agents: BTreeSet<&SpiffeId> = self
            .entries
            .iter()
            .map(|e| &e.parent_id)
            .filter(|p| p.agent().is_some())
            .collect();
        let aliases: Vec<(String, usize)> = self
            .aliases
            .iter()
            .flat_map(|(k, v)| v.iter().map(move |&i| (k.clone(), i)))
            .collect();
        for (key, i) in aliases {
            let e = &self.entries[i];
            if e.selectors.is_empty() {
                let message = format!(
                    "{} is a node alias with no selectors: no agent can hold it",
                    e.label()
                );
                warnings.push(Warning::new(
                    &e.file,
                    format!("/entries/{}", e.index),
                    message,
                ));
                continue;
            }
            let mut clusters = Clusters::new();
            if let Some((cluster, others)) = alias_cluster(e) {
                let condition = (!others.is_empty()).then(|| {
                    format!(
                        "the node's agent must also match the alias's {}",
                        others.join(", ")
                    )
                });
                clusters.insert(cluster, condition);
            }
            let cut: Arc<[Revoke]> = vec![delete_entry(e)].into();
            let prov = self.prov(e);
            for agent in &agents {
                let Some(unsettled) = alias_match(agent, e) else {
                    continue;
                };
                let mut reason = format!(
                    "{} makes every agent whose node selectors include {} a holder of node alias {key}",
                    e.label(),
                    e.selector_list()
                );
                let mut dormant = false;
                if let Some(t) = e.expired_at(self.at) {
                    reason.push_str(&expired(t));
                    dormant = true;
                }
                let mut edge = Edge::new(EdgeKind::MemberOf, reason, prov.clone());
                edge.dormant = dormant;
                edge.revoke = cut.clone();
                if !unsettled.is_empty() {
                    let condition = format!(
                        "the agent's attestation must also show {} (its selectors are not in the inputs)",
                        unsettled.join(", ")
                    );
                    edge.conditions
                        .push(Condition::described(condition.clone()));
                    if let Some(cluster) = agent.agent_cluster() {
                        clusters
                            .entry(cluster.to_string())
                            .or_insert(Some(condition));
                    }
                } else if let Some(cluster) = agent.agent_cluster() {
                    clusters.insert(cluster.to_string(), None);
                }
                self.edge(&agent.key(), &key, edge);
            }
            // An expired alias hands nothing to its clusters' service accounts.
            if e.expired_at(self.at).is_none() {
                let merged = self.alias_clusters.entry(key).or_default();
                for (cluster, condition) in clusters {
                    merge(merged, cluster, condition);
                }
            }
        }
    }

    /// Who obtains the SVIDs of entries parented by `parent`: the agents and aliases
    /// above it, through any chain of entries.
    fn deliverers<'e>(
        &'e self,
        parent: &'e SpiffeId,
        through: Option<&str>,
        seen: &mut BTreeSet<String>,
    ) -> Vec<Via<'e>> {
        let key = parent.key();
        if parent.is_server() || !seen.insert(key.clone()) {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.aliases.contains_key(&key) || !self.by_key.contains_key(&key) {
            out.push(Via {
                id: parent,
                through: through.map(str::to_string),
            });
        }
        for &i in self.by_key.get(&key).into_iter().flatten() {
            let above = &self.entries[i].parent_id;
            out.extend(self.deliverers(above, Some(through.unwrap_or(&key)), seen));
        }
        out
    }

    /// The clusters whose agents a deliverer stands for: an agent's own, or those of
    /// the agents holding an alias.
    fn clusters_of(&self, via: &Via<'_>) -> Clusters {
        if let Some(clusters) = self.alias_clusters.get(&via.id.key()) {
            return clusters.clone();
        }
        via.id
            .agent_cluster()
            .map(|c| (c.to_string(), None))
            .into_iter()
            .collect()
    }

    /// The edges one (non-alias) entry makes.
    fn entry_edges(&mut self, e: &Entry) {
        let svid = e.spiffe_id.key();
        let prov = self.prov(e);
        let cut: Arc<[Revoke]> = vec![delete_entry(e)].into();
        let expired = e.expired_at(self.at).map(expired);
        // An edge the entry makes: cut by deleting it, dormant once it expired.
        let make = |kind: EdgeKind, mut reason: String| {
            if let Some(why) = &expired {
                reason.push_str(why);
            }
            let mut edge = Edge::new(kind, reason, prov.clone());
            edge.dormant = expired.is_some();
            edge.revoke = cut.clone();
            edge
        };
        // Its trust domain's CA can sign it, whatever the entries say.
        let ca = e.spiffe_id.domain_key();
        let reason = format!(
            "the trust domain's CA signs every SVID of {}: whoever holds it mints this one",
            e.spiffe_id.td
        );
        self.edge(
            &ca,
            &svid,
            Edge::new(EdgeKind::CanAssume, reason, prov.clone()),
        );
        let mut clusters = Clusters::new();
        let mut edges = Vec::new();
        for via in self.deliverers(&e.parent_id, None, &mut BTreeSet::new()) {
            let node = via.id.key();
            let role = if self.aliases.contains_key(&node) {
                "every agent holding node alias"
            } else {
                "agent"
            };
            let below = via.through.as_ref().map_or(String::new(), |t| {
                format!(" (below {t}: SPIRE hands an agent every entry under its own)")
            });
            let reason = format!(
                "{} ({}) is handed to {role} {node}{below}, which serves the SVID to workloads matching its selectors",
                e.label(),
                e.selector_list(),
            );
            edges.push((node, make(EdgeKind::CanAssume, reason)));
            for (cluster, condition) in self.clusters_of(&via) {
                merge(&mut clusters, cluster, condition);
            }
        }
        for (from, edge) in edges {
            self.edge(&from, &svid, edge);
        }
        for (cluster, via_condition) in clusters {
            for sa in service_accounts(e, &cluster, &self.sas) {
                let whose = if sa.wide {
                    format!(
                        "the pods of namespace {} (the entry selects no k8s:sa, so every service account of it counts)",
                        sa.ns
                    )
                } else {
                    format!("pods running as service account {}/{}", sa.ns, sa.name)
                };
                let reason = format!(
                    "{} ({}) gives {svid} to {whose}, on a node of cluster {cluster} whose SPIRE agent obtains it",
                    e.label(),
                    e.selector_list()
                );
                let key = sa_key(&cluster, &sa.ns, &sa.name);
                if self.graph.find(&key).is_none() {
                    let why = format!("selected by SPIRE {}", e.label());
                    let id = add_placeholder(
                        self.graph,
                        &key,
                        NodeKind::ServiceAccount,
                        "k8s",
                        why,
                        prov.clone(),
                    );
                    let node = self.graph.node_mut(id);
                    node.name = format!("{}/{}", sa.ns, sa.name).into();
                    node.scope = Some(format!("{cluster}/{}", sa.ns).into());
                }
                let mut edge = make(EdgeKind::CanAssume, reason);
                edge.conditions = sa.conditions;
                if let Some(c) = &via_condition {
                    edge.conditions.push(Condition::described(c.clone()));
                }
                self.edge(&key, &svid, edge);
            }
        }
        let td = e.spiffe_id.domain_key();
        if e.downstream {
            let reason = format!(
                "{} is downstream: its SVID's holder is a nested SPIRE server, handed an intermediate CA of {} that signs any SVID of it",
                e.label(),
                e.spiffe_id.td
            );
            let mut edge = make(EdgeKind::CanEscalate, reason);
            edge.technique = Some("spire-downstream".into());
            self.edge(&svid, &td, edge);
        }
        if e.admin {
            let reason = format!(
                "{} is admin: its SVID may call the SPIRE server's admin APIs (create entries, mint SVIDs, evict agents)",
                e.label()
            );
            self.edge(
                &svid,
                &format!("{td}/spire/server"),
                make(EdgeKind::CanControl, reason),
            );
        }
    }
}

/// Adds a cluster: certain when any way to it is.
fn merge(clusters: &mut Clusters, cluster: String, condition: Option<String>) {
    if clusters.get(&cluster) != Some(&None) {
        clusters.insert(cluster, condition);
    }
}

/// The end of a reason on an edge an expired entry makes (dormant).
fn expired(at: Timestamp) -> String {
    format!("; the entry expired at {at}, so the server issues no SVID from it")
}

/// The cluster a node alias names (`k8s_psat:cluster:C` or `k8s_sat:cluster:C`), with its
/// other selectors; `None` when it names none, or two (no agent is in both).
fn alias_cluster(e: &Entry) -> Option<(String, Vec<String>)> {
    let mut cluster: Option<&str> = None;
    let mut others = Vec::new();
    for (ty, value) in &e.selectors {
        match (ty.as_str(), value.strip_prefix("cluster:")) {
            ("k8s_psat" | "k8s_sat", Some(c)) => match cluster {
                Some(seen) if seen != c => return None,
                _ => cluster = Some(c),
            },
            _ => others.push(format!("{ty}:{value}")),
        }
    }
    Some((cluster?.to_string(), others))
}

/// Whether an agent can hold a node alias: `None` when its ID rules it out, else the
/// selectors its ID does not settle. Only agents with SPIRE's agent path are matched.
fn alias_match(agent: &SpiffeId, alias: &Entry) -> Option<Vec<String>> {
    let (attestor, rest) = agent.agent()?;
    if agent.td != alias.spiffe_id.td {
        return None;
    }
    let mut unsettled = Vec::new();
    for (ty, value) in &alias.selectors {
        // An agent's node selectors all come from its attestor.
        if ty != attestor {
            return None;
        }
        let k8s = matches!(attestor, "k8s_psat" | "k8s_sat");
        match value.split_once(':') {
            Some(("cluster", c)) if k8s => {
                if rest.first() != Some(&c) {
                    return None;
                }
            }
            Some(("agent_node_uid", uid)) if attestor == "k8s_psat" => {
                if rest.get(1) != Some(&uid) {
                    return None;
                }
            }
            _ => unsettled.push(format!("{ty}:{value}")),
        }
    }
    Some(unsettled)
}

/// The namespace of an entry that selects a namespace and no service account.
fn namespace_wide(e: &Entry) -> Option<&str> {
    let mut ns = None;
    for (ty, value) in &e.selectors {
        match (ty.as_str(), value.split_once(':')) {
            ("k8s", Some(("sa", _))) => return None,
            ("k8s", Some(("ns", n))) => ns = Some(n),
            _ => {}
        }
    }
    ns
}

/// The service accounts of `cluster` whose pods match the entry's `k8s` selectors.
/// Entries with no `k8s:ns` or `k8s:sa` (a `unix:uid` workload) select none: the
/// agent's edge says who gets them.
fn service_accounts(
    e: &Entry,
    cluster: &str,
    known: &BTreeMap<(String, String), BTreeSet<String>>,
) -> Vec<Selected> {
    let (mut nss, mut names, mut others) = (BTreeSet::new(), BTreeSet::new(), Vec::new());
    for (ty, value) in &e.selectors {
        match (ty.as_str(), value.split_once(':')) {
            ("k8s", Some(("ns", ns))) => {
                nss.insert(ns);
            }
            ("k8s", Some(("sa", sa))) => {
                names.insert(sa);
            }
            _ => others.push(format!("{ty}:{value}")),
        }
    }
    // A pod has one namespace and one service account: two of either match none.
    if nss.len() > 1 || names.len() > 1 {
        return Vec::new();
    }
    let selected = |ns: &str, name: &str, wide: bool| Selected {
        ns: ns.to_string(),
        name: name.to_string(),
        conditions: if others.is_empty() {
            Vec::new()
        } else {
            vec![Condition::described(format!(
                "the pod must also match {}",
                others.join(", ")
            ))]
        },
        wide,
    };
    match (nss.first(), names.first()) {
        (Some(ns), Some(name)) => vec![selected(ns, name, false)],
        (Some(ns), None) => known
            .get(&(cluster.to_string(), ns.to_string()))
            .into_iter()
            .flatten()
            .map(|name| selected(ns, name, true))
            .collect(),
        (None, Some(name)) => known
            .range((cluster.to_string(), String::new())..)
            .take_while(|((c, _), _)| c == cluster)
            .filter(|(_, names)| names.contains(*name))
            .map(|((_, ns), _)| selected(ns, name, false))
            .collect(),
        (None, None) => Vec::new(),
    }
}
