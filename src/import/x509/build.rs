//! Certificates, their chains, their private keys and the services that trust them.
//!
//! A CA certificate's node stands for its signing key: whoever holds it can sign any
//! certificate, so it reaches every certificate it issued (down the chain, never up to
//! its own issuer or across to other roots) and every relying service whose bundle
//! holds it. A private key authenticates as every certificate with its public key. A
//! relying service trusts a leaf only through a CA in its bundle.
//!
//! A certificate is an identity (a CA a provider, a leaf a service account), not a
//! credential: only credential nodes carry a lifecycle in the model, so its validity is
//! kept as tags and applied to the edges out of it as of `--at`: past its not-after they
//! are dormant (the certificate is reachable but unusable), before its not-before they
//! hold only from then.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::{Cert, Inventory, Key};
use crate::import::{Warning, add_new_node, provenance, revoke};
use crate::model::{Condition, Credential, Edge, EdgeKind, NodeKind, Revoke, TrustGraph};
use crate::shell::{Cmd, hole};

pub(crate) fn finish(
    inv: &Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: Timestamp,
) {
    if inv.certs.is_empty()
        && inv.keys.is_empty()
        && inv.secrets.is_empty()
        && inv.issuers.is_empty()
    {
        return;
    }
    let _ = warnings;
    // One node per certificate, however many files hold it; every bundle it is in.
    let mut certs: BTreeMap<&str, &Cert> = BTreeMap::new();
    let mut bundles: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in &inv.certs {
        // The copy read from a TLS Secret knows how to reissue it.
        certs
            .entry(&c.fingerprint)
            .and_modify(|kept| {
                if kept.managed_by.is_none() && c.managed_by.is_some() {
                    *kept = c;
                }
            })
            .or_insert(c);
        if let Some(s) = &c.place.relying {
            bundles.entry(&c.fingerprint).or_default().insert(s);
        }
    }
    let children = issued(&certs);
    for c in certs.values() {
        let signed: Vec<&str> = children
            .get(c.fingerprint.as_str())
            .into_iter()
            .flatten()
            .map(|k| short(&certs[k].subject))
            .collect();
        cert_node(graph, c, &signed);
    }
    for (parent, kids) in &children {
        for kid in kids {
            sign_edge(graph, certs[parent], certs[kid], at);
        }
    }
    relying(graph, &certs, &bundles, &children, at);
    for k in &inv.keys {
        key_node(graph, k, &certs);
    }
    for (managed, fingerprint, file) in &inv.secrets {
        tls_secret(graph, &managed.secret, certs[fingerprint.as_str()], file);
    }
    ca_issuers(graph, inv, &certs, &children);
}

/// The namespace cert-manager keeps a ClusterIssuer's Secret in (its
/// `--cluster-resource-namespace`, by default its own).
const CLUSTER_RESOURCE_NAMESPACE: &str = "cert-manager";

/// A `ca` Issuer signs with the key pair in its Secret: whoever reads that Secret holds
/// the CA key. Its CA certificate is the issuer of the leaves its Certificates' Secrets
/// hold (the CA Secret's own values need not be in the inputs).
fn ca_issuers(
    graph: &mut TrustGraph,
    inv: &Inventory,
    certs: &BTreeMap<&str, &Cert>,
    children: &BTreeMap<&str, Vec<&str>>,
) {
    for issuer in &inv.issuers {
        let ns = issuer
            .namespace
            .as_deref()
            .unwrap_or(CLUSTER_RESOURCE_NAMESPACE);
        let secret = format!("k8s:{}:secret:{ns}/{}", issuer.cluster, issuer.secret);
        // The leaves of this issuer's Certificates, then the CA certificates above them.
        let leaves: BTreeSet<&str> = inv
            .certificates
            .iter()
            .filter(|c| {
                c.cluster == issuer.cluster
                    && c.issuer == issuer.name
                    && c.cluster_issuer == issuer.namespace.is_none()
                    && (c.cluster_issuer || Some(&c.namespace) == issuer.namespace.as_ref())
            })
            .flat_map(|c| {
                let key = format!("k8s:{}:secret:{}/{}", c.cluster, c.namespace, c.secret);
                inv.secrets
                    .iter()
                    .filter(move |(m, _, _)| m.secret == key)
                    .map(|(_, fp, _)| fp.as_str())
            })
            .collect();
        let cas: BTreeSet<&str> = children
            .iter()
            .filter(|(_, kids)| kids.iter().any(|k| leaves.contains(k)))
            .map(|(ca, _)| *ca)
            .collect();
        for ca in cas {
            let c = certs[ca];
            let Some(to) = graph.find(&key_of(c)) else {
                continue;
            };
            let prov = provenance(
                graph,
                &issuer.file,
                format!("cert-manager issuer {}", issuer.name),
            );
            let from = crate::import::add_placeholder(
                graph,
                &secret,
                NodeKind::Secret,
                "k8s",
                format!("the key pair of cert-manager issuer {}", issuer.name),
                prov.clone(),
            );
            let edge = Edge::new(
                EdgeKind::Contains,
                format!(
                    "cert-manager issuer {} (ca) signs with the key pair in Secret {ns}/{}: {}",
                    issuer.name,
                    issuer.secret,
                    short(&c.subject)
                ),
                prov,
            );
            graph.add_edge(from, to, edge);
        }
    }
}

/// A `kubernetes.io/tls` Secret holds its certificate's private key: whoever reads the
/// Secret authenticates as the certificate.
fn tls_secret(graph: &mut TrustGraph, secret: &str, c: &Cert, file: &str) {
    let (Some(from), Some(to)) = (graph.find(secret), graph.find(&key_of(c))) else {
        return;
    };
    let prov = provenance(graph, file, format!("TLS Secret of {}", short(&c.subject)));
    let name = secret.rsplit(':').next().unwrap_or(secret);
    let edge = Edge::new(
        EdgeKind::Contains,
        format!(
            "Secret {name} (kubernetes.io/tls) holds the certificate {} and its private key (tls.key, never read)",
            short(&c.subject)
        ),
        prov,
    );
    // No revoke of its own: a copy once read stays read. The certificate is revoked at
    // its issuer, which cuts what it opens.
    graph.add_edge(from, to, edge);
}

/// The certificates each CA issued: same issuer name as the CA's subject, and the same
/// key identifier when both say one (a re-keyed CA keeps its name).
fn issued<'c>(certs: &BTreeMap<&'c str, &'c Cert>) -> BTreeMap<&'c str, Vec<&'c str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in certs.values() {
        let self_signed = c.subject == c.issuer
            && (c.authority_key_id.is_none() || c.authority_key_id == c.subject_key_id);
        if self_signed {
            continue;
        }
        for p in certs.values() {
            let ids_agree = match (&c.authority_key_id, &p.subject_key_id) {
                (Some(a), Some(s)) => a == s,
                _ => true,
            };
            if p.ca && p.fingerprint != c.fingerprint && p.subject == c.issuer && ids_agree {
                out.entry(&p.fingerprint).or_default().push(&c.fingerprint);
            }
        }
    }
    out
}

fn key_of(c: &Cert) -> String {
    format!("x509:{}", c.fingerprint)
}

/// A short name: the subject's CN, else the whole subject.
fn short(subject: &str) -> &str {
    subject
        .split(", ")
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or(subject)
}

fn cert_node(graph: &mut TrustGraph, c: &Cert, signed: &[&str]) {
    let prov = provenance(graph, &c.file, format!("certificate {}", short(&c.subject)));
    let kind = if c.ca {
        NodeKind::Provider
    } else {
        NodeKind::ServiceAccount
    };
    let name = format!(
        "{} ({})",
        short(&c.subject),
        if c.ca { "CA" } else { "certificate" }
    );
    let Some(node) = add_new_node(graph, &key_of(c), kind, "x509", &name, None, prov) else {
        return;
    };
    let mut tag = |k: &str, v: String| {
        if !v.is_empty() {
            node.tags.insert(k.into(), v);
        }
    };
    tag("subject", c.subject.clone());
    tag("issuer", c.issuer.clone());
    tag("serial", c.serial.clone());
    tag("sans", c.sans.join(", "));
    tag("ca", c.ca.to_string());
    tag("found_on", c.place.host.clone().unwrap_or_default());
    // Validity as tags, not a `credential` block: a certificate node is no credential,
    // and the model gives only credentials a lifecycle. [`validity`] applies it.
    let time = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    tag("not_before", time(c.not_before));
    tag("not_after", time(c.not_after));
    if c.ca {
        node.revoke.push(revoke(
            format!("rotate:{}", key_of(c)),
            "rotate",
            20,
            vec![
                Cmd::new("openssl")
                    .args(["req", "-new", "-x509", "-key"])
                    .arg(hole("<NEW_CA_KEY>"))
                    .arg("-subj")
                    .arg(format!("/{}", c.subject.replace(", ", "/")))
                    .args(["-days", "3650", "-out"])
                    .arg(hole("<NEW_CA_CERT>"))
                    .note(format!(
                        "a new CA key and certificate; every certificate it signed must be reissued under it ({} in the inputs: {}), and every relying bundle must swap it in",
                        signed.len(),
                        signed.join(", ")
                    ))
                    .render(),
            ],
        ));
    }
}

/// Revoking a certificate at its issuer: a private CA's revocation list; for one that
/// cert-manager keeps in a Secret, deleting the Secret so it is reissued.
fn revoke_at_issuer(c: &Cert) -> Revoke {
    let id = format!("revoke-cert:{}", key_of(c));
    let until = c
        .not_after
        .map_or("it expires".to_string(), |t| t.to_string());
    if let Some(m) = &c.managed_by {
        let mut commands = vec![
            Cmd::new("kubectl")
                .arg("--context")
                .arg(m.cluster.clone())
                .args(["delete", "secret"])
                .arg(m.name.clone())
                .arg("-n")
                .arg(m.namespace.clone())
                .note("cert-manager issues a new certificate into it (a new key when the Certificate's privateKey.rotationPolicy is Always)")
                .render(),
        ];
        if let Some(certificate) = &m.certificate {
            commands.push(
                Cmd::new("cmctl")
                    .arg("renew")
                    .arg(certificate.clone())
                    .arg("-n")
                    .arg(m.namespace.clone())
                    .arg("--context")
                    .arg(m.cluster.clone())
                    .note(format!(
                        "the old certificate (serial {}) stays valid until {until} unless its issuer publishes a CRL the relying services check",
                        c.serial
                    ))
                    .render(),
            );
        }
        return revoke(id, "revoke_token", 4, commands);
    }
    revoke(
        id,
        "revoke_token",
        4,
        vec![
            Cmd::new("openssl")
                .args(["ca", "-config"])
                .arg(hole("<CA_CONFIG>"))
                .arg("-revoke")
                .arg(hole("<CERT_FILE>"))
                .note(format!(
                    "serial {} of {}; then publish the CRL (openssl ca -gencrl) or let OCSP answer: relying parties that check neither keep accepting it until {until}",
                    c.serial,
                    short(&c.subject),
                ))
                .render(),
        ],
    )
}

/// An edge out of a certificate holds only while the certificate is valid at `at`: past
/// its not-after it is dormant (relying parties refuse the certificate and every chain
/// through it), before its not-before it holds only from then.
fn validity(edge: &mut Edge, c: &Cert, at: Timestamp) {
    if let Some(after) = c.not_after.filter(|t| *t <= at) {
        edge.dormant = true;
        edge.reason = format!(
            "{}; but {} expired at {after}",
            edge.reason,
            short(&c.subject)
        )
        .into();
    } else if let Some(before) = c.not_before.filter(|t| *t > at) {
        edge.conditions.push(Condition::described(format!(
            "{} is valid only from {before}",
            short(&c.subject)
        )));
    }
}

fn sign_edge(graph: &mut TrustGraph, parent: &Cert, child: &Cert, at: Timestamp) {
    let (Some(from), Some(to)) = (graph.find(&key_of(parent)), graph.find(&key_of(child))) else {
        return;
    };
    let prov = graph.node(to).provenance.clone();
    let mut edge = Edge::new(
        EdgeKind::CanAssume,
        format!(
            "{} signed {}: its key can sign another certificate with the same subject and names",
            short(&parent.subject),
            short(&child.subject)
        ),
        prov,
    );
    edge.revoke = vec![revoke_at_issuer(child)].into();
    validity(&mut edge, parent, at);
    graph.add_edge(from, to, edge);
}

/// Relying services: each CA in a service's bundle reaches it; each leaf that chains to
/// one of those CAs authenticates to it.
fn relying(
    graph: &mut TrustGraph,
    certs: &BTreeMap<&str, &Cert>,
    bundles: &BTreeMap<&str, BTreeSet<&str>>,
    children: &BTreeMap<&str, Vec<&str>>,
    at: Timestamp,
) {
    let mut services: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (fp, in_bundles) in bundles {
        for s in in_bundles {
            services.entry(s).or_default().push(fp);
        }
    }
    for (service, trusted) in services {
        let key = format!("x509:relying:{service}");
        let file = certs[trusted[0]].file.clone();
        let prov = provenance(graph, &file, format!("trust bundle of {service}"));
        let name = format!("{service} (trusts client certificates of its bundle)");
        add_new_node(
            graph,
            &key,
            NodeKind::Resource,
            "x509",
            &name,
            None,
            prov.clone(),
        );
        let Some(to) = graph.find(&key) else { continue };
        for ca in &trusted {
            let c = certs[ca];
            let below = descendants(ca, children);
            let leaf_certs: Vec<&Cert> = below.iter().map(|d| certs[d]).filter(|l| !l.ca).collect();
            let leaves: Vec<&str> = leaf_certs.iter().map(|l| short(&l.subject)).collect();
            let Some(from) = graph.find(&key_of(c)) else {
                continue;
            };
            let mut edge = Edge::new(
                EdgeKind::CanAccess,
                format!(
                    "{service} trusts client certificates chained to {} (in its bundle {})",
                    short(&c.subject),
                    file_name(&c.file)
                ),
                prov.clone(),
            );
            edge.revoke = vec![revoke(
                format!("remove-trust:{key}:{}", c.fingerprint),
                "remove_trust",
                6,
                vec![crate::shell::comment(&format!(
                    "remove {} from {service}'s bundle; {} certificate(s) it signed stop working there: {}",
                    short(&c.subject),
                    leaves.len(),
                    leaves.join(", ")
                ))],
            )]
            .into();
            validity(&mut edge, c, at);
            graph.add_edge(from, to, edge);
            for l in &leaf_certs {
                let Some(from) = graph.find(&key_of(l)) else {
                    continue;
                };
                let mut edge = Edge::new(
                    EdgeKind::CanAccess,
                    format!(
                        "{} chains to {}, which {service} trusts",
                        short(&l.subject),
                        short(&c.subject)
                    ),
                    prov.clone(),
                );
                edge.revoke = vec![revoke_at_issuer(l)].into();
                validity(&mut edge, l, at);
                // The service checks the whole chain: an expired anchor fails it too.
                if !edge.dormant {
                    validity(&mut edge, c, at);
                }
                graph.add_edge(from, to, edge);
            }
        }
    }
}

/// Every certificate below a CA, in stable order.
fn descendants<'c>(ca: &str, children: &BTreeMap<&'c str, Vec<&'c str>>) -> Vec<&'c str> {
    let mut out: Vec<&str> = Vec::new();
    let mut stack: Vec<&str> = children.get(ca).cloned().unwrap_or_default();
    while let Some(c) = stack.pop() {
        if out.contains(&c) {
            continue;
        }
        out.push(c);
        stack.extend(children.get(c).into_iter().flatten());
    }
    out.sort_unstable();
    out
}

fn file_name(file: &str) -> &str {
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}

/// A key found on a host is read by whoever logs in there as root, or as the account
/// whose home holds it (when the SSH exports name those logins; none is invented).
fn found_on(graph: &mut TrustGraph, key: crate::model::NodeId, k: &Key) {
    let Some(host) = &k.place.host else { return };
    let mut users = vec!["root"];
    users.extend(k.place.home.as_deref().filter(|u| *u != "root"));
    for user in users {
        let Some(login) = graph.find(&format!("ssh:login:{host}/{user}")) else {
            continue;
        };
        let prov = graph.node(key).provenance.clone();
        let why = if user == "root" {
            format!(
                "{} on {host}: root reads every file there",
                file_name(&k.file)
            )
        } else {
            format!("{} lies in {user}'s home on {host}", file_name(&k.file))
        };
        graph.add_edge(login, key, Edge::new(EdgeKind::CanRead, why, prov));
    }
}

/// A private key: the credential behind every certificate with its public key.
fn key_node(graph: &mut TrustGraph, k: &Key, certs: &BTreeMap<&str, &Cert>) {
    let mut matching: Vec<&Cert> = certs
        .values()
        .filter(|c| k.public.as_ref().is_some_and(|p| *p == c.public))
        .copied()
        .collect();
    // An encrypted key hides its public half: the one certificate beside it in its file
    // (the usual `cert + key` PEM) is taken for its own.
    if k.public.is_none() {
        let beside: Vec<&Cert> = certs
            .values()
            .filter(|c| c.file == k.file && !c.ca)
            .copied()
            .collect();
        if let [only] = beside.as_slice() {
            matching.push(only);
        }
    }
    let id = matching
        .first()
        .map_or(k.digest.as_str(), |c| c.fingerprint.as_str());
    let key = format!("x509-key:{id}");
    let prov = provenance(graph, &k.file, format!("private key ({})", k.label));
    let name = match matching.first() {
        Some(c) => format!("private key of {}", short(&c.subject)),
        None => format!("private key in {}", file_name(&k.file)),
    };
    let rotate = revoke(
        format!("rotate:{key}"),
        "rotate",
        5,
        vec![
            Cmd::new("openssl")
                .args(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout"])
                .arg(hole("<NEW_KEY_FILE>"))
                .arg("-out")
                .arg(hole("<CSR_FILE>"))
                .note(format!(
                    "a new key and request for each certificate it backs ({}): have them reissued, then revoke the old ones at their issuer",
                    matching.len()
                ))
                .render(),
        ],
    );
    if let Some(node) = add_new_node(
        graph,
        &key,
        NodeKind::Credential,
        "x509",
        &name,
        None,
        prov.clone(),
    ) {
        node.credential = Some(Box::new(Credential {
            kind: Some("private_key".into()),
            status: Some("active".into()),
            copyable: Some(true),
            long_lived: Some(true),
            ..Credential::default()
        }));
        node.tags.insert("key_type".into(), k.label.clone());
        if k.encrypted {
            node.tags.insert(
                "encrypted".into(),
                "true: usable with its passphrase".into(),
            );
        }
        if let Some(h) = &k.place.host {
            node.tags.insert("found_on".into(), h.clone());
        }
        if matching.is_empty() {
            let why = if k.public.is_none() {
                "its public half is not in the file (encrypted, or Ed25519 PKCS#8 v1): no certificate can be matched"
            } else {
                "no certificate in the inputs has its public key"
            };
            node.tags.insert("certificates".into(), why.into());
        }
        node.revoke.push(rotate);
    }
    let Some(from) = graph.find(&key) else { return };
    found_on(graph, from, k);
    for c in matching {
        let Some(to) = graph.find(&key_of(c)) else {
            continue;
        };
        let mut edge = Edge::new(
            EdgeKind::AuthenticatesAs,
            format!(
                "the private key in {} holds the public key of {}",
                file_name(&k.file),
                short(&c.subject)
            ),
            prov.clone(),
        );
        if k.encrypted {
            edge.conditions.push(Condition::described(
                "if the key's passphrase is known (it is stored encrypted)",
            ));
        }
        edge.revoke = vec![revoke_at_issuer(c)].into();
        graph.add_edge(from, to, edge);
    }
}
