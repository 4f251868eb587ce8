//! Kubernetes commands for the playbook catalogue.

use super::*;

/// The cluster, namespace and object name of a `k8s:CLUSTER:KIND:NS/NAME` key.
struct Object<'k> {
    cluster: &'k str,
    /// The key's kind part: `sa`, `pod`, `deployment`, `node`, …
    kind: &'k str,
    ns: Option<&'k str>,
    name: &'k str,
}

impl<'k> Object<'k> {
    fn of(key: &'k str) -> Option<Object<'k>> {
        let mut fields = key.strip_prefix("k8s:")?.splitn(3, ':');
        let (cluster, kind, path) = (fields.next()?, fields.next()?, fields.next().unwrap_or(""));
        let (ns, name) = match path.split_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None if path.is_empty() => (None, kind),
            None => (None, path),
        };
        Some(Object {
            cluster,
            kind,
            ns,
            name,
        })
    }

    /// `kubectl --context CLUSTER WORDS…`
    fn kubectl<'a>(&self, words: impl IntoIterator<Item = &'a str>) -> Cmd {
        Cmd::new("kubectl")
            .arg("--context")
            .arg(self.cluster)
            .args(words)
    }

    /// `-n NS` when the object is namespaced.
    fn in_ns(&self, cmd: Cmd) -> Cmd {
        in_ns(cmd, self.ns)
    }
}

fn in_ns(cmd: Cmd, ns: Option<&str>) -> Cmd {
    match ns {
        Some(ns) => cmd.arg("-n").arg(ns),
        None => cmd,
    }
}

/// The kind and name of the binding a `remove-binding:k8s:CLUSTER:KIND:NAME` id names
/// (`rolebinding:NS/NAME` or `clusterrolebinding:NAME`). Binding names hold `:` often
/// (`system:controller:…`): everything after the kind is the name.
fn binding_of(id: &str) -> Option<(&'static str, &str)> {
    ["clusterrolebinding", "rolebinding"]
        .into_iter()
        .filter_map(|kind| {
            let at = id.find(&format!(":{kind}:"))?;
            Some((at, kind, &id[at + kind.len() + 2..]))
        })
        .min_by_key(|(at, _, _)| *at)
        .map(|(_, kind, name)| (kind, name))
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let obj = Object::of(site.key())?;
    let ty = site.node.tags.get("type");
    let token_secret = ty == Some("kubernetes.io/service-account-token")
        || site.node.credential.as_ref().and_then(|c| c.kind) == Some("service_account_token");
    let delete_secret = || obj.in_ns(obj.kubectl(["delete", "secret", obj.name]));
    match action {
        "delete_secret" | "revoke_token" if token_secret => kills(
            vec![delete_secret().into()],
            false,
            "not reversible: the legacy token dies with its Secret; a new Secret gets a new token",
        ),
        "delete_secret" | "rotate" if site.node.kind == NodeKind::Secret => {
            let command = if action == "rotate" {
                obj.in_ns(obj.kubectl(["create", "secret", "generic", obj.name]))
                    .word([Piece::Own("--from-file=<KEY>=<NEW_VALUE_FILE>")])
                    .args(["--dry-run=client", "-o", "yaml"])
                    .pipe(obj.kubectl(["apply", "-f", "-"]))
                    .note("then restart the pods that read it")
            } else {
                delete_secret().note("running pods keep the value they already read")
            };
            let mut book = copy(
                vec![command.into()],
                false,
                "not reversible from the cluster: re-create it with a new value from the issuer",
            )?;
            if ty.is_none() {
                book.live_tokens = Some(
                    format!(
                        "if this Secret only stores a copy of another credential, {COPY_ONLY}; a legacy service-account token Secret (type kubernetes.io/service-account-token) is invalidated by the deletion"
                    )
                    .into(),
                );
            }
            Some(book)
        }
        "remove_binding" if site.id.starts_with("remove-binding:eks:") => {
            let who = site.peer.map_or("<PRINCIPAL>", |p| p.key);
            kills(
                vec![obj
                    .kubectl(["-n", "kube-system", "edit", "configmap", "aws-auth"])
                    .note(format!("remove the mapRoles/mapUsers entry for {who}"))
                    .into()],
                true,
                "takes effect at the next request; undo: add the entry back (save the ConfigMap first with get -o yaml)",
            )
        }
        "remove_binding" => {
            let (kind, binding, ns) = match binding_of(site.id) {
                Some(("rolebinding", path)) => match path.split_once('/') {
                    Some((n, b)) => ("rolebinding", Some(b), Some(n)),
                    None => ("rolebinding", Some(path), obj.ns),
                },
                Some((kind, name)) => (kind, Some(name), None),
                None => ("rolebinding", None, obj.ns),
            };
            let on_binding = |verb| {
                let cmd = obj.kubectl([verb, kind]).arg(binding.map_or(hole("<BINDING_NAME>"), Piece::from));
                in_ns(cmd, ns)
            };
            let mut commands = vec![
                on_binding("get")
                    .args(["-o", "yaml"])
                    .to_file(format!("{}.{kind}.yaml", binding.unwrap_or("binding")))
                    .note("keep a copy to restore")
                    .into(),
                on_binding("delete").into(),
            ];
            if binding.is_none() {
                let who = site.peer.map_or(site.key(), |p| p.key);
                commands.insert(
                    0,
                    obj.kubectl(["get", "rolebindings,clusterrolebindings", "-A", "-o", "wide"])
                        .note(format!("<BINDING_NAME> (and its kind): the one whose subjects include {who}"))
                        .into(),
                );
            }
            kills(
                commands,
                true,
                "effective at the next authorization check (the token still authenticates); undo: kubectl apply -f the saved YAML",
            )
        }
        "disable_identity" | "revoke_sessions" | "revoke_token"
            if site.node.kind == NodeKind::ServiceAccount =>
        {
            leaves(
                vec![
                    obj.in_ns(obj.kubectl(["get", "serviceaccount", obj.name]))
                        .args(["-o", "yaml"])
                        .to_file(format!("{}.serviceaccount.yaml", obj.name))
                        .note("its annotations (IRSA, workload identity) and pull secrets, to re-create it")
                        .into(),
                    obj.in_ns(obj.kubectl(["delete", "serviceaccount", obj.name]))
                        .note("the API server rejects every token bound to it; re-create it (new UID) once the workloads are clean")
                        .into(),
                    crate::shell::comment("then re-create it and restart the workloads that run as it (kubectl rollout restart deployment/NAME …), so their pods get fresh tokens"),
                ],
                "tokens already issued stay valid wherever only their signature and expiry are checked (AWS STS through IRSA, Vault's jwt or kubernetes auth without TokenReview, any OIDC consumer) until they expire: an IRSA token lives up to 24 h, an in-pod token up to a year when the API server extends it; revoke what they were exchanged for there too",
                false,
                "not reversible: a re-created ServiceAccount has a new UID, old tokens stay dead in the cluster; bindings by name apply to it again",
            )
        }
        "disable_workload" => stop(&obj),
        "revoke_token" => kills(
            vec![obj
                .in_ns(obj.kubectl(["delete", "pod"]).word([hole("<POD>")]))
                .note(format!(
                    "the pod the token is bound to: {}",
                    obj.in_ns(obj.kubectl(["get", "pods"]))
                ))
                .into()],
            false,
            "not reversible: a bound token dies with its pod; its controller starts a new pod with a new token",
        ),
        _ => None,
    }
}

/// Stops a pod, a controller's pods, or a node, keeping what a responder needs first.
fn stop(obj: &Object<'_>) -> Option<Playbook> {
    let evidence = |what: &str| {
        obj.in_ns(obj.kubectl(["get", what, obj.name]))
            .args(["-o", "yaml"])
            .to_file(format!("{}.{what}.yaml", obj.name))
            .note("keep the spec as evidence (and to restore)")
            .into()
    };
    match obj.kind {
        "pod" => kills(
            vec![
                evidence("pod"),
                obj.in_ns(obj.kubectl(["delete", "pod", obj.name]))
                    .note("its service-account token dies with it; a controller starts a new pod from the same template: stop the controller too")
                    .into(),
            ],
            false,
            "not reversible: a deleted pod is gone (its controller, if any, makes a new one)",
        ),
        "deployment" | "statefulset" | "replicaset" | "replicationcontroller" => kills(
            vec![
                evidence(obj.kind),
                obj.in_ns(obj.kubectl(["scale", obj.kind, obj.name]))
                    .arg("--replicas=0")
                    .note("its pods and their tokens go; nothing it served is served until it is scaled back")
                    .into(),
            ],
            true,
            format!(
                "undo: {} with the count saved in the YAML (a ReplicaSet a Deployment owns is scaled back by it: stop the Deployment instead)",
                obj.in_ns(obj.kubectl(["scale", obj.kind, obj.name])).word([Piece::Own("--replicas="), hole("<N>")])
            ),
        ),
        "daemonset" => kills(
            vec![
                evidence("daemonset"),
                obj.in_ns(obj.kubectl(["patch", "daemonset", obj.name]))
                    .args(["-p", r#"{"spec":{"template":{"spec":{"nodeSelector":{"trustpath.io/stopped":"true"}}}}}"#])
                    .note("no node matches the selector, so every pod of it goes")
                    .into(),
            ],
            true,
            "undo: remove the nodeSelector again (kubectl apply the saved YAML)",
        ),
        "cronjob" => leaves(
            vec![
                evidence("cronjob"),
                obj.in_ns(obj.kubectl(["patch", "cronjob", obj.name]))
                    .args(["-p", r#"{"spec":{"suspend":true}}"#])
                    .into(),
            ],
            "jobs it already started keep running: delete them (kubectl get jobs shows them)",
            true,
            "undo: the same patch with suspend false",
        ),
        "job" => kills(
            vec![
                evidence("job"),
                obj.in_ns(obj.kubectl(["delete", "job", obj.name]))
                    .note("its pods go with it")
                    .into(),
            ],
            false,
            "not reversible: re-create it from the saved YAML",
        ),
        "node" => kills(
            vec![
                obj.kubectl(["cordon", obj.name]).note("no new pods land on it").into(),
                obj.kubectl(["drain", obj.name])
                    .args(["--ignore-daemonsets", "--delete-emptydir-data"])
                    .note("its pods move elsewhere: pods without a controller are lost")
                    .into(),
                obj.kubectl(["delete", "node", obj.name])
                    .note("node-bound tokens die; then terminate the machine and revoke its cloud role, which the kubelet's credentials come from")
                    .into(),
            ],
            false,
            "not reversible: the machine must rejoin the cluster (a new node)",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod binding_tests {
    #[test]
    fn binding_names_keep_their_colons() {
        assert_eq!(
            super::binding_of(
                "remove-binding:k8s:prod:clusterrolebinding:system:controller:bootstrap-signer"
            ),
            Some(("clusterrolebinding", "system:controller:bootstrap-signer"))
        );
        assert_eq!(
            super::binding_of(
                "remove-binding:k8s:prod:rolebinding:kube-system/system:controller:x"
            ),
            Some(("rolebinding", "kube-system/system:controller:x"))
        );
        assert_eq!(
            super::binding_of("remove-binding:eks:prod:aws-auth:arn"),
            None
        );
    }
}
