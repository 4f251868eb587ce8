//! RBAC as the API server evaluates it: which roles a binding grants, in which scope,
//! and whether their rules allow a verb on a resource (`*` wildcards, subresources,
//! `resourceNames`, ClusterRole aggregation).

use std::collections::{BTreeMap, BTreeSet};

use super::objects::{Object, Rule, Selector};

/// Where a binding's rules apply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Scope {
    /// A RoleBinding: namespaced resources of its namespace only.
    Namespace(String),
    /// A ClusterRoleBinding: every namespace and the cluster-scoped resources.
    Cluster,
}

impl Scope {
    pub(super) fn covers(&self, namespace: Option<&str>) -> bool {
        match self {
            Scope::Cluster => true,
            Scope::Namespace(ns) => namespace == Some(ns.as_str()),
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Scope::Cluster => "in every namespace".into(),
            Scope::Namespace(ns) => format!("in namespace {ns}"),
        }
    }
}

/// The objects a matching rule names: all of them, or only `resourceNames`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Names {
    All,
    Only(BTreeSet<String>),
}

impl Names {
    pub(super) fn contains(&self, name: &str) -> bool {
        match self {
            Names::All => true,
            Names::Only(names) => names.contains(name),
        }
    }
}

/// Rules that allow something, and the first of them (quoted in edge reasons).
#[derive(Debug, Clone)]
pub(super) struct Allowed<'r> {
    pub names: Names,
    pub rule: &'r Rule,
}

fn any_is(list: &[String], wanted: &str) -> bool {
    list.iter().any(|x| x == "*" || x == wanted)
}

/// As the API server's `ResourceMatches`: `*` is every resource and subresource, `*/SUB`
/// that subresource of every resource; anything else (`pods/*` too) is literal.
fn resource_matches(list: &[String], wanted: &str) -> bool {
    list.iter().any(|r| {
        r == "*"
            || r == wanted
            || wanted
                .split_once('/')
                .is_some_and(|(_, sub)| r.strip_prefix("*/") == Some(sub))
    })
}

/// Whether `rules` allow one of `verbs` on `group`/`resource`, and on which names.
pub(super) fn allows<'r>(
    rules: &'r [Rule],
    verbs: &[&str],
    group: &str,
    resource: &str,
) -> Option<Allowed<'r>> {
    let mut found: Option<Allowed<'r>> = None;
    for rule in rules {
        let hit = verbs.iter().any(|v| any_is(&rule.verbs, v))
            && any_is(&rule.api_groups, group)
            && resource_matches(&rule.resources, resource);
        if !hit {
            continue;
        }
        let names = if rule.resource_names.is_empty() {
            Names::All
        } else {
            Names::Only(rule.resource_names.iter().cloned().collect())
        };
        found = Some(match found {
            None => Allowed { names, rule },
            Some(mut seen) => {
                seen.names = match (seen.names, names) {
                    (Names::All, _) | (_, Names::All) => Names::All,
                    (Names::Only(mut a), Names::Only(b)) => {
                        a.extend(b);
                        Names::Only(a)
                    }
                };
                if seen.names == Names::All && !rule.resource_names.is_empty() {
                    // Keep quoting the rule that grants everything.
                } else if rule.resource_names.is_empty() {
                    seen.rule = rule;
                }
                seen
            }
        });
    }
    found
}

/// `verbs [get list] on secrets` for a reason.
pub(super) fn quote_rule(rule: &Rule) -> String {
    let list = |l: &[String]| {
        l.iter()
            .map(|s| {
                if s.is_empty() {
                    "\"\"".into()
                } else {
                    s.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = format!(
        "verbs [{}] on resources [{}] (apiGroups [{}])",
        list(&rule.verbs),
        list(&rule.resources),
        list(&rule.api_groups)
    );
    if !rule.resource_names.is_empty() {
        out.push_str(&format!(" named [{}]", list(&rule.resource_names)));
    }
    out
}

/// Every rule a role holds: its own, and for an aggregated ClusterRole those of every
/// ClusterRole its selectors match (live objects carry them already; manifests do not).
pub(super) struct Roles<'a> {
    roles: BTreeMap<(Option<&'a str>, &'a str), &'a Object>,
    cluster_roles: Vec<&'a Object>,
}

impl<'a> Roles<'a> {
    pub(super) fn new(objects: impl Iterator<Item = &'a Object>) -> Roles<'a> {
        let mut roles = BTreeMap::new();
        let mut cluster_roles = Vec::new();
        for o in objects {
            match o.kind.as_str() {
                "Role" => {
                    roles.insert(
                        (o.metadata.namespace.as_deref(), o.metadata.name.as_str()),
                        o,
                    );
                }
                "ClusterRole" => {
                    roles.insert((None, o.metadata.name.as_str()), o);
                    cluster_roles.push(o);
                }
                _ => {}
            }
        }
        Roles {
            roles,
            cluster_roles,
        }
    }

    /// The rules of `Role ns/name` or `ClusterRole name`; `None` when it is not in the inputs.
    pub(super) fn rules(&self, kind: &str, ns: Option<&str>, name: &str) -> Option<Vec<Rule>> {
        let key = if kind == "ClusterRole" {
            (None, name)
        } else {
            (Some(ns?), name)
        };
        let role = self.roles.get(&key)?;
        if (kind == "ClusterRole") != (role.kind == "ClusterRole") {
            return None;
        }
        let mut rules = role.rules.clone().unwrap_or_default();
        if let Some(aggregation) = &role.aggregation_rule {
            for other in &self.cluster_roles {
                if other.metadata.name != name
                    && aggregation
                        .cluster_role_selectors
                        .iter()
                        .any(|s| selects(s, &other.metadata.labels))
                {
                    rules.extend(other.rules.iter().flatten().cloned());
                }
            }
        }
        Some(rules)
    }
}

/// A label selector: every `matchLabels` pair and every expression holds.
fn selects(selector: &Selector, labels: &BTreeMap<String, String>) -> bool {
    if selector.match_labels.is_empty() && selector.match_expressions.is_empty() {
        // An empty selector matches nothing in an aggregation rule.
        return false;
    }
    selector
        .match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
        && selector.match_expressions.iter().all(|e| {
            let value = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => value.is_some_and(|v| e.values.contains(v)),
                "NotIn" => value.is_none_or(|v| !e.values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> Rule {
        let v = |l: &[&str]| l.iter().map(|s| (*s).to_string()).collect();
        Rule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            non_resource_urls: Vec::new(),
        }
    }

    #[test]
    fn wildcards_subresources_and_names() {
        let star = [rule(&["*"], &["*"], &["*"], &[])];
        assert!(allows(&star, &["create"], "", "pods/exec").is_some());
        let any_exec = [rule(&["create"], &[""], &["*/exec"], &[])];
        assert!(allows(&any_exec, &["create"], "", "pods/exec").is_some());
        assert!(allows(&any_exec, &["create"], "", "pods").is_none());
        assert!(allows(&any_exec, &["create"], "apps", "pods/exec").is_none());
        // `pods/*` is no wildcard to the API server.
        let literal = [rule(&["create"], &[""], &["pods/*"], &[])];
        assert!(allows(&literal, &["create"], "", "pods/exec").is_none());
        let named = [
            rule(&["get"], &[""], &["secrets"], &["a"]),
            rule(&["get"], &[""], &["secrets"], &["b"]),
        ];
        let hit = allows(&named, &["get", "list"], "", "secrets").expect("allowed");
        assert!(hit.names.contains("a") && hit.names.contains("b") && !hit.names.contains("c"));
        let both = [
            rule(&["get"], &[""], &["secrets"], &["a"]),
            rule(&["list"], &[""], &["secrets"], &[]),
        ];
        let hit = allows(&both, &["get", "list"], "", "secrets").expect("allowed");
        assert_eq!(hit.names, Names::All);
        assert!(hit.rule.resource_names.is_empty());
    }
}
