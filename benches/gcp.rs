//! GCP importer at scale: a generated organization in gcloud's resource-name layout,
//! 500 projects under nested folders, 10,000 service accounts and 50,000 IAM bindings
//! (most of them narrow, a few project-wide service-account roles and owners), a GitHub
//! workload identity provider per project, loaded and turned into the graph.
//!
//!     cargo bench --bench gcp                 # 10,000 accounts / 50,000 bindings
//!     cargo bench --bench gcp -- 20000 100000 # other sizes

use common::Rng;
use serde_json::{Value, json};

mod common;

const ROLES: [&str; 10] = [
    "roles/viewer",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/storage.objectViewer",
    "roles/secretmanager.secretAccessor",
    "roles/pubsub.publisher",
    "roles/cloudsql.client",
    "roles/bigquery.dataViewer",
    "roles/run.invoker",
    "roles/artifactregistry.reader",
];

/// (file name, JSON) of a generated organization.
fn generate(accounts: usize, bindings: usize) -> Vec<(String, Value)> {
    let mut rng = Rng(5);
    let projects = (accounts / 20).max(1);
    let per_project = accounts / projects;
    let folders = 20;
    let mut files = Vec::new();
    let folder_list: Vec<Value> = (0..folders)
        .map(|f| {
            let parent = if f < 4 { "organizations/900".to_string() } else { format!("folders/{}", f % 4) };
            json!({"name": format!("folders/{f}"), "displayName": format!("f{f}"), "parent": parent})
        })
        .collect();
    files.push(("folders.json".into(), Value::from(folder_list)));
    let project_list: Vec<Value> = (0..projects)
        .map(|p| {
            json!({"projectId": format!("p{p}"), "projectNumber": format!("{}", 1_000_000 + p),
                        "parent": {"type": "folder", "id": format!("{}", 4 + p % 16)}})
        })
        .collect();
    files.push(("projects.json".into(), Value::from(project_list)));
    let sa = |p: usize, i: usize| format!("sa{i}@p{p}.iam.gserviceaccount.com");
    let per_policy = bindings / projects;
    for p in 0..projects {
        let list: Vec<Value> = (0..per_project)
            .map(|i| json!({"email": sa(p, i), "uniqueId": format!("{p}{i:04}"), "projectId": format!("p{p}"), "displayName": format!("sa{i}")}))
            .collect();
        files.push((
            format!("projects/p{p}/service-accounts.json"),
            Value::from(list),
        ));
        let mut by_role: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for n in 0..per_policy {
            let role = match n {
                0 if p % 10 == 0 => "roles/iam.serviceAccountTokenCreator".to_string(),
                1 => "roles/iam.serviceAccountUser".to_string(),
                2 => "roles/owner".to_string(),
                _ => ROLES[rng.below(ROLES.len())].to_string(),
            };
            let member = match rng.below(10) {
                0 => format!("user:u{}@acme.example", rng.below(2000)),
                1 => format!("group:g{}@acme.example", rng.below(200)),
                _ => format!(
                    "serviceAccount:{}",
                    sa(rng.below(projects), rng.below(per_project))
                ),
            };
            by_role.entry(role).or_default().push(member);
        }
        let bindings: Vec<Value> = by_role
            .into_iter()
            .map(|(role, members)| json!({"role": role, "members": members}))
            .collect();
        files.push((
            format!("projects/p{p}/get-iam-policy.json"),
            json!({"bindings": bindings, "etag": "x", "version": 1}),
        ));
        // Workload identity federation: a GitHub provider per project, pinned to the
        // owner, and its first account usable by one repository's principal set.
        let number = 1_000_000 + p;
        let pool = format!("projects/{number}/locations/global/workloadIdentityPools/github");
        files.push((
            format!("projects/p{p}/workloadIdentityPools/github/workload-identity-providers.json"),
            json!([{"name": format!("{pool}/providers/gh"), "state": "ACTIVE",
                    "attributeCondition": "assertion.repository_owner == 'acme'",
                    "attributeMapping": {"google.subject": "assertion.sub", "attribute.repository": "assertion.repository"},
                    "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"}}]),
        ));
        files.push((
            format!("projects/p{p}/serviceAccounts/{}/get-iam-policy.json", sa(p, 0)),
            json!({"bindings": [{"role": "roles/iam.workloadIdentityUser",
                   "members": [format!("principalSet://iam.googleapis.com/{pool}/attribute.repository/acme/repo{p}")]}],
                   "etag": "x", "version": 1}),
        ));
    }
    files
}

fn main() {
    let n = common::sizes(&[10_000, 50_000]);
    let (accounts, bindings) = (n[0], n.get(1).copied().unwrap_or(50_000));
    common::load_generated(
        generate(accounts, bindings),
        &format!("{accounts} service accounts, {bindings} member-role pairs"),
    );
}
