//! Azure / Entra importer at scale: a generated tenant in `az` output's layout — 20,000
//! service principals (half of them apps with a client secret, a tenth managed
//! identities), 50 subscriptions of 20 resource groups with VMs that run as identities,
//! 100,000 role assignments (mostly narrow, at resource-group and resource scope; a few
//! owners per subscription; management-group ones repeated in every subscription's
//! listing, as `--include-inherited` prints them), Graph app-role assignments and
//! federated credentials — loaded and turned into the graph.
//!
//!     cargo bench --bench azure                  # 20,000 SPs / 100,000 assignments
//!     cargo bench --bench azure -- 40000 200000  # other sizes

use common::Rng;
use serde_json::{Value, json};

mod common;

const ROLES: [(&str, &str); 5] = [
    ("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
    (
        "4633458b-17de-408a-b874-0445c86b69e6",
        "Key Vault Secrets User",
    ),
    (
        "f1a07417-d97a-45cb-824c-7a7467783830",
        "Managed Identity Operator",
    ),
    (
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
        "Virtual Machine Contributor",
    ),
];

fn generate(sps: usize, assignments: usize) -> Vec<(String, Value)> {
    let mut rng = Rng(7);
    let tenant = "11111111-1111-1111-1111-111111111111";
    let subs = 50;
    let rgs = 20;
    let id = |kind: &str, i: usize| format!("{kind}{i:08}-0000-4000-8000-000000000000");
    let mut files = Vec::new();
    let (mut sp_list, mut app_list, mut identities) =
        (Vec::new(), Vec::new(), vec![Vec::new(); subs]);
    for i in 0..sps {
        let mi = i % 10 == 0;
        sp_list.push(json!({"id": id("sp", i), "appId": id("ap", i), "displayName": format!("sp{i}"),
            "servicePrincipalType": if mi { "ManagedIdentity" } else { "Application" },
            "appOwnerOrganizationId": if mi { Value::Null } else { tenant.into() }, "accountEnabled": true,
            "keyCredentials": [], "passwordCredentials": [], "appRoles": []}));
        if mi {
            let s = (i / 10) % subs;
            identities[s].push(json!({"id": format!("/subscriptions/{}/resourceGroups/rg{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi{i}", id("su", s), i % rgs),
                "name": format!("mi{i}"), "clientId": id("ci", i), "principalId": id("sp", i), "tenantId": tenant,
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities"}));
        } else if i % 2 == 1 {
            app_list.push(json!({"id": id("ob", i), "appId": id("ap", i), "displayName": format!("app{i}"), "signInAudience": "AzureADMyOrg",
                "passwordCredentials": [{"keyId": id("ke", i), "displayName": "ci", "startDateTime": "2025-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z", "secretText": null, "hint": "abc"}],
                "keyCredentials": []}));
        }
    }
    files.push(("entra/service-principals.json".into(), Value::from(sp_list)));
    files.push(("entra/applications.json".into(), Value::from(app_list)));
    let per_sub = assignments / subs;
    for (s, list) in identities.into_iter().enumerate() {
        let sub = id("su", s);
        // VMs, each running as a user-assigned identity of its subscription.
        let vms: Vec<Value> = list
            .iter()
            .enumerate()
            .map(|(v, mi)| json!({"id": format!("/subscriptions/{sub}/resourceGroups/rg{}/providers/Microsoft.Compute/virtualMachines/vm{v}", v % rgs),
                "name": format!("vm{v}"), "type": "Microsoft.Compute/virtualMachines",
                "identity": {"type": "UserAssigned", "userAssignedIdentities": {mi["id"].as_str().unwrap_or_default(): {"principalId": mi["principalId"], "clientId": mi["clientId"]}}}}))
            .collect();
        files.push((
            format!("subscriptions/{sub}/identities.json"),
            Value::from(list),
        ));
        files.push((format!("subscriptions/{sub}/vms.json"), Value::from(vms)));
        let mut ras = Vec::new();
        for n in 0..per_sub {
            let (guid, name, scope) = match n {
                0..=2 => (
                    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                    "Owner",
                    format!("/subscriptions/{sub}"),
                ),
                3 => (
                    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
                    "User Access Administrator",
                    "/providers/Microsoft.Management/managementGroups/platform".to_string(),
                ),
                _ => {
                    let (g, nm) = ROLES[rng.below(ROLES.len())];
                    let rg = format!("/subscriptions/{sub}/resourceGroups/rg{}", rng.below(rgs));
                    let scope = if rng.below(4) == 0 {
                        format!(
                            "{rg}/providers/Microsoft.KeyVault/vaults/kv{}",
                            rng.below(5)
                        )
                    } else {
                        rg
                    };
                    (g, nm, scope)
                }
            };
            let ra = if n == 3 {
                "mg-uaa".to_string()
            } else {
                format!("{s}-{n}")
            };
            ras.push(json!({"id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{ra}"), "principalId": id("sp", rng.below(sps)),
                "principalName": "x", "principalType": "ServicePrincipal", "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
                "roleDefinitionName": name, "scope": scope, "condition": null}));
        }
        files.push((
            format!("subscriptions/{sub}/role-assignments.json"),
            Value::from(ras),
        ));
    }
    files
}

fn main() {
    let n = common::sizes(&[20_000, 100_000]);
    let (sps, assignments) = (n[0], n.get(1).copied().unwrap_or(100_000));
    common::load_generated(
        generate(sps, assignments),
        &format!("{sps} service principals, {assignments} role assignments"),
    );
}
