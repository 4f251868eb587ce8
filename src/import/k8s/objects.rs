//! The parts of Kubernetes objects trustpath reads, as `kubectl get -o json|yaml` writes
//! them. Only fields named here are kept: Secret `data`/`stringData`, ConfigMap data
//! other than `aws-auth`'s, literal `env` values and every annotation outside
//! [`KEPT_ANNOTATIONS`] (among them `kubectl.kubernetes.io/last-applied-configuration`,
//! which repeats a Secret's data) are skipped by the parser and never held.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

/// Annotations that say who an object acts as; every other one is dropped unread.
pub(super) const KEPT_ANNOTATIONS: [&str; 7] = [
    "cert-manager.io/certificate-name",
    "cert-manager.io/issuer-name",
    "eks.amazonaws.com/role-arn",
    "iam.gke.io/gcp-service-account",
    "azure.workload.identity/client-id",
    "kubernetes.io/service-account.name",
    "kubernetes.io/service-account.uid",
];

/// One object; the fields of every kind trustpath reads, absent ones empty.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Object {
    pub kind: String,
    /// A `List` (or `PodList`, `RoleBindingList`…): its objects. Raw API lists omit each
    /// item's `kind`; the list's own kind names it.
    pub items: Option<Vec<Object>>,
    pub metadata: Metadata,
    /// ServiceAccount, Pod (`spec.automountServiceAccountToken` is on the spec).
    pub automount_service_account_token: Option<bool>,
    /// Secret
    #[serde(rename = "type")]
    pub secret_type: Option<String>,
    /// Role, ClusterRole
    pub rules: Option<Vec<Rule>>,
    pub aggregation_rule: Option<AggregationRule>,
    /// RoleBinding, ClusterRoleBinding
    pub role_ref: Option<RoleRef>,
    pub subjects: Option<Vec<Subject>>,
    /// Pod, workload controllers, Node
    pub spec: Option<Spec>,
    /// Secret and ConfigMap `data`: the key names, and the values of `aws-auth`'s keys
    /// only (see [`Data`]).
    pub data: Option<Data>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Metadata {
    pub name: String,
    pub namespace: Option<String>,
    pub uid: Option<String>,
    pub creation_timestamp: Option<String>,
    pub labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "kept_annotations")]
    pub annotations: BTreeMap<String, String>,
    pub owner_references: Vec<OwnerReference>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OwnerReference {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Rule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
    #[serde(rename = "nonResourceURLs")]
    pub non_resource_urls: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct AggregationRule {
    pub cluster_role_selectors: Vec<Selector>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Selector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<Expression>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Expression {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(super) struct RoleRef {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(super) struct Subject {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

/// A Pod's spec, a controller's (whose pod template is `template.spec`, or
/// `jobTemplate.spec.template.spec` for a CronJob), or a Node's.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Spec {
    pub service_account_name: Option<String>,
    /// The deprecated spelling, still honoured by the API server.
    pub service_account: Option<String>,
    pub automount_service_account_token: Option<bool>,
    pub node_name: Option<String>,
    pub host_pid: bool,
    pub host_network: bool,
    pub host_ipc: bool,
    pub volumes: Vec<Volume>,
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub ephemeral_containers: Vec<Container>,
    pub template: Option<Box<Template>>,
    pub job_template: Option<Box<JobTemplate>>,
    pub replicas: Option<u32>,
    pub schedule: Option<String>,
    /// cert-manager Certificate: the Secret it fills, and the issuer that signs it.
    pub secret_name: Option<String>,
    pub issuer_ref: Option<IssuerRef>,
    /// cert-manager Issuer or ClusterIssuer of type `ca`: the Secret with its key pair.
    pub ca: Option<CaIssuer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct IssuerRef {
    pub name: String,
    pub kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct CaIssuer {
    pub secret_name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Template {
    pub metadata: Metadata,
    pub spec: Spec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct JobTemplate {
    pub spec: Spec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Volume {
    pub name: String,
    pub secret: Option<SecretVolume>,
    pub projected: Option<Projected>,
    pub host_path: Option<HostPath>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct SecretVolume {
    pub secret_name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Projected {
    pub sources: Vec<ProjectedSource>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct ProjectedSource {
    pub secret: Option<Named>,
    pub service_account_token: Option<TokenProjection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct TokenProjection {
    pub audience: Option<String>,
    pub expiration_seconds: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct HostPath {
    pub path: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Named {
    pub name: String,
}

/// A container: only where it takes Secrets from and whether it is privileged. Literal
/// `env[].value`s (which may hold a credential) are not part of it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Container {
    pub name: String,
    pub env: Vec<Env>,
    pub env_from: Vec<EnvFrom>,
    pub security_context: Option<SecurityContext>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Env {
    pub name: String,
    pub value_from: Option<ValueFrom>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct ValueFrom {
    pub secret_key_ref: Option<KeyRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct KeyRef {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct EnvFrom {
    pub secret_ref: Option<Named>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct SecurityContext {
    pub privileged: Option<bool>,
    pub allow_privilege_escalation: Option<bool>,
}

/// A Secret's or ConfigMap's `data`: the names of its keys (`key.json`, `token`: they
/// tell a responder what the object holds) and, for a ConfigMap, the values of
/// `mapRoles` and `mapUsers` (the `aws-auth` mappings). Every other value is skipped
/// unread, and a Secret keeps no value at all (see [`Object::secret_data_checked`]).
#[derive(Debug, Default)]
pub(super) struct Data {
    pub keys: Vec<String>,
    pub map_roles: Option<String>,
    pub map_users: Option<String>,
    /// A `kubernetes.io/tls` Secret's certificate (public, base64 PEM): fingerprinted
    /// while reading, then dropped. `tls.key` is skipped unread like every other value.
    pub tls_crt: Option<String>,
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Data, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = Data;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of data")
            }
            fn visit_unit<E>(self) -> Result<Data, E> {
                Ok(Data::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data, A::Error> {
                let mut data = Data::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "mapRoles" => data.map_roles = map.next_value()?,
                        "mapUsers" => data.map_users = map.next_value()?,
                        "tls.crt" => data.tls_crt = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    data.keys.push(key);
                }
                Ok(data)
            }
        }
        d.deserialize_any(Keys)
    }
}

impl Object {
    /// A Secret holds no value once read: `aws-auth`-named keys in a Secret are dropped too.
    pub(super) fn secret_data_checked(mut self) -> Object {
        if self.kind == "Secret"
            && let Some(data) = &mut self.data
        {
            data.map_roles = None;
            data.map_users = None;
        }
        self
    }
}

/// Annotations, keeping only [`KEPT_ANNOTATIONS`]: the others are skipped unread.
fn kept_annotations<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct Kept;
    impl<'de> Visitor<'de> for Kept {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of annotations")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut kept = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if KEPT_ANNOTATIONS.contains(&key.as_str()) {
                    kept.insert(key, map.next_value::<String>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(kept)
        }
    }
    d.deserialize_any(Kept)
}

/// One `aws-auth` mapping (`mapRoles` / `mapUsers` entries, YAML inside the ConfigMap).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AwsAuthEntry {
    pub rolearn: Option<String>,
    pub userarn: Option<String>,
    pub username: Option<String>,
    pub groups: Vec<String>,
}

/// `aws eks describe-access-entry` (`accessEntry`) and `list-access-entries`
/// (`accessEntries`, ARNs only).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct AccessEntry {
    pub cluster_name: String,
    pub principal_arn: String,
    pub kubernetes_groups: Vec<String>,
    pub username: Option<String>,
    #[serde(rename = "type")]
    pub entry_type: Option<String>,
}

/// `aws eks describe-pod-identity-association` (`association`) and
/// `list-pod-identity-associations` (`associations`, which carry no role).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct PodIdentity {
    pub cluster_name: String,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: Option<String>,
    pub target_role_arn: Option<String>,
    pub association_id: Option<String>,
}

/// The EKS documents, by their top-level key.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct EksDoc {
    pub access_entry: Option<AccessEntry>,
    pub access_entries: Option<Vec<String>>,
    pub association: Option<PodIdentity>,
    pub associations: Option<Vec<PodIdentity>>,
}
