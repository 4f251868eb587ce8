//! Vault ACL policies: their rules read from HCL or JSON, and a token's policies merged
//! and evaluated against a request path the way Vault does it.
//!
//! Vault merges every policy a token holds into one ACL: rules on the same path pattern
//! add up their capabilities (and `deny` among them leaves nothing); a request is then
//! decided by the one pattern of highest priority that matches its path, whichever
//! policy it came from. So a more specific rule in one policy narrows a broader grant in
//! another (a `list` on `secret/metadata/team/*` does not take away a `read` on
//! `secret/data/*`, but a `deny` or a bare `list` on `secret/data/team/*` does), and a
//! policy's grants cannot be judged apart from the others a token holds.

use std::cmp::Ordering;
use std::fmt::Write as _;

/// Capabilities of a rule, as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Caps(u16);

impl Caps {
    pub const CREATE: Caps = Caps(1);
    pub const READ: Caps = Caps(1 << 1);
    pub const UPDATE: Caps = Caps(1 << 2);
    pub const PATCH: Caps = Caps(1 << 3);
    pub const DELETE: Caps = Caps(1 << 4);
    pub const LIST: Caps = Caps(1 << 5);
    pub const SUDO: Caps = Caps(1 << 6);
    pub const DENY: Caps = Caps(1 << 7);
    pub const SUBSCRIBE: Caps = Caps(1 << 8);
    pub const RECOVER: Caps = Caps(1 << 9);

    const NAMES: [(&'static str, Caps); 10] = [
        ("create", Caps::CREATE),
        ("read", Caps::READ),
        ("update", Caps::UPDATE),
        ("patch", Caps::PATCH),
        ("delete", Caps::DELETE),
        ("list", Caps::LIST),
        ("sudo", Caps::SUDO),
        ("deny", Caps::DENY),
        ("subscribe", Caps::SUBSCRIBE),
        ("recover", Caps::RECOVER),
    ];

    fn named(name: &str) -> Option<Caps> {
        Caps::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, c)| c)
    }

    /// The pre-0.9 `policy = "…"` shorthand.
    fn legacy(name: &str) -> Option<Caps> {
        Some(match name {
            "deny" => Caps::DENY,
            "read" => Caps::READ | Caps::LIST,
            "write" => {
                Caps::CREATE | Caps::READ | Caps::UPDATE | Caps::PATCH | Caps::DELETE | Caps::LIST
            }
            "sudo" => {
                Caps::CREATE
                    | Caps::READ
                    | Caps::UPDATE
                    | Caps::PATCH
                    | Caps::DELETE
                    | Caps::LIST
                    | Caps::SUDO
            }
            _ => return None,
        })
    }

    pub fn has(self, other: Caps) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any of `other`'s capabilities is granted (a `deny` grants nothing).
    pub fn any(self, other: Caps) -> bool {
        !self.has(Caps::DENY) && self.0 & other.0 != 0
    }

    pub fn names(self) -> Vec<&'static str> {
        Caps::NAMES
            .iter()
            .filter(|&&(_, c)| self.has(c))
            .map(|&(n, _)| n)
            .collect()
    }
}

impl std::ops::BitOr for Caps {
    type Output = Caps;
    fn bitor(self, rhs: Caps) -> Caps {
        Caps(self.0 | rhs.0)
    }
}

/// One `path "PATTERN" { … }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub pattern: String,
    pub caps: Caps,
}

impl Rule {
    /// The rule as a policy would write it, for edge reasons.
    pub fn text(&self) -> String {
        let mut out = format!("path \"{}\" {{ capabilities = [", self.pattern);
        for (i, name) in self.caps.names().iter().enumerate() {
            let _ = write!(out, "{}\"{name}\"", if i > 0 { ", " } else { "" });
        }
        out.push_str("] }");
        out
    }
}

/// A named policy's rules, in the order written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    pub rules: Vec<Rule>,
}

/// Reads a policy from its HCL or JSON text (Vault accepts both). Unknown capability
/// names are returned so the caller can say so; a rule naming none is kept with none.
pub(crate) fn parse(text: &str) -> Result<(Policy, Vec<String>), String> {
    let mut policy = Policy::default();
    let mut unknown = Vec::new();
    let mut add = |pattern: &str, caps: &[String], legacy: Option<&str>| {
        let mut set = Caps::default();
        for c in caps {
            match Caps::named(c) {
                Some(cap) => set = set | cap,
                None => unknown.push(c.clone()),
            }
        }
        if let Some(l) = legacy {
            match Caps::legacy(l) {
                Some(cap) => set = set | cap,
                None => unknown.push(l.to_string()),
            }
        }
        policy.rules.push(Rule {
            pattern: pattern.to_string(),
            caps: set,
        });
    };
    if text.trim_start().starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let paths = value
            .get("path")
            .and_then(|p| p.as_object())
            .ok_or("a JSON policy with no \"path\" object")?;
        for (pattern, body) in paths {
            let caps: Vec<String> = body
                .get("capabilities")
                .and_then(|c| c.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            add(pattern, &caps, body.get("policy").and_then(|p| p.as_str()));
        }
        return Ok((policy, unknown));
    }
    let body = hcl::parse(text).map_err(|e| first_line(&e.to_string()))?;
    for block in body.blocks() {
        if block.identifier() != "path" {
            continue;
        }
        let [label] = block.labels() else {
            return Err(format!(
                "a path block with {} labels (one pattern expected)",
                block.labels().len()
            ));
        };
        let mut caps = Vec::new();
        let mut legacy = None;
        for attr in block.body().attributes() {
            match (attr.key(), attr.expr()) {
                ("capabilities", hcl::Expression::Array(items)) => {
                    caps.extend(items.iter().filter_map(|i| match i {
                        hcl::Expression::String(s) => Some(s.clone()),
                        _ => None,
                    }));
                }
                ("policy", hcl::Expression::String(s)) => legacy = Some(s.clone()),
                _ => {}
            }
        }
        add(label.as_str(), &caps, legacy.as_deref());
    }
    Ok((policy, unknown))
}

/// The parser's first line, without its ` --> ` arrow.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default().trim();
    line.trim_start_matches("-->").trim().to_string()
}

/// Whether a path pattern matches a request path: `+` stands for one whole segment, a
/// trailing `*` for any suffix, and a `{{…}}` template segment (which Vault fills in per
/// token) is taken as `+`.
pub(crate) fn matches(pattern: &str, path: &str) -> bool {
    matches_with(pattern, path, is_templated(pattern))
}

/// [`matches`], told whether the pattern holds a template (the rules know it already).
fn matches_with(pattern: &str, path: &str, templated: bool) -> bool {
    let (body, prefix) = match pattern.strip_suffix('*') {
        Some(body) => (body, true),
        None => (pattern, false),
    };
    // Called for every rule against every secret of every holder: no allocation.
    let mut segments = body.split('/').peekable();
    let mut rest = path;
    while let Some(seg) = segments.next() {
        let any = seg == "+" || templated && seg.contains("{{");
        if segments.peek().is_none() {
            return if prefix {
                // `secret/+*` is not something Vault accepts; read as "any segment, then
                // anything".
                any || rest.starts_with(seg)
            } else {
                !rest.contains('/') && (any || rest == seg)
            };
        }
        let Some((head, tail)) = rest.split_once('/') else {
            return false;
        };
        if !any && head != seg {
            return false;
        }
        rest = tail;
    }
    false
}

/// Whether a pattern holds a `{{…}}` template, which Vault fills in per token.
pub(crate) fn is_templated(pattern: &str) -> bool {
    pattern.contains("{{")
}

/// Vault's priority between two patterns that match the same path
/// (`Greater`: `a` wins). From the policy documentation: the pattern whose first `+` or
/// `*` comes earlier loses; then one ending in `*` loses to one that does not; then
/// the one with more `+` segments loses; then the shorter; then the lexically smaller.
pub(crate) fn priority(a: &str, b: &str) -> Ordering {
    fn first_wildcard(p: &str) -> usize {
        let plus = p
            .split('/')
            .scan(0usize, |at, seg| {
                let start = *at;
                *at += seg.len() + 1;
                Some((start, seg))
            })
            .find(|(_, seg)| *seg == "+" || seg.contains("{{"))
            .map(|(i, _)| i);
        let star = p.ends_with('*').then(|| p.len() - 1);
        plus.into_iter().chain(star).min().unwrap_or(usize::MAX)
    }
    fn pluses(p: &str) -> usize {
        p.split('/')
            .filter(|s| *s == "+" || s.contains("{{"))
            .count()
    }
    first_wildcard(a)
        .cmp(&first_wildcard(b))
        .then_with(|| b.ends_with('*').cmp(&a.ends_with('*')))
        .then_with(|| pluses(b).cmp(&pluses(a)))
        .then_with(|| a.len().cmp(&b.len()))
        .then_with(|| a.cmp(b))
}

/// The policies a token holds, merged as Vault merges them.
pub(crate) struct Acl<'p> {
    /// Each pattern once: its merged capabilities and the policies' rules behind them.
    rules: Vec<Merged<'p>>,
}

pub(crate) struct Merged<'p> {
    pub pattern: &'p str,
    pub caps: Caps,
    /// `(policy name, rule)` for each rule on this pattern.
    pub from: Vec<(&'p str, &'p Rule)>,
    /// The pattern's text before its first wildcard: a path that does not start with it
    /// cannot match, which most rules fail at once.
    lead: &'p str,
    templated: bool,
}

/// The text of a pattern before its first `+` segment, template or `*`.
pub(crate) fn lead(pattern: &str) -> &str {
    let mut end = pattern.find('*').unwrap_or(pattern.len());
    let mut at = 0;
    for seg in pattern.split('/') {
        if at >= end {
            break;
        }
        if seg == "+" || seg.contains("{{") {
            end = end.min(at);
            break;
        }
        at += seg.len() + 1;
    }
    &pattern[..end]
}

impl<'p> Acl<'p> {
    pub fn new(policies: impl IntoIterator<Item = (&'p str, &'p Policy)>) -> Acl<'p> {
        let mut rules: Vec<Merged<'p>> = Vec::new();
        let mut at: rustc_hash::FxHashMap<&'p str, usize> = rustc_hash::FxHashMap::default();
        for (name, policy) in policies {
            for rule in &policy.rules {
                let i = *at.entry(&rule.pattern).or_insert_with(|| {
                    rules.push(Merged {
                        pattern: &rule.pattern,
                        caps: Caps::default(),
                        from: Vec::new(),
                        lead: lead(&rule.pattern),
                        templated: is_templated(&rule.pattern),
                    });
                    rules.len() - 1
                });
                rules[i].caps = rules[i].caps | rule.caps;
                rules[i].from.push((name, rule));
            }
        }
        Acl { rules }
    }

    /// The rule that decides a request on `path`: the matching pattern of highest
    /// priority (templated ones left out when asked), or none (Vault then denies).
    fn decide(&self, path: &str, templated: bool) -> Option<&Merged<'p>> {
        self.rules
            .iter()
            .filter(|m| {
                path.starts_with(m.lead)
                    && (templated || !m.templated)
                    && matches_with(m.pattern, path, m.templated)
            })
            .max_by(|a, b| priority(a.pattern, b.pattern))
    }

    /// Whether some rule may match a path under `prefix` (a cheap test before many).
    pub fn touches(&self, prefix: &str) -> bool {
        self.rules
            .iter()
            .any(|m| prefix.starts_with(m.lead) || m.lead.starts_with(prefix))
    }

    /// The deciding rule when it grants any of `caps` (and all of `also`), with the
    /// condition a `{{…}}` template puts on it: a templated rule decides only for the
    /// entity whose name it expands to, so a templated grant is conditional, and a
    /// templated deny (or list) takes away the broader grant below it only for that
    /// entity.
    pub fn allows(
        &self,
        path: &str,
        caps: Caps,
        also: Caps,
    ) -> Option<(&Merged<'p>, Option<String>)> {
        let grants = |m: &Merged<'_>| m.caps.any(caps) && m.caps.has(also);
        let m = self.decide(path, true)?;
        if grants(m) {
            let condition = m.templated.then(|| {
                format!(
                    "if the template in path \"{}\" expands to this path for the token's entity",
                    m.pattern
                )
            });
            return Some((m, condition));
        }
        if !m.templated {
            return None;
        }
        let below = self.decide(path, false).filter(|b| grants(b))?;
        let condition = format!(
            "unless the template in path \"{}\" expands to this path for the token's entity",
            m.pattern
        );
        Some((below, Some(condition)))
    }
}

impl Merged<'_> {
    /// The policies and rules behind this decision, for a reason:
    /// `policy P: path "…" { … }` (several joined with `; `).
    pub fn because(&self) -> String {
        self.from
            .iter()
            .map(|(name, rule)| format!("policy {name}: `{}`", rule.text()))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_vault_matches_them() {
        assert!(matches("secret/data/*", "secret/data/payments/db"));
        assert!(matches("secret/data/*", "secret/data/"));
        assert!(!matches("secret/data/*", "secret/data"));
        assert!(matches("secret/data/pay*", "secret/data/payments/db"));
        assert!(matches("secret/+/db", "secret/data/db"));
        assert!(!matches("secret/+/db", "secret/data/x/db"));
        assert!(matches("secret/+/team/*", "secret/data/team/a/b"));
        assert!(matches("*", "sys/policies/acl/x"));
        assert!(matches("secret/data/db", "secret/data/db"));
        assert!(!matches("secret/data/db", "secret/data/db/x"));
        assert!(!matches("secret/data/db", "secret/data/dbx"));
        assert!(matches(
            "secret/data/{{identity.entity.name}}/*",
            "secret/data/alice/x"
        ));
    }

    #[test]
    fn the_lead_is_the_text_before_the_first_wildcard() {
        assert_eq!(lead("secret/data/*"), "secret/data/");
        assert_eq!(lead("secret/+/db"), "secret/");
        assert_eq!(
            lead("secret/data/{{identity.entity.name}}/x"),
            "secret/data/"
        );
        assert_eq!(lead("secret/data/db"), "secret/data/db");
        assert_eq!(lead("+/x*"), "");
        assert_eq!(lead("*"), "");
    }

    #[test]
    fn the_most_specific_pattern_wins() {
        use Ordering::*;
        // An exact path beats any glob.
        assert_eq!(priority("secret/data/db", "secret/data/*"), Greater);
        // A later wildcard beats an earlier one.
        assert_eq!(priority("secret/data/+/db", "secret/+/x/db"), Greater);
        // Ending in `*` loses to the same position's `+`.
        assert_eq!(priority("secret/+", "secret/*"), Greater);
        // Longer beats shorter.
        assert_eq!(priority("secret/data/pay*", "secret/data/*"), Greater);
    }

    #[test]
    fn policies_merge_and_the_specific_rule_decides() {
        let (broad, _) =
            parse(r#"path "secret/data/*" { capabilities = ["read", "list"] }"#).expect("parses");
        let (narrow, _) =
            parse(r#"path "secret/data/team/*" { capabilities = ["list"] }"#).expect("parses");
        let (deny, _) =
            parse(r#"path "secret/data/*" { capabilities = ["deny"] }"#).expect("parses");
        let acl = Acl::new([("broad", &broad)]);
        assert!(
            acl.allows("secret/data/team/db", Caps::READ, Caps::default())
                .is_some()
        );
        // A more specific list-only rule from another policy takes the read away.
        let acl = Acl::new([("broad", &broad), ("narrow", &narrow)]);
        assert!(
            acl.allows("secret/data/team/db", Caps::READ, Caps::default())
                .is_none()
        );
        assert!(
            acl.allows("secret/data/other", Caps::READ, Caps::default())
                .is_some()
        );
        // Deny on the same pattern beats the grant.
        let acl = Acl::new([("broad", &broad), ("deny", &deny)]);
        assert!(
            acl.allows("secret/data/other", Caps::READ, Caps::default())
                .is_none()
        );
    }

    #[test]
    fn a_templated_rule_decides_for_its_entity_only() {
        let (p, _) = parse(
            "path \"secret/data/*\" { capabilities = [\"read\"] }\npath \"secret/data/{{identity.entity.name}}/private\" { capabilities = [\"deny\"] }",
        )
        .expect("parses");
        let acl = Acl::new([("p", &p)]);
        let (m, condition) = acl
            .allows("secret/data/bob/private", Caps::READ, Caps::default())
            .expect("readable unless the entity is bob");
        assert_eq!(m.pattern, "secret/data/*");
        assert!(condition.expect("conditional").starts_with("unless"));
    }

    #[test]
    fn reads_hcl_json_and_the_legacy_form() {
        let (p, unknown) = parse(
            "# comment\npath \"a/*\" {\n  capabilities = [\"read\", \"sudo\", \"bogus\"]\n}\npath \"b\" { policy = \"write\" }\n",
        )
        .expect("parses");
        assert_eq!(p.rules.len(), 2);
        assert!(p.rules[0].caps.has(Caps::READ | Caps::SUDO));
        assert_eq!(unknown, ["bogus"]);
        assert!(p.rules[1].caps.has(Caps::UPDATE));
        let (j, _) = parse(r#"{"path": {"c/+": {"capabilities": ["list"]}}}"#).expect("parses");
        assert_eq!(j.rules[0].pattern, "c/+");
        assert!(parse("path \"a\" {").is_err());
    }
}
