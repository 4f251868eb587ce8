//! X.509: PEM and DER certificates, chains and private keys found anywhere in the inputs.
//! Certificates are keyed by the SHA-256 of their DER (as `openssl x509 -fingerprint
//! -sha256` prints it, lower-case, no colons); a private key is matched to every
//! certificate with its public key and is never kept: its public half is read, hashed
//! and dropped with the rest. A file under `…/hosts/HOST/…` was found on HOST; the PEM
//! bundle of a directory `…/relying/SERVICE/` lists the CAs SERVICE trusts for client
//! certificates. Everything is chained once all files are read ([`build`]).

mod build;
mod keys;

pub(crate) use build::finish;

use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

use super::{Builder, ImportError, Warning};

/// What a certificate says, kept without its DER.
#[derive(Debug, Clone)]
pub(crate) struct Cert {
    /// SHA-256 of the DER, lower-case hex.
    pub fingerprint: String,
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    pub serial: String,
    pub not_before: Option<jiff::Timestamp>,
    pub not_after: Option<jiff::Timestamp>,
    pub ca: bool,
    pub subject_key_id: Option<String>,
    pub authority_key_id: Option<String>,
    /// The public key's identity (algorithm and key bytes), to match private keys.
    pub public: Vec<u8>,
    pub file: String,
    pub place: Place,
    /// The Kubernetes TLS Secret that holds it (and its key), when it came from one.
    pub managed_by: Option<Managed>,
}

/// A `kubernetes.io/tls` Secret: where it is, and the cert-manager Certificate that
/// fills it, when its annotation names one.
#[derive(Debug, Clone)]
pub(crate) struct Managed {
    /// The Secret's node key.
    pub secret: String,
    pub cluster: String,
    pub namespace: String,
    pub name: String,
    pub certificate: Option<String>,
}

/// A private key: its public half's identity and how it was found.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    /// The public key's identity, when the key file holds it (an encrypted PKCS#8 key
    /// hides it until decrypted).
    pub public: Option<Vec<u8>>,
    /// SHA-256 of the key's DER, lower-case hex: its name when no certificate matches.
    pub digest: String,
    pub encrypted: bool,
    /// `RSA PRIVATE KEY`, `PRIVATE KEY`, …
    pub label: String,
    pub file: String,
    pub place: Place,
}

/// Where a file lies: on a host, in a relying service's bundle, or neither.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Place {
    pub host: Option<String>,
    /// The account whose home it lies in (`…/hosts/HOST/home/USER/…`, `…/root/…`).
    pub home: Option<String>,
    pub relying: Option<String>,
}

impl Place {
    fn of(file: &str) -> Place {
        let file = file.replace('\\', "/");
        let parts: Vec<&str> = file.split('/').collect();
        // The directory after `hosts/` or `relying/`, when a file lies below it.
        let after = |dir: &str| {
            let at = parts.iter().rposition(|p| *p == dir)?;
            (at + 2 < parts.len()).then(|| parts[at + 1].to_string())
        };
        let host = after("hosts");
        // The path inside the host: `home/USER/…` is USER's, `root/…` root's.
        let inside: Vec<&str> = parts
            .iter()
            .rposition(|p| *p == "hosts")
            .map_or(Vec::new(), |at| parts[(at + 2).min(parts.len())..].to_vec());
        let home = match inside.as_slice() {
            ["home", user, _, ..] => Some(user.to_string()),
            ["root", _, ..] => Some("root".to_string()),
            _ => None,
        };
        Place {
            home: host.as_ref().and(home),
            host,
            relying: after("relying"),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Inventory {
    certs: Vec<Cert>,
    keys: Vec<Key>,
    /// `kubernetes.io/tls` Secrets: the fingerprint of the certificate in its `tls.crt`
    /// (the first: the leaf), whose private key it holds, and the file it came from.
    secrets: Vec<(Managed, String, String)>,
    pub(crate) issuers: Vec<CaIssuer>,
    pub(crate) certificates: Vec<Certificate>,
}

/// A cert-manager `ca` Issuer or ClusterIssuer: the Secret that holds its key pair.
#[derive(Debug, Clone)]
pub(crate) struct CaIssuer {
    pub cluster: String,
    /// `None` for a ClusterIssuer (its Secret lies in cert-manager's own namespace).
    pub namespace: Option<String>,
    pub name: String,
    pub secret: String,
    pub file: String,
}

/// A cert-manager Certificate: the Secret it fills and the issuer that signs it.
#[derive(Debug, Clone)]
pub(crate) struct Certificate {
    pub cluster: String,
    pub namespace: String,
    pub secret: String,
    pub issuer: String,
    pub cluster_issuer: bool,
}

/// A `kubernetes.io/tls` Secret's `tls.crt` (base64 PEM, a leaf and maybe its chain):
/// its certificates are read and the Secret is linked to the first, whose private key
/// (`tls.key`, never read) it holds.
pub(crate) fn from_tls_secret(tls_crt: &str, file: &str, managed: Managed, builder: &mut Builder) {
    use base64::Engine as _;
    let shown = format!("{}/{}", managed.namespace, managed.name);
    let Ok(pem) = base64::engine::general_purpose::STANDARD.decode(tls_crt.trim()) else {
        builder.warnings.push(Warning::new(
            file,
            format!("Secret {shown}"),
            "tls.crt is not base64; its certificate is not read".to_string(),
        ));
        return;
    };
    let before = builder.x509.certs.len();
    let read = Pem::iter_from_buffer(&pem)
        .map_while(Result::ok)
        .filter(|p| p.label == "CERTIFICATE")
        .try_for_each(|p| cert(&p.contents, file, &Place::default(), builder));
    match (read, builder.x509.certs.get_mut(before)) {
        (Ok(()), Some(leaf)) => {
            leaf.managed_by = Some(managed.clone());
            let fingerprint = leaf.fingerprint.clone();
            builder
                .x509
                .secrets
                .push((managed, fingerprint, file.to_string()));
        }
        _ => builder.warnings.push(Warning::new(
            file,
            format!("Secret {shown}"),
            "tls.crt holds no certificate that could be read".to_string(),
        )),
    }
}

pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let place = Place::of(file);
    let mut found = 0usize;
    if bytes.first() == Some(&0x30) {
        // DER: one certificate.
        cert(bytes, file, &place, builder)?;
        return Ok(());
    }
    for (i, pem) in Pem::iter_from_buffer(bytes).enumerate() {
        let pem = pem.map_err(|e| ImportError::Invalid {
            file: file.to_string(),
            message: format!("PEM block {}: {}", i + 1, first_line(&e.to_string())),
        })?;
        found += 1;
        match pem.label.as_str() {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" => cert(&pem.contents, file, &place, builder)?,
            label if label.ends_with("PRIVATE KEY") => match keys::read(label, &pem.contents) {
                Ok((public, encrypted)) => builder.x509.keys.push(Key {
                    public,
                    digest: hex(&Sha256::digest(&pem.contents)),
                    encrypted,
                    label: label.to_string(),
                    file: file.to_string(),
                    place: place.clone(),
                }),
                Err(why) => builder.warnings.push(Warning::new(
                    file,
                    format!("PEM block {}", i + 1),
                    format!("{label}: {why}; skipped"),
                )),
            },
            other => builder.warnings.push(Warning::new(
                file,
                format!("PEM block {}", i + 1),
                format!("{} is not read; skipped", crate::report::clean(other)),
            )),
        }
    }
    if found == 0 {
        builder.warnings.push(Warning::new(
            file,
            "",
            "no PEM block could be read; skipped".to_string(),
        ));
    }
    Ok(())
}

fn cert(der: &[u8], file: &str, place: &Place, builder: &mut Builder) -> Result<(), ImportError> {
    let (_, c) = X509Certificate::from_der(der).map_err(|e| ImportError::Invalid {
        file: file.to_string(),
        message: format!("not a certificate: {}", first_line(&e.to_string())),
    })?;
    let time = |t: ASN1Time| jiff::Timestamp::from_second(t.timestamp()).ok();
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = c.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(d) => sans.push(format!("DNS:{d}")),
                GeneralName::RFC822Name(m) => sans.push(format!("email:{m}")),
                GeneralName::URI(u) => sans.push(format!("URI:{u}")),
                GeneralName::IPAddress(ip) => sans.push(format!("IP:{}", hex(ip))),
                _ => {}
            }
        }
    }
    let (mut ski, mut aki) = (None, None);
    for ext in c.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(hex(k.0)),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| hex(k.0));
            }
            _ => {}
        }
    }
    let spki = c.public_key();
    builder.x509.certs.push(Cert {
        fingerprint: hex(&Sha256::digest(der)),
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        sans,
        serial: c.raw_serial_as_string(),
        not_before: time(c.validity().not_before),
        not_after: time(c.validity().not_after),
        ca: c.is_ca(),
        subject_key_id: ski,
        authority_key_id: aki,
        public: keys::identity(
            &spki.algorithm.algorithm.to_id_string(),
            &spki.subject_public_key.data,
        ),
        file: file.to_string(),
        place: place.clone(),
        managed_by: None,
    });
    Ok(())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn first_line(message: &str) -> String {
    crate::import::error::redact_values(message.lines().next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_place_names_host_and_relying_service() {
        assert_eq!(
            Place::of("x/hosts/web-1/etc/tls/key.pem").host.as_deref(),
            Some("web-1")
        );
        assert_eq!(
            Place::of("x/relying/billing/ca.crt").relying.as_deref(),
            Some("billing")
        );
        assert_eq!(Place::of("x/hosts/web-1"), Place::default());
        assert_eq!(
            Place::of("x/hosts/ci-1/home/deploy/bot.pem")
                .home
                .as_deref(),
            Some("deploy")
        );
        assert_eq!(Place::of("x/hosts/web-1/etc/tls/k.pem").home, None);
    }
}
