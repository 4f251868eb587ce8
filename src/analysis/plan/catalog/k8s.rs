//! Kubernetes commands for the playbook catalogue.

use super::*;

/// `kubectl --context CLUSTER [-n NS]` and the object name of a `k8s:CLUSTER:KIND:NS/NAME` key.
fn kubectl(key: &str) -> Option<(String, String, &str)> {
    let mut fields = key.strip_prefix("k8s:")?.splitn(3, ':');
    let (cluster, kind, path) = (fields.next()?, fields.next()?, fields.next().unwrap_or(""));
    let (ns, name) = match path.split_once('/') {
        Some((ns, name)) => (format!(" -n {}", shell(ns)), name),
        None if path.is_empty() => (String::new(), kind),
        None => (String::new(), path),
    };
    Some((format!("kubectl --context {}", shell(cluster)), ns, name))
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let (kc, ns, name) = kubectl(site.key())?;
    let name = shell(name);
    let ty = site.node.tags.get("type").map(String::as_str);
    let token_secret = ty == Some("kubernetes.io/service-account-token")
        || site
            .node
            .credential
            .as_ref()
            .and_then(|c| c.kind.as_deref())
            == Some("service_account_token");
    match action {
        "delete_secret" | "revoke_token" if token_secret => kills(
            vec![format!("{kc} delete secret {name}{ns}")],
            false,
            "not reversible: the legacy token dies with its Secret; a new Secret gets a new token",
        ),
        "delete_secret" | "rotate" if site.node.kind == NodeKind::Secret => {
            let command = if action == "rotate" {
                format!(
                    "{kc} create secret generic {name}{ns} --from-file=<KEY>=<NEW_VALUE_FILE> --dry-run=client -o yaml | {kc} apply -f -  # then restart the pods that read it"
                )
            } else {
                format!(
                    "{kc} delete secret {name}{ns}  # running pods keep the value they already read"
                )
            };
            let mut book = copy(
                vec![command],
                false,
                "not reversible from the cluster: re-create it with a new value from the issuer",
            )?;
            if ty.is_none() {
                book.live_tokens = Some(format!(
                    "if this Secret only stores a copy of another credential, {COPY_ONLY}; a legacy service-account token Secret (type kubernetes.io/service-account-token) is invalidated by the deletion"
                ));
            }
            Some(book)
        }
        "remove_binding" if site.id.contains("aws-auth") => {
            let who = site.peer.map_or("<PRINCIPAL>", |p| &p.key);
            kills(
                vec![format!(
                    "{kc} -n kube-system edit configmap aws-auth  # remove the mapRoles/mapUsers entry for {who}"
                )],
                true,
                "takes effect at the next request; undo: add the entry back (save the ConfigMap first with get -o yaml)",
            )
        }
        "remove_binding" => {
            let fields: Vec<&str> = site.id.split(':').collect();
            let named = fields
                .windows(2)
                .find(|w| w[0] == "rolebinding" || w[0] == "clusterrolebinding");
            let (kind, binding, ns) = match named {
                Some(&[kind, path]) => match path.split_once('/') {
                    Some((n, b)) => (kind, shell(b), format!(" -n {}", shell(n))),
                    None if kind == "rolebinding" => (kind, shell(path), ns),
                    None => (kind, shell(path), String::new()),
                },
                _ => ("rolebinding", "<BINDING_NAME>".to_string(), ns),
            };
            let mut commands = vec![
                format!(
                    "{kc} get {kind} {binding}{ns} -o yaml > binding.yaml  # keep a copy to restore"
                ),
                format!("{kc} delete {kind} {binding}{ns}"),
            ];
            if binding.starts_with('<') {
                let who = site.peer.map_or(site.key(), |p| &p.key);
                commands.insert(0, format!("{kc} get rolebindings,clusterrolebindings -A -o wide  # <BINDING_NAME> (and its kind): the one whose subjects include {who}"));
            }
            kills(
                commands,
                true,
                "effective at the next authorization check (the token still authenticates); undo: kubectl apply -f binding.yaml",
            )
        }
        "disable_identity" | "revoke_sessions" | "revoke_token"
            if site.node.kind == NodeKind::ServiceAccount =>
        {
            kills(
                vec![
                    format!(
                        "{kc} delete serviceaccount {name}{ns}  # every token bound to it dies; re-create it (new UID) once the workloads are clean"
                    ),
                    format!(
                        "{kc} rollout restart deployment{ns}  # pods that used it get fresh tokens"
                    ),
                ],
                false,
                "not reversible: a re-created ServiceAccount has a new UID, old tokens stay dead; bindings by name apply to it again",
            )
        }
        "revoke_token" => kills(
            vec![format!(
                "{kc} delete pod <POD>{ns}  # the pod the token is bound to: {kc} get pods{ns}"
            )],
            false,
            "not reversible: a bound token dies with its pod; its controller starts a new pod with a new token",
        ),
        _ => None,
    }
}
