//! Kubernetes: `kubectl get … -o json|yaml` Lists of any mix of kinds (service accounts,
//! secrets, RBAC, pods and workload controllers, nodes, the `aws-auth` ConfigMap), and
//! the EKS access entries and pod identity associations `aws eks` prints. Objects are
//! collected per cluster and turned into nodes and edges once every file is read (a
//! binding and its role may come in different files).
//!
//! Secret values never enter: see [`objects`] for what the parser keeps.

mod build;
mod cloud;
mod grants;
mod objects;
mod rbac;

use std::collections::BTreeMap;

use super::{Builder, ImportError, Warning};
use crate::model::TrustGraph;
use objects::{AccessEntry, EksDoc, Object, PodIdentity};

/// Everything read from Kubernetes and EKS inputs, by cluster.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    clusters: BTreeMap<String, Cluster>,
}

/// One cluster's objects, each with the file it came from.
#[derive(Debug, Default)]
struct Cluster {
    objects: Vec<(Object, String)>,
    access_entries: Vec<(AccessEntry, String)>,
    pod_identities: Vec<(PodIdentity, String)>,
}

static CLUSTER_OVERRIDE: std::sync::RwLock<Option<String>> = std::sync::RwLock::new(None);

/// Names the cluster of every Kubernetes export that follows (`--cluster`), instead of
/// the directory each export is in.
pub fn set_cluster_name(name: Option<String>) {
    if let Ok(mut slot) = CLUSTER_OVERRIDE.write() {
        *slot = name;
    }
}

/// The cluster an export describes: `--cluster`, else the directory that holds it
/// (`…/prod/cluster.json` → `prod`).
fn cluster_of(file: &str) -> Option<String> {
    if let Some(name) = CLUSTER_OVERRIDE.read().ok().and_then(|s| s.clone()) {
        return Some(name);
    }
    let file = file.replace('\\', "/");
    // A pipe or process substitution (`/dev/stdin`, `/dev/fd/63`) names no cluster.
    if file.starts_with("/dev/") || file.starts_with("/proc/") {
        return None;
    }
    let mut dirs = file.rsplit('/').skip(1);
    dirs.next()
        .filter(|d| !d.is_empty() && *d != "." && *d != "..")
        .map(str::to_string)
        .or_else(|| {
            // A file named alone: the current directory's name.
            std::env::current_dir()
                .ok()?
                .file_name()?
                .to_str()
                .map(str::to_string)
        })
}

/// Reads a `kubectl get` document (JSON or YAML, one object or a List; YAML may hold
/// several documents).
pub(super) fn read_objects(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    let json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    let docs: Vec<Object> = if json {
        vec![serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?]
    } else {
        let text = String::from_utf8_lossy(bytes);
        match serde_saphyr::from_multiple(&text) {
            Ok(docs) => docs,
            Err(e) => {
                let (place, first) = super::error::yaml_error(&e);
                builder.warnings.push(Warning::new(
                    file,
                    &place,
                    format!("not valid YAML ({first}); skipped"),
                ));
                return Ok(());
            }
        }
    };
    let Some(cluster) = cluster_of(file) else {
        let message =
            "Kubernetes export with no directory to name its cluster: give --cluster NAME; skipped";
        builder.warnings.push(Warning::new(file, "", message));
        return Ok(());
    };
    let mut objects = Vec::new();
    for doc in docs {
        flatten(doc, &mut objects);
    }
    // A TLS Secret's certificate is read now and its text dropped: the Secret holds the
    // certificate's private key too, which the X.509 importer links it to.
    for o in &mut objects {
        let tls = o.secret_type.as_deref() == Some("kubernetes.io/tls");
        let Some(pem) = o.data.as_mut().and_then(|d| d.tls_crt.take()) else {
            continue;
        };
        if tls && o.kind == "Secret" {
            let ns = o
                .metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into());
            let managed = super::x509::Managed {
                secret: format!("k8s:{cluster}:secret:{ns}/{}", o.metadata.name),
                cluster: cluster.clone(),
                namespace: ns,
                name: o.metadata.name.clone(),
                certificate: o
                    .metadata
                    .annotations
                    .get("cert-manager.io/certificate-name")
                    .cloned(),
            };
            super::x509::from_tls_secret(&pem, file, managed, builder);
        }
    }
    // cert-manager: which Secret holds each `ca` issuer's key pair, and which issuer
    // signs each Certificate's Secret, for the X.509 importer to follow.
    for o in &objects {
        let Some(spec) = &o.spec else { continue };
        match (
            o.kind.as_str(),
            &spec.ca,
            &spec.issuer_ref,
            &spec.secret_name,
        ) {
            ("Issuer" | "ClusterIssuer", Some(ca), _, _) => {
                builder.x509.issuers.push(super::x509::CaIssuer {
                    cluster: cluster.clone(),
                    namespace: (o.kind == "Issuer").then(|| namespace(o)),
                    name: o.metadata.name.clone(),
                    secret: ca.secret_name.clone(),
                    file: file.to_string(),
                });
            }
            ("Certificate", _, Some(issuer), Some(secret)) => {
                builder.x509.certificates.push(super::x509::Certificate {
                    cluster: cluster.clone(),
                    namespace: namespace(o),
                    secret: secret.clone(),
                    issuer: issuer.name.clone(),
                    cluster_issuer: issuer.kind.as_deref() == Some("ClusterIssuer"),
                });
            }
            _ => {}
        }
    }
    let entry = builder.k8s.clusters.entry(cluster).or_default();
    entry
        .objects
        .extend(objects.into_iter().map(|o| (o, file.to_string())));
    Ok(())
}

/// The objects of a document: a List's items (named by the list's kind when they carry
/// none, as raw API lists do), or the document itself.
fn flatten(mut doc: Object, out: &mut Vec<Object>) {
    match doc.items.take() {
        Some(items) => {
            let kind = doc
                .kind
                .strip_suffix("List")
                .unwrap_or_default()
                .to_string();
            for mut item in items {
                if item.kind.is_empty() {
                    item.kind.clone_from(&kind);
                }
                flatten(item, out);
            }
        }
        None if !doc.kind.is_empty() => out.push(doc.secret_data_checked()),
        None => {}
    }
}

fn namespace(o: &Object) -> String {
    o.metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into())
}

/// Reads `aws eks describe-access-entry`, `list-access-entries`,
/// `describe-pod-identity-association` or `list-pod-identity-associations` output.
pub(super) fn read_eks(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let doc: EksDoc = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
    if doc.access_entries.is_some() {
        let message = "list-access-entries names principals only: save `aws eks describe-access-entry` for each to see its Kubernetes user and groups";
        builder.warnings.push(Warning::new(file, "", message));
    }
    // `--cluster` names every export's cluster, these too.
    let named = |own: &str| {
        CLUSTER_OVERRIDE
            .read()
            .ok()
            .and_then(|s| s.clone())
            .unwrap_or_else(|| own.to_string())
    };
    if let Some(entry) = doc.access_entry {
        let cluster = named(&entry.cluster_name);
        builder
            .k8s
            .clusters
            .entry(cluster)
            .or_default()
            .access_entries
            .push((entry, file.to_string()));
    }
    for association in doc
        .association
        .into_iter()
        .chain(doc.associations.into_iter().flatten())
    {
        let cluster = named(&association.cluster_name);
        builder
            .k8s
            .clusters
            .entry(cluster)
            .or_default()
            .pod_identities
            .push((association, file.to_string()));
    }
    Ok(())
}

/// Derives every cluster's nodes and edges.
pub(super) fn finish(k8s: &Inventory, graph: &mut TrustGraph, warnings: &mut Vec<Warning>) {
    for (name, cluster) in &k8s.clusters {
        build::cluster(name, cluster, graph, warnings);
    }
}
