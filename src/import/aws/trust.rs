//! Role trust policies: who can assume each role, and how to take that away.

use std::collections::BTreeSet;

use super::edges::{Adder, Perms};
use super::eval::Grant;
use super::gaad::{Gaad, Principal, PrincipalKind, account_of};
use super::policy::{Context, Effect};
use super::providers::Providers;
use crate::import::Warning;
use crate::import::revoke;
use crate::model::{Condition, EdgeKind, NodeKind, Revoke};
use crate::shell::Cmd;

const ASSUME: [&str; 3] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
];

pub(super) fn edges(
    gaad: &Gaad,
    providers: &Providers,
    perms: &Perms<'_>,
    g: &mut Adder<'_>,
    ctx: Context,
) {
    // Per account in the inputs, the principals whose policies may allow sts:AssumeRole
    // at all: the only candidates when a trust policy names the whole account.
    let mut assumers: rustc_hash::FxHashMap<&str, Vec<&Principal>> =
        rustc_hash::FxHashMap::default();
    for p in gaad.principals.values() {
        let list = assumers.entry(p.account.as_str()).or_default();
        if perms[p.arn.as_str()].may_allow("sts:AssumeRole") {
            list.push(p);
        }
    }
    for role in gaad
        .principals
        .values()
        .filter(|p| p.kind == PrincipalKind::Role)
    {
        let Some(trust) = &role.trust else { continue };
        // Deny statements of the trust policy: who may never assume the role.
        let mut denied_all = false;
        let mut denied: BTreeSet<&str> = BTreeSet::new();
        for st in trust.statements.iter().filter(|s| s.effect == Effect::Deny) {
            let sure = st.conditions_in(ctx).is_ok_and(|open| open.is_empty());
            if !sure || !ASSUME.iter().any(|a| st.covers_action(a)) {
                continue;
            }
            if let Some(p) = &st.principal {
                denied_all |= p.anyone && !p.not;
                denied.extend(p.aws.iter().map(String::as_str));
            }
        }
        if denied_all {
            continue;
        }
        for st in trust
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            if !ASSUME.iter().any(|a| st.covers_action(a)) {
                continue;
            }
            let Some(principals) = &st.principal else {
                continue;
            };
            let Ok(open) = st.conditions_in(ctx) else {
                continue;
            };
            let mut conditions: Vec<_> = open.into_iter().map(|c| c.to_condition()).collect();
            let at = (role.file.as_str(), &role.place);
            let cut = |kind: &str, who: &str| vec![remove_trust(role, kind, who)];
            let quote = format!("trust policy of role/{}: {}", role.name, st.text);
            // AWS principals (and "*") assume with sts:AssumeRole itself.
            let by_aws = st.covers_action("sts:AssumeRole");
            if principals.not {
                // NotPrincipal: everyone but the listed ones.
                let except: Vec<&str> = principals
                    .aws
                    .iter()
                    .chain(&principals.service)
                    .chain(&principals.federated)
                    .map(String::as_str)
                    .collect();
                conditions.push(Condition::described(format!(
                    "everyone except {}",
                    except.join(", ")
                )));
            }
            if (principals.anyone || principals.not) && by_aws {
                g.outside(
                    "aws:anyone",
                    NodeKind::Group,
                    "any AWS principal".into(),
                    "public",
                    role,
                );
                let reason = format!("{quote} — the role is assumable by anyone");
                g.edge(
                    "aws:anyone",
                    &role.arn,
                    EdgeKind::CanAssume,
                    reason,
                    conditions.clone(),
                    cut("*", "*"),
                    at,
                );
                // Every principal in the inputs is one of "anyone".
                for p in gaad.principals.values() {
                    // Service-linked roles act only through their service.
                    if p.arn == role.arn
                        || p.service_linked()
                        || denied.contains(p.arn.as_str())
                        || (principals.not && principals.aws.contains(&p.arn))
                    {
                        continue;
                    }
                    let perm = &perms[p.arn.as_str()];
                    let grant = if p.account == role.account {
                        (!perm.denies("sts:AssumeRole", &role.arn, ctx)).then(Grant::implicit)
                    } else {
                        perm.allows("sts:AssumeRole", &role.arn, ctx)
                    };
                    if let Some(grant) = grant {
                        let mut all = conditions.clone();
                        all.extend(grant.conditions);
                        g.edge(
                            &p.arn,
                            &role.arn,
                            EdgeKind::CanAssume,
                            quote.clone(),
                            all,
                            cut("*", "*"),
                            at,
                        );
                    }
                }
            }
            if principals.not {
                continue;
            }
            for service in &principals.service {
                let key = format!("aws:service:{service}");
                g.outside(
                    &key,
                    NodeKind::ServiceAccount,
                    service.clone(),
                    "AWS service principal",
                    role,
                );
                g.edge(
                    &key,
                    &role.arn,
                    EdgeKind::CanAssume,
                    quote.clone(),
                    conditions.clone(),
                    cut("Service", service),
                    at,
                );
            }
            for provider in &principals.federated {
                g.provider(provider, providers.details(provider), Some(role));
                g.edge(
                    provider,
                    &role.arn,
                    EdgeKind::CanAssume,
                    quote.clone(),
                    conditions.clone(),
                    cut("Federated", provider),
                    at,
                );
            }
            for entry in principals
                .aws
                .iter()
                .filter(|e| by_aws && !denied.contains(e.as_str()))
            {
                aws_principal(
                    gaad,
                    perms,
                    &assumers,
                    g,
                    role,
                    entry,
                    &quote,
                    &conditions,
                    ctx,
                );
            }
        }
    }
}

/// One `"AWS"` entry of a trust statement: an ARN, an account (root or bare id), or the
/// unique id a deleted principal leaves behind.
#[allow(clippy::too_many_arguments)]
fn aws_principal(
    gaad: &Gaad,
    perms: &Perms<'_>,
    assumers: &rustc_hash::FxHashMap<&str, Vec<&Principal>>,
    g: &mut Adder<'_>,
    role: &Principal,
    entry: &str,
    quote: &str,
    conditions: &[crate::model::Condition],
    ctx: Context,
) {
    let at = (role.file.as_str(), &role.place);
    let cut = match &role.trust {
        Some(_) => vec![remove_trust(role, "AWS", entry)],
        None => Vec::new(),
    };
    let account = if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        Some(entry)
    } else {
        entry.strip_suffix(":root").map(account_of)
    };
    if let Some(account) = account {
        // The account delegates to its own IAM: a principal there also needs an
        // identity policy that allows sts:AssumeRole on the role.
        let Some(members) = assumers.get(account) else {
            let key = format!("arn:aws:iam::{account}:root");
            let name = format!("any principal of account {account}");
            let trust = (quote, conditions, cut);
            g.outsider_assumes(
                &key,
                NodeKind::Group,
                name,
                "account not in inputs",
                role,
                trust,
            );
            return;
        };
        for p in members {
            if p.arn == role.arn {
                continue;
            }
            if let Some(grant) = perms[p.arn.as_str()].allows("sts:AssumeRole", &role.arn, ctx) {
                let reason = format!("{quote}; and {}", grant.why);
                let mut all = conditions.to_vec();
                all.extend(grant.conditions);
                g.edge(
                    &p.arn,
                    &role.arn,
                    EdgeKind::CanAssume,
                    reason,
                    all,
                    cut.clone(),
                    at,
                );
            }
        }
        return;
    }
    if let Some(p) = gaad.principals.get(entry) {
        // Naming the principal itself: in the same account the trust policy is enough;
        // across accounts the caller's own policies must allow it too.
        let grant = if p.account == role.account {
            // The trust alone suffices, unless the principal's own policies deny it.
            (!perms[p.arn.as_str()].denies("sts:AssumeRole", &role.arn, ctx)).then(Grant::implicit)
        } else {
            perms[p.arn.as_str()].allows("sts:AssumeRole", &role.arn, ctx)
        };
        if let Some(grant) = grant {
            let reason = if grant.why.is_empty() {
                quote.to_string()
            } else {
                format!("{quote}; and {}", grant.why)
            };
            let mut all = conditions.to_vec();
            all.extend(grant.conditions);
            g.edge(&p.arn, &role.arn, EdgeKind::CanAssume, reason, all, cut, at);
        }
        return;
    }
    // A role session (`arn:aws:sts::A:assumed-role/ROLE/SESSION`): whoever holds ROLE
    // chooses the session name, so the role itself can assume this one.
    if let Some((account, rest)) = entry
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":sts::"))
        .and_then(|(_, r)| r.split_once(":assumed-role/"))
        && let Some((role_name, session)) = rest.split_once('/')
        && let Some(holder) = gaad
            .principals
            .values()
            .find(|p| p.kind == PrincipalKind::Role && p.account == account && p.name == role_name)
    {
        let grant = if holder.account == role.account {
            (!perms[holder.arn.as_str()].denies("sts:AssumeRole", &role.arn, ctx))
                .then(Grant::implicit)
        } else {
            perms[holder.arn.as_str()].allows("sts:AssumeRole", &role.arn, ctx)
        };
        if let Some(grant) = grant {
            let mut all = conditions.to_vec();
            all.push(Condition::described(format!(
                "with role session name {session} (the role's holder chooses it)"
            )));
            all.extend(grant.conditions);
            g.edge(
                &holder.arn,
                &role.arn,
                EdgeKind::CanAssume,
                quote.to_string(),
                all,
                cut,
                at,
            );
        }
        return;
    }
    let deleted = !entry.starts_with("arn:");
    let (key, kind, name, why) = if deleted {
        let kind = if entry.starts_with("AIDA") {
            NodeKind::ServiceAccount
        } else {
            NodeKind::Role
        };
        (
            format!("aws:deleted:{entry}"),
            kind,
            format!("deleted principal {entry}"),
            "deleted principal",
        )
    } else {
        let kind = if entry.contains(":user/") {
            NodeKind::ServiceAccount
        } else {
            NodeKind::Role
        };
        (
            entry.to_string(),
            kind,
            entry.rsplit('/').next().unwrap_or(entry).to_string(),
            "not in inputs",
        )
    };
    if deleted {
        let message = format!(
            "trust policy of role/{} names {entry}: the unique id of a deleted principal (a new principal with the same name does not match it)",
            role.name
        );
        g.warnings
            .push(Warning::new(&role.file, role.place.in_message(), message));
    } else if assumers.contains_key(account_of(entry)) {
        let message = format!(
            "trust policy of role/{} names {entry}, which the export of its account does not list (a partial export?)",
            role.name
        );
        g.warnings
            .push(Warning::new(&role.file, role.place.in_message(), message));
    }
    g.outsider_assumes(&key, kind, name, why, role, (quote, conditions, cut));
}

/// Removing one principal from a role's trust policy: the whole new document, as
/// `update-assume-role-policy` replaces it.
fn remove_trust(role: &Principal, kind: &str, who: &str) -> Revoke {
    // Read, edit, write: the live document may have changed since the export, and other
    // steps of the plan may edit it too, so each step edits what is there now.
    let file = format!("{}.trust.json", role.name.replace(['/', ' '], "_"));
    let name = &*role.name;
    let new = format!("{file}.new");
    revoke(
        format!("remove-trust:{}:{who}", role.arn),
        "remove_trust",
        2,
        vec![
            Cmd::new("aws")
                .args(["iam", "get-role", "--role-name", name])
                .args(["--query", "Role.AssumeRolePolicyDocument", "--output", "json"])
                .to_file(&file)
                .into(),
            Cmd::new("jq")
                .arg(trust_filter(kind, who))
                .arg(&file)
                .to_file(&new)
                .and(Cmd::new("mv").args([&new, &file]))
                .into(),
            Cmd::new("aws")
                .args(["iam", "update-assume-role-policy", "--role-name", name])
                .arg("--policy-document")
                .arg(format!("file://{file}"))
                .into(),
            "# sessions already issued stay valid until they expire (1 h by default, up to 12 h): revoke the role's sessions too".into(),
        ],
    )
}

/// A jq program that removes one principal (`kind`: `AWS`, `Service`, `Federated`, or
/// `*`) from the Allow statements of a trust policy, dropping statements left with none.
pub(super) fn trust_filter(kind: &str, who: &str) -> String {
    let as_list = "(if type == \"array\" then . else [.] end)";
    if kind == "*" {
        return format!(
            ".Statement |= ({as_list} | map(select(.Effect != \"Allow\" or (.Principal != \"*\" and \
             (((.Principal.AWS? // []) | {as_list} | index(\"*\")) == null)))))"
        );
    }
    let (k, v) = (
        serde_json::to_string(kind).unwrap_or_default(),
        serde_json::to_string(who).unwrap_or_default(),
    );
    format!(
        ".Statement |= ({as_list} | map(if .Effect == \"Allow\" and (.Principal | type) == \"object\" \
         and (.Principal | has({k})) then .Principal[{k}] |= ({as_list} | map(select(. != {v}))) \
         | (if (.Principal[{k}] | length) == 0 then del(.Principal[{k}]) else . end) else . end) \
         | map(select((.Principal | type) != \"object\" or (.Principal | length) > 0)))"
    )
}

#[cfg(test)]
mod tests {
    use super::trust_filter;

    #[test]
    fn trust_filters_quote_their_values() {
        let f = trust_filter("AWS", "arn:aws:iam::1:user/o'neil");
        assert!(f.contains(r#".Principal["AWS"]"#));
        assert!(f.contains(r#"select(. != "arn:aws:iam::1:user/o'neil")"#));
        assert!(trust_filter("*", "*").contains(r#".Principal != "*""#));
    }
}
