//! GCP IAM commands for the playbook catalogue.

use super::*;

/// The service account email a node names (`gcp:sa:EMAIL`, `gcp:key:EMAIL/KEY_ID`).
fn gcp_sa<'n>(node: NodeRef<'n>) -> Option<&'n str> {
    rest(node.key, "gcp", "sa")
        .or_else(|| rest(node.key, "gcp", "key").map(|r| r.split('/').next().unwrap_or(r)))
}

/// `gcloud iam service-accounts …`
fn sa_cmd(verbs: &[&str]) -> Cmd {
    Cmd::new("gcloud")
        .args(["iam", "service-accounts"])
        .args(verbs.iter().copied())
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let sa = site.either(|n| gcp_sa(*n).is_some()).and_then(gcp_sa);
    let sa_p = || sa.map_or(hole("<SA_EMAIL>"), Piece::from);
    let disable_sa = || sa_cmd(&["disable"]).arg(sa_p());
    let token_live = format!(
        "access tokens minted from this key stay valid up to 1 h: disable the service account to reject them ({})",
        disable_sa()
    );
    match action {
        "deactivate_key" | "rotate" | "revoke_token" if site.node.key.starts_with("gcp:key:") => {
            let id = site.node.key.rsplit('/').next().unwrap_or_default();
            let key_cmd = |verb| sa_cmd(&["keys", verb, id]).eq("--iam-account", sa_p());
            let mut commands = Vec::new();
            if action == "rotate" {
                commands.push(
                    sa_cmd(&["keys", "create", "new-key.json"])
                        .eq("--iam-account", sa_p())
                        .note("hand it to the consumers, then:")
                        .into(),
                );
            }
            commands.push(key_cmd("disable").into());
            leaves(
                commands,
                token_live,
                true,
                format!(
                    "undo: {}; keep it disabled at least 24 h before deleting it (delete is final)",
                    key_cmd("enable")
                ),
            )
        }
        "revoke_token" => leaves(
            vec![comment(&format!(
                "service account access tokens are not revocable: disable the account that minted it ({})",
                disable_sa()
            ))],
            "the token stays valid until it expires (up to 1 h) unless its service account is disabled",
            false,
            "nothing to undo: tokens cannot be revoked, only outlived",
        ),
        "disable_identity" => kills(
            vec![disable_sa().into()],
            true,
            format!(
                "its existing tokens are rejected, and accepted again on re-enable: {}; everything running as it loses access (the default Compute service account means VMs)",
                sa_cmd(&["enable"]).arg(sa_p())
            ),
        ),
        "remove_binding" => {
            let peer = site.peer.and_then(gcp_sa);
            let member = || {
                peer.map_or(hole("<MEMBER>"), |email| {
                    format!("serviceAccount:{email}").into()
                })
            };
            let role = site.id.split(':').find(|f| f.starts_with("roles/"));
            let role_p = || role.map_or(hole("<ROLE>"), Piece::from);
            let (member_text, role_text) = (
                peer.map_or("<MEMBER>".into(), |email| format!("serviceAccount:{email}")),
                role.unwrap_or("<ROLE>"),
            );
            let key = site.key();
            let command = if let Some(project) = rest(key, "gcp", "project") {
                let cmd = Cmd::new("gcloud")
                    .args(["projects", "remove-iam-policy-binding", project])
                    .eq("--member", member())
                    .eq("--role", role_p());
                if role.is_none() {
                    cmd.note("gcloud projects get-iam-policy shows the member's <ROLE>")
                } else {
                    cmd
                }
                .into()
            } else if let Some(target) = rest(key, "gcp", "sa") {
                sa_cmd(&["remove-iam-policy-binding", target])
                    .eq("--member", member())
                    .eq("--role", "roles/iam.serviceAccountTokenCreator")
                    .into()
            } else if let Some(ds) = rest(key, "gcp", "bigquery") {
                let ds = ds.replacen('/', ":", 1);
                Cmd::new("bq")
                    .args(["show", "--format=prettyjson", &ds])
                    .to_file("dataset.json")
                    .note(format!(
                        "drop the access entry of {member_text} ({role_text}) from it, then: {}",
                        Cmd::new("bq").args(["update", "--source", "dataset.json", &ds])
                    ))
                    .into()
            } else {
                comment(&format!(
                    "remove the binding of {member_text} ({role_text}) from {key}"
                ))
            };
            kills(
                vec![command],
                true,
                "existing tokens lose the role after propagation (about 2 min, possibly 7+, hours for groups); undo: add-iam-policy-binding with the same member and role",
            )
        }
        "disable_provider" => {
            // `projects/N/locations/global/workloadIdentityPools/POOL/providers/P`: from
            // the provider's key, or the action's id on a link into its pool.
            let path = rest(site.node.key, "gcp", "wif-provider")
                .or_else(|| site.id.strip_prefix("disable-provider:gcp:wif-provider:"))
                // (An id comes from the inputs: only a provider's resource name, and
                // nothing a command could take for an option.)
                .filter(|p| {
                    p.starts_with("projects/")
                        && p.contains("/workloadIdentityPools/")
                        && !crate::shell::unsafe_name(p)
                });
            let pool_path = path
                .and_then(|p| p.split_once("/providers/"))
                .map(|(pool, _)| pool);
            let update = match site.node.tags.get("provider_type") {
                Some("aws") => "update-aws",
                Some("saml") => "update-saml",
                _ => "update-oidc",
            };
            let wif = |verbs: &[&str]| {
                Cmd::new("gcloud")
                    .args(["iam", "workload-identity-pools"])
                    .args(verbs.iter().copied())
            };
            leaves(
                vec![
                    wif(&["providers", update])
                        .arg(path.map_or(hole("<PROVIDER>"), Piece::from))
                        .arg("--disabled")
                        .note("the provider's full resource name; or a narrower --attribute-condition instead")
                        .into(),
                ],
                format!(
                    "federated tokens already exchanged through it still grant access until they expire (1 h by default): disable the pool to block them ({}); service-account access tokens already minted with them stay valid until they expire (up to 1 h) unless the account is disabled",
                    wif(&["update"])
                        .arg(pool_path.map_or(hole("<POOL>"), Piece::from))
                        .arg("--disabled")
                ),
                true,
                "undo: the same update without --disabled; a deleted provider can be undeleted for 30 days",
            )
        }
        "delete_secret" | "rotate" if site.node.key.starts_with("gcp:secret:") => {
            // `gcp:secret:projects/P/secrets/S`; another shape (a native graph's) leaves
            // holes rather than guess a project gcloud would default.
            let path = rest(site.node.key, "gcp", "secret").unwrap_or_default();
            let (project, name) = match path
                .strip_prefix("projects/")
                .and_then(|p| p.split_once("/secrets/"))
            {
                Some((p, n)) if !n.contains('/') => (Piece::from(p), Piece::from(n)),
                _ => (hole("<PROJECT>"), hole("<SECRET>")),
            };
            let versions = |verb: &str, version: Piece| {
                Cmd::new("gcloud")
                    .args(["secrets", "versions", verb])
                    .arg(version)
                    .eq("--secret", name.clone())
                    .eq("--project", project.clone())
            };
            let enabled = Cmd::new("gcloud")
                .args(["secrets", "versions", "list"])
                .arg(name.clone())
                .eq("--project", project.clone())
                .arg("--filter=state:enabled");
            let disable_each = versions("disable", hole("<VERSION>"))
                .note(format!("for each version {enabled} lists"));
            if action == "rotate" {
                return leaves(
                    vec![
                        Cmd::new("gcloud")
                            .args(["secrets", "versions", "add"])
                            .arg(name.clone())
                            .eq("--data-file", hole("<NEW_VALUE_FILE>"))
                            .eq("--project", project.clone())
                            .note("a new value, issued where the secret comes from; then disable the old ones:")
                            .into(),
                        disable_each.into(),
                    ],
                    "the old value keeps working wherever it is accepted until it is changed there too",
                    true,
                    "undo: gcloud secrets versions enable <VERSION>",
                );
            }
            copy(
                vec![
                    disable_each
                        .note("disabling keeps evidence; delete later")
                        .into(),
                ],
                true,
                "undo: gcloud secrets versions enable <VERSION>",
            )
        }
        _ => None,
    }
}
