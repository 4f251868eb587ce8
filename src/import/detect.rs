//! Format detection from content, never from the file name.

/// Formats trustpath reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// `trustpath/graph/v1` JSON
    Native,
    /// inventory overlay CSV: `id_or_glob,owner,purpose,environment,criticality`
    Inventory,
    /// links CSV: `from,to,kind,reason`
    Links,
    /// `aws iam get-account-authorization-details`
    AwsAuthorizationDetails,
    /// IAM credential report: the CSV, or `aws iam get-credential-report` JSON
    AwsCredentialReport,
    /// `aws iam list-access-keys`, `aws iam get-access-key-last-used`
    AwsAccessKeys,
    /// `aws iam list-open-id-connect-providers`, `get-open-id-connect-provider`,
    /// `list-saml-providers`
    AwsIdentityProviders,
    /// `aws organizations describe-policy` (a service control policy)
    AwsServiceControlPolicy,
    /// A GitHub Actions workflow (YAML with `on:` and `jobs:`)
    GithubWorkflow,
    /// `gh api` output: default workflow permissions, OIDC subject template
    GithubApi,
    /// `kubectl get … -o json|yaml`: a List or one object
    Kubernetes,
    /// `aws eks describe-access-entry`, `describe-pod-identity-association` (and the lists)
    Eks,
    /// `gcloud … --format=json`: IAM policies, service accounts, keys, roles, projects, folders
    Gcp,
    /// `az … -o json` and `az rest` (Graph): role assignments and definitions, managed
    /// identities, compute, service principals, applications, owners, Entra roles
    Azure,
    /// HashiCorp Vault: `vault auth list`, `vault read` of auth configs, roles and token
    /// lookups, `vault policy read` (or a policy's HCL), `vault kv get` and `vault kv list`,
    /// placed in a `vault/` tree
    Vault,
    /// `spire-server entry show -output json` (or `entry create -data` files)
    Spire,
    /// PEM or DER X.509 certificates, chains and private keys (PKCS#1, PKCS#8, SEC1)
    X509,
    /// SSH: `authorized_keys`, `sshd_config`, keys and certificates in an `ssh/HOST/` tree
    Ssh,
    /// A binary snapshot of a loaded graph (`import --save FILE.tpsnap`)
    Snapshot,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Native => "trustpath graph JSON",
            Format::Inventory => "inventory CSV",
            Format::Links => "links CSV",
            Format::AwsAuthorizationDetails => "AWS authorization details",
            Format::AwsCredentialReport => "AWS credential report",
            Format::AwsAccessKeys => "AWS access key listing",
            Format::AwsIdentityProviders => "AWS identity providers",
            Format::AwsServiceControlPolicy => "AWS service control policy",
            Format::GithubWorkflow => "GitHub workflow",
            Format::GithubApi => "GitHub API export",
            Format::Kubernetes => "Kubernetes objects",
            Format::Eks => "EKS access entries / pod identities",
            Format::Gcp => "GCP (gcloud) export",
            Format::Azure => "Azure / Entra (az) export",
            Format::Vault => "HashiCorp Vault export",
            Format::Spire => "SPIRE registration entries",
            Format::X509 => "X.509 certificates and keys",
            Format::Snapshot => "trustpath snapshot",
            Format::Ssh => "SSH keys and configuration",
        }
    }
}

/// How much of a file the sniffers look at.
pub(crate) const HEAD: usize = 64 * 1024;

pub(crate) const INVENTORY_COLUMNS: [&str; 5] = [
    "id_or_glob",
    "owner",
    "purpose",
    "environment",
    "criticality",
];
pub(crate) const LINKS_COLUMNS: [&str; 4] = ["from", "to", "kind", "reason"];

/// Detects the format of a file from its first bytes (and, for a large file, its last
/// ones), or explains why it is not one trustpath reads.
pub fn detect(head: &[u8], tail: Option<&[u8]>) -> Result<Format, String> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let head = &head[..head.len().min(HEAD)];
    if super::snapshot::is_snapshot(head) {
        return Ok(Format::Snapshot);
    }
    if is_der_certificate(head) {
        return Ok(Format::X509);
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err("empty file".into());
    }
    // `az … list` and `gcloud … list` print `[]` when there is nothing: no shape to
    // tell, and nothing to read.
    if trimmed.strip_prefix('[').is_some_and(|r| r.trim() == "]") {
        return Err("an empty JSON list: nothing to read".into());
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let tail = tail.map(String::from_utf8_lossy);
        if names_native_schema(&text) || tail.is_some_and(|t| names_native_schema(&t)) {
            return Ok(Format::Native);
        }
        const GAAD_KEYS: [&str; 4] = [
            "\"UserDetailList\"",
            "\"RoleDetailList\"",
            "\"GroupDetailList\"",
            "\"Policies\"",
        ];
        let gaad_hits = GAAD_KEYS.iter().filter(|k| text.contains(*k)).count();
        if gaad_hits >= 2
            || text.contains("\"RoleDetailList\"")
            || text.contains("\"UserDetailList\"")
        {
            return Ok(Format::AwsAuthorizationDetails);
        }
        // gh api: default token permissions, a subject template, secret listings (names
        // only), the repositories that see an organisation secret, repository and
        // environment listings.
        let listing = text.contains("\"total_count\"")
            && (text.contains("\"secrets\"")
                || text.contains("\"repositories\"")
                || text.contains("\"installations\"")
                || text.contains("\"environments\""));
        // `/orgs/{org}/repos` and `/repos/{o}/{r}`.
        let repos = text.contains("\"full_name\"") && text.contains("\"default_branch\"");
        let deploy_keys =
            trimmed.starts_with('[') && text.contains("\"read_only\"") && text.contains("\"key\"");
        if text.contains("\"default_workflow_permissions\"")
            || text.contains("\"include_claim_keys\"")
            || listing
            || deploy_keys
            || repos
        {
            return Ok(Format::GithubApi);
        }
        if is_vault_json(trimmed) {
            return Ok(Format::Vault);
        }
        // `entry show` of a server with no entries prints `"entries": []` and its token.
        if text.contains("\"entries\"")
            && (text.contains("\"spiffe_id\"") || text.contains("\"next_page_token\""))
        {
            return Ok(Format::Spire);
        }
        if is_kubernetes_json(&text) {
            return Ok(Format::Kubernetes);
        }
        if text.contains("\"accessEntry\"")
            || text.contains("\"accessEntries\"")
            || ((text.contains("\"association\"") || text.contains("\"associations\""))
                && text.contains("\"clusterName\""))
        {
            return Ok(Format::Eks);
        }
        if is_gcp_json(&text) {
            return Ok(Format::Gcp);
        }
        if is_azure_json(&text) {
            return Ok(Format::Azure);
        }
        if text.contains("\"PolicySummary\"") && text.contains("\"Content\"") {
            return Ok(Format::AwsServiceControlPolicy);
        }
        if text.contains("\"AccessKeyMetadata\"") || text.contains("\"AccessKeyLastUsed\"") {
            return Ok(Format::AwsAccessKeys);
        }
        if text.contains("\"OpenIDConnectProviderList\"")
            || text.contains("\"SAMLProviderList\"")
            || (text.contains("\"Url\"") && text.contains("\"ClientIDList\""))
        {
            return Ok(Format::AwsIdentityProviders);
        }
        if text.contains("\"Content\"")
            && (text.contains("\"ReportFormat\"") || text.contains("\"GeneratedTime\""))
        {
            return Ok(Format::AwsCredentialReport);
        }
        return Err(
            "JSON, but not a format trustpath reads yet (no \"schema\": \"trustpath/graph/v1\")"
                .into(),
        );
    }
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Ok(Format::Ssh);
    }
    const PEM: [&str; 6] = [
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN TRUSTED CERTIFICATE-----",
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----",
    ];
    if PEM.iter().any(|p| text.contains(p)) {
        return Ok(Format::X509);
    }
    // A workflow: top-level `on:` and `jobs:` keys (quoted or not).
    let top_level = |key: &str| {
        text.lines().any(|l| {
            ["", "'", "\""]
                .iter()
                .any(|q| l.starts_with(&format!("{q}{key}{q}:")))
        })
    };
    if top_level("jobs") && top_level("on") {
        return Ok(Format::GithubWorkflow);
    }
    // `kubectl get -o yaml`: top-level `apiVersion:` and `kind:`.
    if top_level("apiVersion") && top_level("kind") {
        return Ok(Format::Kubernetes);
    }
    let header = trimmed
        .lines()
        .find(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .unwrap_or_default();
    let columns: Vec<String> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has_all = |wanted: &[&str]| wanted.iter().all(|w| columns.iter().any(|c| c == w));
    if columns.starts_with(&["user".into(), "arn".into(), "user_creation_time".into()]) {
        return Ok(Format::AwsCredentialReport);
    }
    if has_all(&INVENTORY_COLUMNS[..1]) && columns.len() >= 2 {
        return Ok(Format::Inventory);
    }
    if has_all(&LINKS_COLUMNS[..3]) {
        return Ok(Format::Links);
    }
    Err("not JSON, and no CSV header trustpath knows".into())
}

/// Whether a file is where GitHub looks for workflows (`.github/workflows/*.yml` or
/// `.yaml`): such a file is read as a workflow whatever its first bytes say, and a
/// malformed one is a warning with its line, never a silent skip.
pub(crate) fn in_workflows_dir(name: &str) -> bool {
    let name = name.replace('\\', "/");
    let Some((dir, file)) = name.rsplit_once('/') else {
        return false;
    };
    (dir == ".github/workflows" || dir.ends_with("/.github/workflows"))
        && (file.ends_with(".yml") || file.ends_with(".yaml"))
}

/// Whether a file is an action's metadata under a repository's `.github/` directory
/// (`.github/actions/NAME/action.yml`), which workflows run as `uses: ./.github/…`.
pub(crate) fn is_local_action(name: &str) -> bool {
    let name = name.replace('\\', "/");
    let file = name.rsplit('/').next().unwrap_or(&name);
    (file == "action.yml" || file == "action.yaml")
        && (name.starts_with(".github/") || name.contains("/.github/"))
        // A workflow may be named action.yml too; GitHub runs it as one.
        && !in_workflows_dir(&name)
}

/// Whether a file lies in a Vault export tree (`…/vault/auth-list.json`,
/// `…/vault/auth/…`, `…/vault/policies/…`, `…/vault/kv/…`, `…/vault/tokens/…`): its
/// place names what its content does not (a role's mount and name, a policy's name, a
/// listed folder), and `vault kv list` output or a policy's HCL has no shape to detect.
pub(crate) fn in_vault_tree(name: &str) -> bool {
    vault_relative(name).is_some()
}

/// The part of a path below the `vault/` directory of an export tree.
pub(crate) fn vault_relative(name: &str) -> Option<String> {
    const CHILDREN: [&str; 6] = [
        "auth-list.json",
        "secrets-list.json",
        "auth",
        "policies",
        "kv",
        "tokens",
    ];
    let name = name.replace('\\', "/");
    let parts: Vec<&str> = name.split('/').collect();
    // The first `vault` directory followed by a known child: a secret's path may hold
    // `vault` too (`vault/kv/secret/vault/config.json`).
    let at = parts
        .windows(2)
        .position(|w| w[0] == "vault" && CHILDREN.contains(&w[1]))?;
    let rest = &parts[at + 1..];
    // `auth-list.json` and `secrets-list.json` are files; the others are directories.
    let ok = match rest {
        [file] => file.ends_with(".json") && CHILDREN[..2].contains(file),
        [dir, ..] => CHILDREN[2..].contains(dir),
        [] => false,
    };
    ok.then(|| rest.join("/"))
}

/// A DER certificate: a SEQUENCE with a long-form length holding a SEQUENCE (the
/// `tbsCertificate`) likewise; no text file starts so.
fn is_der_certificate(head: &[u8]) -> bool {
    let long = |b: Option<&u8>| b.is_some_and(|&b| (0x81..=0x83).contains(&b));
    head.first() == Some(&0x30) && long(head.get(1)) && {
        let inner = 2 + usize::from(head[1] - 0x80);
        head.get(inner) == Some(&0x30) && long(head.get(inner + 1))
    }
}

/// Whether a file lies in an SSH tree (`…/ssh/HOST/…`): `authorized_keys`, `sshd_config`,
/// principals files and public keys have no shape of their own, and the place names the
/// host and the account.
pub(crate) fn in_ssh_tree(name: &str) -> bool {
    ssh_relative(name).is_some()
}

/// The part of a path below an `ssh/` directory: `HOST/…` (at least a file below a host).
pub(crate) fn ssh_relative(name: &str) -> Option<String> {
    let name = name.replace('\\', "/");
    let parts: Vec<&str> = name.split('/').collect();
    // The last `ssh` directory that is not a host's own `etc/ssh`.
    let at = (0..parts.len())
        .rev()
        .find(|&i| parts[i] == "ssh" && (i == 0 || parts[i - 1] != "etc"))?;
    let rest = &parts[at + 1..];
    (rest.len() >= 2 && rest.iter().all(|p| !p.is_empty())).then(|| rest.join("/"))
}

/// `vault … -format=json` output: a `vault read` response (`request_id`,
/// `lease_duration`, `data`), `vault auth list` (mounts with `accessor` and `seal_wrap`),
/// `vault policy read` (`{"policy": "…"}`).
fn is_vault_json(trimmed: &str) -> bool {
    let has = |k: &str| trimmed.contains(&format!("\"{k}\""));
    (has("request_id") && has("lease_duration") && has("data"))
        || (has("accessor") && has("seal_wrap") && has("uuid"))
        || trimmed
            .strip_prefix('{')
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix("\"policy\""))
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix(':'))
            .is_some_and(|r| r.trim_start().starts_with('"'))
}

/// A `kubectl get -o json` document: `apiVersion` and `kind` in its first object, and a
/// Kubernetes-looking `apiVersion` (`v1`, or `GROUP/VERSION`).
fn is_kubernetes_json(text: &str) -> bool {
    let value_of = |key: &str| {
        text.match_indices(key).find_map(|(i, m)| {
            let rest = text[i + m.len()..]
                .trim_start()
                .strip_prefix(':')?
                .trim_start();
            let rest = rest.strip_prefix('"')?;
            Some(&rest[..rest.find('"')?])
        })
    };
    let version = value_of("\"apiVersion\"");
    text.contains("\"kind\"")
        && version.is_some_and(|v| v == "v1" || (v.contains('/') && !v.contains(' ')))
}

/// `gcloud … --format=json` output trustpath reads: an IAM policy (`bindings` and `etag`,
/// or `etag` alone for an empty one), service accounts (`email` and `uniqueId`), keys
/// (`keyType`), roles (`includedPermissions`), projects (`projectId` and
/// `projectNumber`), folders (`"name": "folders/…"`).
fn is_gcp_json(text: &str) -> bool {
    let has = |k: &str| text.contains(&format!("\"{k}\""));
    (has("bindings") && has("etag"))
        || (has("etag") && text.len() < 200 && !has("bindings") && text.contains("\"ACAB\""))
        || (has("email") && has("uniqueId"))
        || (has("keyType") && has("validAfterTime"))
        || has("includedPermissions")
        || (has("projectId") && has("projectNumber"))
        || (has("activityType") && has("lastAuthenticatedTime"))
        || (text.contains("\"folders/") && has("parent") && has("displayName"))
        || (text.contains("/workloadIdentityPools/") && has("name"))
        // Cloud Asset Inventory: `search-all-iam-policies` and `asset export` (NDJSON).
        || (has("resource") && has("policy") && text.contains("\"//"))
        || (has("asset_type") && has("iam_policy"))
        // A service-account key file: only its names are read.
        || (has("private_key_id") && has("client_email"))
}

fn is_azure_json(text: &str) -> bool {
    let has = |k: &str| text.contains(&format!("\"{k}\""));
    (has("roleDefinitionId") && has("principalId") && (has("scope") || has("directoryScopeId")))
        || (has("roleName") && has("permissions") && has("assignableScopes"))
        || has("servicePrincipalType")
        || (has("signInAudience") && has("appId"))
        || (has("appRoleId") && has("resourceId"))
        || text.contains("Microsoft.ManagedIdentity/userAssignedIdentities")
        || (has("identity") && text.contains("\"/subscriptions/"))
        || (text.contains("Microsoft.KeyVault/vaults") && text.contains("\"/subscriptions/"))
        || (has("issuer")
            && has("audiences")
            && (has("subject") || has("claimsMatchingExpression")))
        || text.contains("\"#microsoft.graph.")
        || has("lastSignInActivity")
        || (has("signInActivity") && has("keyId"))
}

/// Whether the text holds `"schema": "trustpath/graph/…"` (any spacing).
fn names_native_schema(text: &str) -> bool {
    text.match_indices("\"schema\"").any(|(i, m)| {
        let rest = text[i + m.len()..].trim_start();
        rest.strip_prefix(':')
            .is_some_and(|r| r.trim_start().starts_with("\"trustpath/graph/"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_files_are_known_by_their_place() {
        assert!(in_workflows_dir("x/acme/web/.github/workflows/deploy.yml"));
        assert!(in_workflows_dir(".github/workflows/a.yaml"));
        assert!(!in_workflows_dir("x/.github/workflows/notes.txt"));
        assert!(!in_workflows_dir("x/workflows/deploy.yml"));
        assert!(!in_workflows_dir("x/.github/workflows/sub/deploy.yml"));
        assert!(is_local_action(
            "x/acme/web/.github/actions/setup/action.yml"
        ));
        assert!(!is_local_action("x/acme/web/action.yml"));
        assert!(!is_local_action("x/acme/web/.github/workflows/action.yml"));
    }

    #[test]
    fn an_ssh_tree_starts_above_its_hosts() {
        assert_eq!(
            ssh_relative("x/ssh/web1/etc/ssh/user_ca.pub").as_deref(),
            Some("web1/etc/ssh/user_ca.pub")
        );
        assert_eq!(
            ssh_relative("ssh/web1/deploy/authorized_keys").as_deref(),
            Some("web1/deploy/authorized_keys")
        );
        assert_eq!(
            ssh_relative("fixtures/ssh/ssh/web1/etc/ssh/principals/deploy").as_deref(),
            Some("web1/etc/ssh/principals/deploy")
        );
        assert_eq!(ssh_relative("x/ssh/web1"), None);
        assert_eq!(ssh_relative("x/etc/ssh/sshd_config"), None);
    }

    #[test]
    fn detects_by_content() {
        assert_eq!(
            detect(br#"{"schema": "trustpath/graph/v1", "nodes": []}"#, None),
            Ok(Format::Native)
        );
        assert_eq!(
            detect(
                br#"{"edges": [], "nodes": ["#,
                Some(br#"], "schema" :"trustpath/graph/v1"}"#)
            ),
            Ok(Format::Native),
            "sorted keys put the schema last"
        );
        assert!(detect(br#"{"note": "see trustpath/graph/v1"}"#, None).is_err());
        assert_eq!(
            detect(b"\xEF\xBB\xBF  {\"schema\":\"trustpath/graph/v1\"}", None),
            Ok(Format::Native)
        );
        assert_eq!(
            detect(b"id_or_glob,owner,purpose,environment,criticality\n", None),
            Ok(Format::Inventory)
        );
        assert_eq!(
            detect(b"# who owns what\nid_or_glob,owner\n", None),
            Ok(Format::Inventory)
        );
        assert_eq!(
            detect(b"from,to,kind,reason\na,b,contains,x\n", None),
            Ok(Format::Links)
        );
        assert!(detect(b"{\"Users\": []}", None).is_err());
        assert!(detect(b"name,value\n", None).is_err());
        assert_eq!(
            detect(
                b"name: deploy\non:\n  push:\njobs:\n  a:\n    runs-on: x\n",
                None
            ),
            Ok(Format::GithubWorkflow)
        );
        assert!(detect(b"   \n", None).is_err());
        for gh_api in [
            &br#"[{"full_name": "acme/web", "default_branch": "main", "visibility": "public"}]"#[..],
            br#"{"total_count": 0, "environments": []}"#,
            br#"[{"id": 1, "key": "ssh-ed25519 AAAA", "read_only": true}]"#,
        ] {
            assert_eq!(detect(gh_api, None), Ok(Format::GithubApi));
        }
    }
}
