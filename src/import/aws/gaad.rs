//! `aws iam get-account-authorization-details` (GAAD): users, groups, roles and managed
//! policies, collected across files (pages and accounts) before any edge is derived.

use std::collections::BTreeMap;

use serde_json::Value;

use super::policy::{Parsed, parse_document};
use crate::import::Warning;
use crate::model::Place;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalKind {
    User,
    Role,
}

/// A policy attached inline, with the place it was read from.
#[derive(Debug)]
pub struct Inline {
    pub name: String,
    pub doc: Parsed,
}

#[derive(Debug)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub arn: String,
    pub name: String,
    pub id: String,
    pub account: String,
    pub path: String,
    pub inline: Vec<Inline>,
    pub managed: Vec<String>,
    /// Group names (users only).
    pub groups: Vec<String>,
    pub boundary: Option<String>,
    /// The trust policy (roles only).
    pub trust: Option<Parsed>,
    /// Instance profiles holding the role (EC2 runs a role only through one).
    pub instance_profiles: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub file: String,
    pub place: Place,
}

impl Principal {
    /// A stand-in for "a member of this group": the group's node and place, the user's
    /// techniques, and no policies of its own (its permissions come from the group).
    pub fn group_member(group: &Group) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            arn: group.arn.clone(),
            name: group.name.clone(),
            id: String::new(),
            account: group.account.clone(),
            path: "/".into(),
            inline: Vec::new(),
            managed: Vec::new(),
            groups: vec![group.name.clone()],
            boundary: None,
            trust: None,
            instance_profiles: Vec::new(),
            tags: BTreeMap::new(),
            file: group.file.clone(),
            place: group.place.clone(),
        }
    }

    /// Service-linked roles are managed by AWS: never proposed for edits.
    pub fn service_linked(&self) -> bool {
        self.kind == PrincipalKind::Role && self.path.starts_with("/aws-service-role/")
    }
}

#[derive(Debug)]
pub struct Group {
    pub arn: String,
    pub name: String,
    pub account: String,
    pub inline: Vec<Inline>,
    pub managed: Vec<String>,
    pub file: String,
    pub place: Place,
}

#[derive(Debug)]
pub struct ManagedPolicy {
    pub name: String,
    /// The default version's document.
    pub doc: Parsed,
    /// Version ids that are not the default (targets of SetDefaultPolicyVersion).
    pub other_versions: Vec<(String, Parsed)>,
}

/// Everything read from GAAD files, keyed by ARN (first definition wins).
#[derive(Debug, Default)]
pub struct Gaad {
    pub principals: BTreeMap<String, Principal>,
    pub groups: BTreeMap<String, Group>,
    pub policies: BTreeMap<String, ManagedPolicy>,
    /// Service control policies by the account they apply to.
    pub scps: BTreeMap<String, Vec<super::scp::Scp>>,
}

impl Gaad {
    /// AWS-managed policies whose documents are fixed and well known, for exports that
    /// attach them without listing them (a filtered or per-policy export). Only
    /// `AdministratorAccess`: guessing the others' current versions would be worse than
    /// the warning the importer gives instead.
    pub fn add_well_known(&mut self) {
        let mut attached: Vec<String> = self
            .principals
            .values()
            .flat_map(|p| p.managed.clone())
            .collect();
        attached.extend(self.groups.values().flat_map(|g| g.managed.clone()));
        for arn in attached {
            if arn.ends_with(":iam::aws:policy/AdministratorAccess")
                && !self.policies.contains_key(&arn)
            {
                let doc = serde_json::json!({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
                if let Ok(doc) = parse_document(&doc) {
                    let policy = ManagedPolicy {
                        name: "AdministratorAccess".into(),
                        doc,
                        other_versions: Vec::new(),
                    };
                    self.policies.insert(arn, policy);
                }
            }
        }
    }
}

/// The account id in an ARN (`arn:aws:iam::111122223333:role/x` → `111122223333`).
pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

fn text<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A list that the CLI sometimes writes as a single object.
fn items<'v>(v: &'v Value, key: &str) -> Vec<&'v Value> {
    match v.get(key) {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

fn tags(v: &Value) -> BTreeMap<String, String> {
    items(v, "Tags")
        .into_iter()
        .map(|t| (text(t, "Key").to_string(), text(t, "Value").to_string()))
        .collect()
}

fn managed(v: &Value) -> Vec<String> {
    items(v, "AttachedManagedPolicies")
        .into_iter()
        .map(|p| text(p, "PolicyArn").to_string())
        .filter(|a| !a.is_empty())
        .collect()
}

/// Reports problems in policies as warnings naming the principal and the policy.
struct Problems<'a> {
    file: &'a str,
    warnings: &'a mut Vec<Warning>,
}

impl Problems<'_> {
    fn add(&mut self, place: String, owner: &str, policy: &str, e: String) {
        let message = format!("{owner}, policy {policy}: {e}");
        self.warnings.push(Warning::new(self.file, place, message));
    }

    /// The inline policies in `list`; a document that cannot be read is reported and left out.
    fn inline(&mut self, v: &Value, list: &str, owner: &str, at: &str) -> Vec<Inline> {
        let mut out = Vec::new();
        for (i, p) in items(v, list).into_iter().enumerate() {
            let name = text(p, "PolicyName").to_string();
            let place = format!("{at}/{list}/{i}");
            match parse_document(p.get("PolicyDocument").unwrap_or(&Value::Null)) {
                Ok(doc) => {
                    for e in &doc.problems {
                        self.add(place.clone(), owner, &name, e.clone());
                    }
                    out.push(Inline { name, doc });
                }
                Err(e) => self.add(place, owner, &name, format!("{e}; policy ignored")),
            }
        }
        out
    }
}

impl Gaad {
    /// Adds one GAAD document (a page, or a whole account).
    pub fn read(&mut self, doc: &Value, file: &str, warnings: &mut Vec<Warning>) {
        let mut problems = Problems { file, warnings };
        for (kind, list, inline_key) in [
            (PrincipalKind::User, "UserDetailList", "UserPolicyList"),
            (PrincipalKind::Role, "RoleDetailList", "RolePolicyList"),
        ] {
            for (i, v) in items(doc, list).into_iter().enumerate() {
                let arn = text(v, "Arn").to_string();
                if arn.is_empty() || self.principals.contains_key(&arn) {
                    continue;
                }
                let at = format!("/{list}/{i}");
                let name = match kind {
                    PrincipalKind::User => text(v, "UserName"),
                    PrincipalKind::Role => text(v, "RoleName"),
                }
                .to_string();
                let owner = format!(
                    "{} {name}",
                    if kind == PrincipalKind::User {
                        "user"
                    } else {
                        "role"
                    }
                );
                let trust = (kind == PrincipalKind::Role).then(|| {
                    let doc = v.get("AssumeRolePolicyDocument").unwrap_or(&Value::Null);
                    let place = format!("{at}/AssumeRolePolicyDocument");
                    match parse_document(doc) {
                        Ok(trust) => {
                            for e in &trust.problems {
                                problems.add(place.clone(), &owner, "trust", e.clone());
                            }
                            trust
                        }
                        Err(e) => {
                            problems.add(place, &owner, "trust", format!("{e}; trust ignored"));
                            Parsed::default()
                        }
                    }
                });
                let principal = Principal {
                    kind,
                    account: account_of(&arn).to_string(),
                    id: text(
                        v,
                        match kind {
                            PrincipalKind::User => "UserId",
                            PrincipalKind::Role => "RoleId",
                        },
                    )
                    .to_string(),
                    path: text(v, "Path").to_string(),
                    inline: problems.inline(v, inline_key, &owner, &at),
                    managed: managed(v),
                    groups: match v.get("GroupList") {
                        Some(Value::Array(g)) => g
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect(),
                        _ => Vec::new(),
                    },
                    boundary: v
                        .get("PermissionsBoundary")
                        .map(|b| text(b, "PermissionsBoundaryArn").to_string())
                        .filter(|b| !b.is_empty()),
                    trust,
                    instance_profiles: items(v, "InstanceProfileList")
                        .into_iter()
                        .map(|ip| text(ip, "Arn").to_string())
                        .filter(|a| !a.is_empty())
                        .collect(),
                    tags: tags(v),
                    file: file.to_string(),
                    place: Place::Other(at.into()),
                    arn: arn.clone(),
                    name,
                };
                self.principals.insert(arn, principal);
            }
        }
        for (i, v) in items(doc, "GroupDetailList").into_iter().enumerate() {
            let arn = text(v, "Arn").to_string();
            if arn.is_empty() || self.groups.contains_key(&arn) {
                continue;
            }
            let at = format!("/GroupDetailList/{i}");
            let name = text(v, "GroupName").to_string();
            let group = Group {
                account: account_of(&arn).to_string(),
                inline: problems.inline(v, "GroupPolicyList", &format!("group {name}"), &at),
                managed: managed(v),
                file: file.to_string(),
                place: Place::Other(at.into()),
                arn: arn.clone(),
                name,
            };
            self.groups.insert(arn, group);
        }
        for (i, v) in items(doc, "Policies").into_iter().enumerate() {
            let arn = text(v, "Arn").to_string();
            if arn.is_empty() || self.policies.contains_key(&arn) {
                continue;
            }
            let name = text(v, "PolicyName").to_string();
            let mut default = None;
            let mut other_versions = Vec::new();
            for (j, version) in items(v, "PolicyVersionList").into_iter().enumerate() {
                let place = format!("/Policies/{i}/PolicyVersionList/{j}");
                let doc = match parse_document(version.get("Document").unwrap_or(&Value::Null)) {
                    Ok(doc) => doc,
                    Err(e) => {
                        problems.add(
                            place,
                            &format!("managed policy {arn}"),
                            &name,
                            format!("{e}; version ignored"),
                        );
                        continue;
                    }
                };
                let is_default = version
                    .get("IsDefaultVersion")
                    .and_then(|v| {
                        v.as_bool()
                            .or_else(|| v.as_str().map(|s| s.eq_ignore_ascii_case("true")))
                    })
                    .unwrap_or(false);
                if is_default {
                    for e in &doc.problems {
                        problems.add(
                            place.clone(),
                            &format!("managed policy {arn}"),
                            &name,
                            e.clone(),
                        );
                    }
                    default = Some(doc);
                } else {
                    other_versions.push((text(version, "VersionId").to_string(), doc));
                }
            }
            let Some(doc) = default else {
                problems.add(
                    format!("/Policies/{i}"),
                    &format!("managed policy {arn}"),
                    &name,
                    "no default version; policy ignored".into(),
                );
                continue;
            };
            self.policies.insert(
                arn.clone(),
                ManagedPolicy {
                    name,
                    doc,
                    other_versions,
                },
            );
        }
    }
}
