//! Azure RBAC roles: what a role definition's `actions`/`notActions` and data actions
//! let its holder do, worked out once per role (a role is held by many), and the
//! built-in roles that matter, for inputs without `az role definition list`.

use std::collections::BTreeMap;

use super::{Inventory, Permission};
use crate::glob::glob_match;
use crate::model::AccessLevel;

const ROLE_ASSIGNMENTS_WRITE: &str = "microsoft.authorization/roleassignments/write";
const RUN_COMMAND: &str = "microsoft.compute/virtualmachines/runcommand/action";
/// Other ways to run code on a VM: managed run commands and extensions (Custom Script).
const RUN_COMMANDS_WRITE: &str = "microsoft.compute/virtualmachines/runcommands/write";
const EXTENSIONS_WRITE: &str = "microsoft.compute/virtualmachines/extensions/write";
const VM_WRITE: &str = "microsoft.compute/virtualmachines/write";
const ROLE_DEFINITIONS_WRITE: &str = "microsoft.authorization/roledefinitions/write";
const VAULT_WRITE: &str = "microsoft.keyvault/vaults/write";
const ACCESS_POLICIES_WRITE: &str = "microsoft.keyvault/vaults/accesspolicies/write";
const FIC_WRITE: &str =
    "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials/write";
const MI_ASSIGN: &str = "microsoft.managedidentity/userassignedidentities/assign/action";
const GET_SECRET: &str = "microsoft.keyvault/vaults/secrets/getsecret/action";

/// Built-in roles, for inputs without `az role definition list`: by id (the GUID at the
/// end of `roleDefinitionId`) and name. Actions, notActions, dataActions as Microsoft
/// publishes them, trimmed to what matters for reach.
/// A built-in role's permissions.
struct BuiltIn {
    guid: &'static str,
    name: &'static str,
    actions: &'static [&'static str],
    not_actions: &'static [&'static str],
    data: &'static [&'static str],
}

const BUILT_IN: [BuiltIn; 11] = [
    BuiltIn {
        guid: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        name: "Key Vault Secrets Officer",
        actions: &["Microsoft.KeyVault/vaults/*/read"],
        not_actions: &[],
        data: &["Microsoft.KeyVault/vaults/secrets/*"],
    },
    BuiltIn {
        guid: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
        name: "Key Vault Administrator",
        actions: &["Microsoft.KeyVault/vaults/*/read"],
        not_actions: &[],
        data: &["Microsoft.KeyVault/vaults/*"],
    },
    BuiltIn {
        guid: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        name: "Owner",
        actions: &["*"],
        not_actions: &[],
        data: &[],
    },
    BuiltIn {
        guid: "b24988ac-6180-42a0-ab88-20f7382dd24c",
        name: "Contributor",
        actions: &["*"],
        not_actions: &[
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
        ],
        data: &[],
    },
    BuiltIn {
        guid: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        name: "Reader",
        actions: &["*/read"],
        not_actions: &[],
        data: &[],
    },
    BuiltIn {
        guid: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        name: "User Access Administrator",
        actions: &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
        not_actions: &[],
        data: &[],
    },
    BuiltIn {
        guid: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        name: "Role Based Access Control Administrator",
        actions: &[
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "*/read",
        ],
        not_actions: &[],
        data: &[],
    },
    BuiltIn {
        guid: "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
        name: "Virtual Machine Contributor",
        actions: &["Microsoft.Compute/virtualMachines/*", "*/read"],
        not_actions: &[],
        data: &[],
    },
    BuiltIn {
        guid: "f1a07417-d97a-45cb-824c-7a7467783830",
        name: "Managed Identity Operator",
        actions: &[
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
        ],
        not_actions: &[],
        data: &[],
    },
    BuiltIn {
        guid: "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59",
        name: "Managed Identity Contributor",
        actions: &["Microsoft.ManagedIdentity/userAssignedIdentities/*"],
        not_actions: &[],
        data: &[],
    },
    BuiltIn {
        guid: "4633458b-17de-408a-b874-0445c86b69e6",
        name: "Key Vault Secrets User",
        actions: &[],
        not_actions: &[],
        data: &[
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ],
    },
];

/// What a role lets its holder do: its actions, lower-cased, and the answers that
/// matter, worked out once (a role is held by many).
pub(super) struct Role {
    pub(super) name: String,
    actions: Vec<(Vec<String>, Vec<String>)>,
    data: Vec<(Vec<String>, Vec<String>)>,
    pub(super) admin: bool,
    pub(super) run_command: bool,
    pub(super) fic_write: bool,
    pub(super) attach: bool,
    /// `userAssignedIdentities/assign/action`, and `virtualMachines/write`: together,
    /// `attach`.
    pub(super) assign: bool,
    pub(super) vm_write: bool,
    pub(super) get_secret: bool,
    pub(super) level: AccessLevel,
    /// It may change role definitions (`roleDefinitions/write`).
    pub(super) define: bool,
    /// It may change a vault's access policies (`vaults/write`, `accessPolicies/write`).
    pub(super) vault_write: bool,
    /// A custom role's assignable scopes (lower-cased ARM ids); empty for a built-in.
    pub(super) assignable: Vec<String>,
}

impl Role {
    fn from_permissions(name: &str, perms: &[Permission]) -> Role {
        let low = |v: &[String]| v.iter().map(|a| a.to_ascii_lowercase()).collect::<Vec<_>>();
        let mut role = Role {
            name: name.to_string(),
            actions: perms
                .iter()
                .map(|p| (low(&p.actions), low(&p.not_actions)))
                .collect(),
            data: perms
                .iter()
                .map(|p| (low(&p.data_actions), low(&p.not_data_actions)))
                .collect(),
            admin: false,
            run_command: false,
            fic_write: false,
            attach: false,
            assign: false,
            vm_write: false,
            get_secret: false,
            level: AccessLevel::Read,
            define: false,
            vault_write: false,
            assignable: Vec::new(),
        };
        role.admin = role.allows(ROLE_ASSIGNMENTS_WRITE);
        role.run_command = [RUN_COMMAND, RUN_COMMANDS_WRITE, EXTENSIONS_WRITE]
            .iter()
            .any(|op| role.allows(op));
        role.fic_write = role.allows(FIC_WRITE);
        role.assign = role.allows(MI_ASSIGN);
        role.vm_write = role.allows(VM_WRITE);
        role.attach = role.assign && role.vm_write;
        role.get_secret = role.allows_data(GET_SECRET);
        role.level = role.compute_level();
        role.define = role.allows(ROLE_DEFINITIONS_WRITE);
        role.vault_write = role.allows(VAULT_WRITE) || role.allows(ACCESS_POLICIES_WRITE);
        role
    }

    /// Whether the role allows `op` (lower-case): some block's actions match it and none
    /// of that block's notActions do.
    pub(super) fn allows(&self, op: &str) -> bool {
        allowed(&self.actions, op)
    }

    fn allows_data(&self, op: &str) -> bool {
        allowed(&self.data, op)
    }

    fn compute_level(&self) -> AccessLevel {
        if self.allows(ROLE_ASSIGNMENTS_WRITE) {
            AccessLevel::Admin
        } else if self
            .actions
            .iter()
            .any(|(a, _)| a.iter().any(|x| !x.ends_with("/read")))
            || self.data.iter().any(|(a, _)| !a.is_empty())
        {
            AccessLevel::Write
        } else {
            AccessLevel::Read
        }
    }
}

fn allowed(blocks: &[(Vec<String>, Vec<String>)], op: &str) -> bool {
    // Azure grants `…/userAssignedIdentities/*/assign/action` the operation
    // `…/userAssignedIdentities/assign/action`: a `/*/` may stand for no segment.
    let matches = |pattern: &str| {
        glob_match(pattern, op)
            || (pattern.contains("/*/") && glob_match(&pattern.replace("/*/", "/"), op))
    };
    blocks
        .iter()
        .any(|(allow, deny)| allow.iter().any(|a| matches(a)) && !deny.iter().any(|d| matches(d)))
}

/// Role definitions from the inputs, then the built-in table; by GUID and by name.
pub(super) fn roles(inv: &Inventory) -> BTreeMap<String, Role> {
    let mut out = BTreeMap::new();
    for BuiltIn {
        guid,
        name,
        actions,
        not_actions,
        data,
    } in BUILT_IN
    {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
        let perm = Permission {
            actions: s(actions),
            not_actions: s(not_actions),
            data_actions: s(data),
            not_data_actions: Vec::new(),
        };
        out.insert(
            guid.to_string(),
            Role::from_permissions(name, std::slice::from_ref(&perm)),
        );
        out.insert(
            name.to_ascii_lowercase(),
            Role::from_permissions(name, &[perm]),
        );
    }
    for (d, _) in inv.definitions.values() {
        let role = |d: &super::RoleDefinition| {
            let mut role = Role::from_permissions(&d.role_name, &d.permissions);
            if d.role_type == "CustomRole" {
                role.assignable = d
                    .assignable_scopes
                    .iter()
                    .map(|s| s.trim_end_matches('/').to_ascii_lowercase())
                    .collect();
            }
            role
        };
        out.insert(d.name.to_ascii_lowercase(), role(d));
        out.insert(d.role_name.to_ascii_lowercase(), role(d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributor_runs_commands_but_cannot_grant_roles() {
        let roles = roles(&Inventory::default());
        let c = &roles["b24988ac-6180-42a0-ab88-20f7382dd24c"];
        assert!(c.allows(RUN_COMMAND) && c.allows(FIC_WRITE));
        assert!(!c.allows(ROLE_ASSIGNMENTS_WRITE));
        let r = &roles["reader"];
        assert!(!r.allows(RUN_COMMAND) && r.level == AccessLevel::Read);
        assert!(roles["user access administrator"].allows(ROLE_ASSIGNMENTS_WRITE));
        assert!(roles["key vault secrets officer"].get_secret);
        assert!(roles["key vault secrets user"].get_secret);
        // `…/userAssignedIdentities/*/assign/action` grants `…/assign/action`.
        assert!(roles["managed identity operator"].allows(MI_ASSIGN));
    }
}
