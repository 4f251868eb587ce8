//! GCP IAM commands for the playbook catalogue.

use super::*;

/// The service account email a node names (`gcp:sa:EMAIL`, `gcp:key:EMAIL/KEY_ID`).
fn gcp_sa(node: &Node) -> Option<&str> {
    rest(&node.key, "gcp", "sa")
        .or_else(|| rest(&node.key, "gcp", "key").map(|r| r.split('/').next().unwrap_or(r)))
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let sa = site
        .either(|n| gcp_sa(n).is_some())
        .and_then(gcp_sa)
        .unwrap_or("<SA_EMAIL>");
    let sa_q = q(sa);
    let token_live = format!(
        "access tokens minted from this key stay valid up to 1 h: disable the service account to reject them (gcloud iam service-accounts disable {sa_q})"
    );
    match action {
        "deactivate_key" | "rotate" | "revoke_token" if site.node.key.starts_with("gcp:key:") => {
            let id = q(site.node.key.rsplit('/').next().unwrap_or("<KEY_ID>"));
            let mut commands = Vec::new();
            if action == "rotate" {
                commands.push(format!("gcloud iam service-accounts keys create new-key.json --iam-account={sa_q}  # hand it to the consumers, then:"));
            }
            commands.push(format!(
                "gcloud iam service-accounts keys disable {id} --iam-account={sa_q}"
            ));
            leaves(
                commands,
                token_live,
                true,
                format!(
                    "undo: gcloud iam service-accounts keys enable {id} --iam-account={sa_q}; keep it disabled at least 24 h before deleting it (delete is final)"
                ),
            )
        }
        "revoke_token" => leaves(
            vec![format!(
                "# service account access tokens are not revocable: disable the account that minted it (gcloud iam service-accounts disable {sa_q})"
            )],
            "the token stays valid until it expires (up to 1 h) unless its service account is disabled",
            false,
            "nothing to undo: tokens cannot be revoked, only outlived",
        ),
        "disable_identity" => kills(
            vec![format!("gcloud iam service-accounts disable {sa_q}")],
            true,
            format!(
                "its existing tokens are rejected, and accepted again on re-enable: gcloud iam service-accounts enable {sa_q}; everything running as it loses access (the default Compute service account means VMs)"
            ),
        ),
        "remove_binding" => {
            let member = match site.peer.and_then(gcp_sa) {
                Some(email) => shell(&format!("serviceAccount:{email}")),
                None => "<MEMBER>".into(),
            };
            let role = site
                .id
                .split(':')
                .find(|f| f.starts_with("roles/"))
                .unwrap_or("<ROLE>");
            let hint = if role.starts_with('<') {
                "  # gcloud projects get-iam-policy shows the member's <ROLE>"
            } else {
                ""
            };
            let key = site.key();
            let command = if let Some(project) = rest(key, "gcp", "project") {
                format!(
                    "gcloud projects remove-iam-policy-binding {} --member={member} --role={}{hint}",
                    shell(project),
                    q(role)
                )
            } else if let Some(target) = rest(key, "gcp", "sa") {
                format!(
                    "gcloud iam service-accounts remove-iam-policy-binding {} --member={member} --role=roles/iam.serviceAccountTokenCreator",
                    shell(target)
                )
            } else if let Some(ds) = rest(key, "gcp", "bigquery") {
                let ds = shell(&ds.replacen('/', ":", 1));
                format!(
                    "bq show --format=prettyjson {ds} > dataset.json  # drop the access entry of {member} ({role}) from it, then: bq update --source dataset.json {ds}"
                )
            } else {
                format!("# remove the binding of {member} ({role}) from {key}")
            };
            kills(
                vec![command],
                true,
                "existing tokens lose the role after propagation (about 2 min, possibly 7+, hours for groups); undo: add-iam-policy-binding with the same member and role",
            )
        }
        "disable_provider" => {
            let field = |name: &str| {
                site.node
                    .key
                    .split('/')
                    .skip_while(|f| *f != name)
                    .nth(1)
                    .map(str::to_string)
            };
            let pool = field("workloadIdentityPools").map_or("<POOL>".into(), |p| shell(&p));
            let prov = field("providers").map_or_else(|| shell(&site.node.name), |p| shell(&p));
            leaves(
                vec![format!(
                    "gcloud iam workload-identity-pools providers update-oidc {prov} --workload-identity-pool={pool} --location=global --disabled"
                )],
                format!(
                    "tokens already exchanged through it still grant access until they expire: disable the pool to block them (gcloud iam workload-identity-pools update {pool} --location=global --disabled)"
                ),
                true,
                "undo: the same update without --disabled (or a narrower --attribute-condition instead); a deleted provider can be undeleted for 30 days",
            )
        }
        "delete_secret" => copy(
            vec![format!(
                "gcloud secrets versions disable latest --secret={}  # disabling keeps evidence; delete later",
                q(&site.node.name)
            )],
            true,
            "undo: gcloud secrets versions enable",
        ),
        _ => None,
    }
}
