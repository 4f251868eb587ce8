//! X.509 for the playbook catalogue. The importer writes each action's commands; here is
//! what each leaves alive and how to undo it. Actions are told by their id: revoking a
//! certificate also cuts edges out of a CA's node.

use super::*;

/// Whether an action is the X.509 importer's, by its id.
pub(super) fn owns(id: &str) -> bool {
    [
        "revoke-cert:x509:",
        "remove-trust:x509:relying:",
        "rotate:x509:",
        "rotate:x509-key:",
    ]
    .iter()
    .any(|p| id.starts_with(p))
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let id = site.id;
    let by_importer = || vec![comment("the importer's commands follow")];
    if id.starts_with("revoke-cert:") {
        return leaves(
            by_importer(),
            "relying parties that check neither the CRL nor OCSP keep accepting the certificate until it expires; sessions already established (TLS connections) live on",
            false,
            "not reversible: a revoked serial stays revoked; issue a new certificate",
        );
    }
    if id.starts_with("remove-trust:") {
        return kills(
            by_importer(),
            true,
            "every certificate that chains to the CA stops working at that service; undo: put the CA back in the bundle",
        );
    }
    if action == "rotate" {
        return leaves(
            by_importer(),
            "certificates signed with the old key stay valid until they are revoked or expire; revoke them at the issuer once reissued",
            false,
            "not reversible: reissue under the new key",
        );
    }
    None
}
