//! IAM members (`user:`, `serviceAccount:`, `allUsers`, `principalSet://…`) as graph nodes.

use crate::model::NodeKind;

/// What a member string names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Member {
    /// A principal with its node key, kind and display name.
    Node {
        key: String,
        kind: NodeKind,
        name: String,
    },
    /// `deleted:…`: grants nothing (a re-created principal of the same name is another).
    Deleted(String),
    /// Something trustpath does not model yet (workforce pools, …).
    Unknown(String),
}

pub(super) const ANY_USER: &str = "gcp:any-user";
pub(super) const ANY_GOOGLE_ACCOUNT: &str = "gcp:any-google-account";

pub(super) fn parse(member: &str) -> Member {
    let node = |key: String, kind, name: &str| Member::Node {
        key,
        kind,
        name: name.to_string(),
    };
    if member.starts_with("deleted:") {
        return Member::Deleted(member.to_string());
    }
    match member {
        "allUsers" => {
            return node(
                ANY_USER.into(),
                NodeKind::Group,
                "anyone on the internet (allUsers)",
            );
        }
        "allAuthenticatedUsers" => {
            return node(
                ANY_GOOGLE_ACCOUNT.into(),
                NodeKind::Group,
                "any Google account (allAuthenticatedUsers)",
            );
        }
        _ => {}
    }
    if let Some(rest) = member.strip_prefix("principal://") {
        // A workforce pool's principal is a person signed in through the company's
        // identity provider; a workload pool's is a workload.
        let kind = if rest.contains("/workforcePools/") {
            NodeKind::Human
        } else {
            NodeKind::ServiceAccount
        };
        return node(format!("gcp:principal:{rest}"), kind, rest);
    }
    if let Some(rest) = member.strip_prefix("principalSet://") {
        return node(format!("gcp:principal-set:{rest}"), NodeKind::Group, rest);
    }
    let Some((kind, id)) = member.split_once(':') else {
        return Member::Unknown(member.to_string());
    };
    match kind {
        // GKE workload identity: a Kubernetes service account of the project's pool.
        "serviceAccount" if id.contains(".svc.id.goog[") => {
            node(format!("gcp:wi:{id}"), NodeKind::ServiceAccount, id)
        }
        "serviceAccount" => node(format!("gcp:sa:{id}"), NodeKind::ServiceAccount, local(id)),
        "user" => node(format!("gcp:user:{id}"), NodeKind::Human, id),
        "group" => node(format!("gcp:group:{id}"), NodeKind::Group, id),
        "domain" => node(format!("gcp:domain:{id}"), NodeKind::Group, id),
        _ => Member::Unknown(member.to_string()),
    }
}

/// An email's part before `@` (a service account's name).
pub(super) fn local(email: &str) -> &str {
    email.split('@').next().unwrap_or(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_become_nodes() {
        assert!(
            matches!(parse("serviceAccount:a@p.iam.gserviceaccount.com"),
            Member::Node { key, kind: NodeKind::ServiceAccount, .. } if key == "gcp:sa:a@p.iam.gserviceaccount.com")
        );
        assert!(matches!(
            parse("deleted:serviceAccount:a@p.iam.gserviceaccount.com?uid=1"),
            Member::Deleted(_)
        ));
        assert!(matches!(parse("allUsers"), Member::Node { key, .. } if key == ANY_USER));
        assert!(matches!(parse("serviceAccount:p.svc.id.goog[ns/ksa]"),
            Member::Node { key, .. } if key == "gcp:wi:p.svc.id.goog[ns/ksa]"));
        assert!(
            matches!(parse("domain:acme.com"), Member::Node { key, kind: NodeKind::Group, .. } if key == "gcp:domain:acme.com")
        );
        assert!(matches!(parse("weird"), Member::Unknown(_)));
    }
}
