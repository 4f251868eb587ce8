//! Vault importer at scale: a generated export tree of one cluster (teams with
//! kubernetes, approle and jwt roles, a policy per team plus shared ones, KV v2 secrets
//! listed per team folder), loaded and evaluated: every role's merged ACL against every
//! secret, and the escalation probes.
//!
//!     cargo bench --bench vault            # 200 teams: 1,000 roles, 10,000 secrets
//!     cargo bench --bench vault -- 500     # another number of teams
//!
//! Per team: 3 kubernetes roles, an approle and a jwt role (each with the team's policy;
//! one team in 20 has a platform policy too, which reads every secret), a policy of 8 rules (globs, `+` segments, a
//! deny, a list-only rule), 50 secrets in its folder. Shared: an `ops` policy with sudo on
//! token creation and a `platform` one that reads `secret/data/*`. The team policy's deny
//! on `admin-*` overrides the platform read, so those roles' policies interact and their
//! reads are drawn one by one (the others' through their policies).

use serde_json::{Value, json};
mod common;

fn read(data: Value) -> Vec<u8> {
    json!({"request_id": "r", "lease_id": "", "lease_duration": 0, "renewable": false, "data": data, "warnings": null})
        .to_string()
        .into_bytes()
}

fn policy(team: usize) -> String {
    format!(
        r#"path "secret/data/team-{team}/*" {{ capabilities = ["read", "list"] }}
path "secret/metadata/team-{team}/*" {{ capabilities = ["list"] }}
path "secret/data/team-{team}/admin-*" {{ capabilities = ["deny"] }}
path "secret/data/+/team-{team}-shared" {{ capabilities = ["read"] }}
path "secret/data/team-{team}/archive/*" {{ capabilities = ["list"] }}
path "database/creds/team-{team}" {{ capabilities = ["read"] }}
path "auth/token/lookup-self" {{ capabilities = ["read"] }}
path "sys/policies/acl/team-{team}" {{ capabilities = ["read"] }}
"#
    )
}

fn generate(teams: usize) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mount = |t: &str| json!({"type": t, "accessor": "a", "uuid": "u", "seal_wrap": false});
    files.push((
        "vault/auth-list.json".to_string(),
        json!({"kubernetes/": mount("kubernetes"), "approle/": mount("approle"), "jwt/": mount("jwt"), "token/": mount("token")})
            .to_string()
            .into_bytes(),
    ));
    files.push((
        "vault/secrets-list.json".into(),
        json!({"secret/": {"type": "kv", "options": {"version": "2"}}, "database/": {"type": "database", "options": null}})
            .to_string()
            .into_bytes(),
    ));
    files.push((
        "vault/auth/kubernetes/config.json".into(),
        read(json!({"kubernetes_host": "https://prod.k8s.example:6443"})),
    ));
    files.push((
        "vault/auth/jwt/config.json".into(),
        read(json!({"bound_issuer": "https://token.actions.githubusercontent.com"})),
    ));
    files.push((
        "vault/policies/ops.hcl".into(),
        br#"path "auth/token/create" { capabilities = ["update", "sudo"] }"#.to_vec(),
    ));
    files.push((
        "vault/policies/platform.hcl".into(),
        br#"path "secret/data/*" { capabilities = ["read"] }"#.to_vec(),
    ));
    for t in 0..teams {
        let p = format!("team-{t}");
        files.push((
            format!("vault/policies/{p}.json"),
            json!({"policy": policy(t)}).to_string().into_bytes(),
        ));
        let mut policies = vec![p.clone()];
        if t % 20 == 0 {
            policies.push("platform".into());
        }
        if t % 50 == 0 {
            policies.push("ops".into());
        }
        for r in 0..3 {
            files.push((
                format!("vault/auth/kubernetes/role/{p}-{r}.json"),
                read(json!({"bound_service_account_names": [format!("app-{r}")], "bound_service_account_namespaces": [p.clone()], "token_policies": policies})),
            ));
        }
        files.push((
            format!("vault/auth/approle/role/{p}.json"),
            read(json!({"bind_secret_id": true, "token_policies": policies})),
        ));
        files.push((
            format!("vault/auth/jwt/role/{p}.json"),
            read(json!({"role_type": "jwt", "bound_audiences": ["vault"], "bound_claims": {"repository": format!("acme/{p}-*")}, "bound_claims_type": "glob", "token_policies": policies})),
        ));
        let keys: Vec<String> = (0..50)
            .map(|s| {
                if s == 0 {
                    "admin-db".to_string()
                } else {
                    format!("secret-{s}")
                }
            })
            .collect();
        files.push((
            format!("vault/kv/secret/{p}.json"),
            json!(keys).to_string().into_bytes(),
        ));
    }
    files
}

fn main() {
    let teams: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let files = generate(teams);
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!(
        "{teams} teams: {} files, {:.1} MB",
        files.len(),
        bytes as f64 / 1e6
    );
    common::time_loads(&files);
}
