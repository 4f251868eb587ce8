//! IAM policy documents: parsing (objects, URL-encoded strings, JSON strings; single
//! values or arrays everywhere) and statement matching with condition evaluation.
//!
//! Only what trustpath can know offline is evaluated: `aws:MultiFactorAuthPresent` (an
//! attacker holding a stolen key or token has no MFA) and date conditions on
//! `aws:CurrentTime` / `aws:TokenIssueTime` (against `--at`: an attacker can mint a fresh
//! session then). Every other condition is kept, unevaluated, on the edge it guards.

use std::borrow::Cow;

use jiff::Timestamp;
use serde_json::Value;

use crate::glob::{glob_match, glob_match_ignore_case};
use crate::model::Condition;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action`/`Resource` (match any listed pattern) or `NotAction`/`NotResource` (match
/// anything no listed pattern matches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patterns {
    Any(Vec<String>),
    Not(Vec<String>),
}

/// Values of the policy variables a principal's own policies may use in `Resource`
/// (`arn:aws:iam::*:user/${aws:username}`).
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub username: String,
    pub userid: String,
    pub account: String,
}

impl Vars {
    /// The pattern with variables replaced; `None` when it uses one trustpath cannot
    /// know (AWS then does not match the statement either).
    fn substitute<'p>(&self, pattern: &'p str) -> Option<Cow<'p, str>> {
        // A single-byte search: this runs for every pattern of every check.
        if !pattern.contains('$') {
            return Some(Cow::Borrowed(pattern));
        }
        let mut out = String::with_capacity(pattern.len());
        let mut rest = pattern;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}')? + start;
            let name = &rest[start + 2..end];
            let value = match name.to_ascii_lowercase().as_str() {
                "aws:username" if !self.username.is_empty() => self.username.as_str(),
                "aws:userid" if !self.userid.is_empty() => self.userid.as_str(),
                "aws:principalaccount" if !self.account.is_empty() => self.account.as_str(),
                // Escapes for the characters that would otherwise be wildcards.
                "*" => "*",
                "?" => "?",
                "$" => "$",
                _ => return None,
            };
            out.push_str(value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Some(Cow::Owned(out))
    }
}

impl Patterns {
    fn matches(&self, value: &str, ignore_case: bool, vars: &Vars) -> bool {
        let hit = |p: &String| match vars.substitute(p) {
            None => false,
            Some(p) if ignore_case => glob_match_ignore_case(&p, value),
            Some(p) => glob_match(&p, value),
        };
        match self {
            Patterns::Any(ps) => ps.iter().any(hit),
            Patterns::Not(ps) => !ps.iter().any(hit),
        }
    }
}

/// The principals of a trust (resource) policy statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// `"Principal": "*"` or `{"AWS": "*"}`: anyone.
    pub anyone: bool,
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    /// `NotPrincipal`: everyone except the listed ones.
    pub not: bool,
}

/// One condition clause: `{"StringLike": {"token.actions.githubusercontent.com:sub": [..]}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

impl Clause {
    pub fn to_condition(&self) -> Condition {
        Condition {
            description: format!("{} {} {}", self.key, self.operator, self.values.join(" | ")),
            key: Some(self.key.clone()),
            operator: Some(self.operator.clone()),
            values: self.values.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub effect: Effect,
    pub action: Patterns,
    pub resource: Patterns,
    pub principal: Option<Principals>,
    pub conditions: Vec<Clause>,
    /// The statement as compact JSON, quoted in edge reasons.
    pub text: String,
}

/// What the request context tells about a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    /// Depends on something the export cannot show.
    Unknown,
}

/// The attacker's request context.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub at: Timestamp,
    /// The request is signed with a long-term access key: it carries neither
    /// `aws:MultiFactorAuthPresent` nor `aws:TokenIssueTime`. Otherwise it is a session
    /// (an assumed role, or `GetSessionToken` without MFA) issued at `at`.
    pub long_term_key: bool,
    /// For `iam:PassRole`: the service the role is passed to (`iam:PassedToService`).
    pub passed_to: Option<&'static str>,
}

impl Context {
    /// A session issued at `at` (the context of a role, or of a user's temporary token).
    pub fn session(at: Timestamp) -> Context {
        Context {
            at,
            long_term_key: false,
            passed_to: None,
        }
    }

    pub fn with_long_term_key(self) -> Context {
        Context {
            long_term_key: true,
            ..self
        }
    }

    pub fn passing_to(self, service: &'static str) -> Context {
        Context {
            passed_to: Some(service),
            ..self
        }
    }
}

impl Statement {
    /// Whether the statement covers `action` on `resource` (conditions aside), for the
    /// principal whose policy variables are `vars`.
    pub fn covers(&self, action: &str, resource: &str, vars: &Vars) -> bool {
        self.action.matches(action, true, vars) && self.resource.matches(resource, false, vars)
    }

    /// The resources this statement names, when all are literal (no wildcard after
    /// substituting `vars`); `None` for patterns, `NotResource` or unknown variables.
    pub fn literal_resources(&self, vars: &Vars) -> Option<Vec<String>> {
        let Patterns::Any(ps) = &self.resource else {
            return None;
        };
        ps.iter()
            .map(|p| {
                let p = vars.substitute(p)?;
                (!p.contains(['*', '?'])).then(|| p.into_owned())
            })
            .collect()
    }

    /// Whether the statement names every resource (`"Resource": "*"`).
    pub fn covers_every_resource(&self) -> bool {
        matches!(&self.resource, Patterns::Any(ps) if ps.iter().any(|p| p == "*"))
    }

    /// Whether the statement covers `action` on some resource.
    pub fn covers_action(&self, action: &str) -> bool {
        self.action.matches(action, true, &Vars::default())
    }

    /// The statement's conditions in the attacker's context: `False` when one surely
    /// fails, else the clauses left unevaluated.
    pub fn conditions_in(&self, ctx: Context) -> Result<Vec<&Clause>, ()> {
        let mut unknown = Vec::new();
        for clause in &self.conditions {
            match evaluate(clause, ctx) {
                Truth::True => {}
                Truth::False => return Err(()),
                Truth::Unknown => unknown.push(clause),
            }
        }
        Ok(unknown)
    }
}

/// Condition operators IAM defines (before `IfExists` and the set prefixes).
const OPERATORS: [&str; 25] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
];

fn base_operator(op: &str) -> &str {
    let op = op
        .strip_prefix("ForAllValues:")
        .or_else(|| op.strip_prefix("ForAnyValue:"))
        .unwrap_or(op);
    op.strip_suffix("IfExists").unwrap_or(op)
}

fn known_operator(op: &str) -> bool {
    let base = base_operator(op);
    OPERATORS.contains(&base) || base == "ArnNotLike" || base == "Null"
}

fn evaluate(clause: &Clause, ctx: Context) -> Truth {
    let key = clause.key.to_ascii_lowercase();
    let if_exists = clause.operator.ends_with("IfExists");
    let op = base_operator(&clause.operator);
    let truth = |b: bool| if b { Truth::True } else { Truth::False };
    // A key missing from the request: `…IfExists` holds, `Null: true` holds, anything
    // else does not match.
    let absent = || match op {
        "Null" => truth(clause.values.iter().any(|v| v.eq_ignore_ascii_case("true"))),
        _ => truth(if_exists),
    };
    let values_say = |v: &str| clause.values.iter().any(|x| x.eq_ignore_ascii_case(v));
    match key.as_str() {
        "aws:multifactorauthpresent" if ctx.long_term_key => absent(),
        "aws:multifactorauthpresent" => match op {
            // A stolen session was not made with MFA.
            "Bool" => truth(values_say("false")),
            "Null" => truth(values_say("false")),
            _ => Truth::Unknown,
        },
        "aws:tokenissuetime" if ctx.long_term_key => absent(),
        "aws:currenttime" | "aws:tokenissuetime" if op.starts_with("Date") => {
            let dates: Vec<Timestamp> =
                clause.values.iter().filter_map(|v| parse_date(v)).collect();
            if dates.len() != clause.values.len() {
                return Truth::Unknown;
            }
            let at = ctx.at;
            // Several values: a positive operator needs one to hold, the negated one
            // needs none to be equal.
            match op {
                "DateNotEquals" => truth(dates.iter().all(|d| at != *d)),
                _ => truth(dates.iter().any(|d| match op {
                    "DateEquals" => at == *d,
                    "DateLessThan" => at < *d,
                    "DateLessThanEquals" => at <= *d,
                    "DateGreaterThan" => at > *d,
                    "DateGreaterThanEquals" => at >= *d,
                    _ => false,
                })),
            }
        }
        "iam:passedtoservice" => match (ctx.passed_to, op) {
            (None, _) => Truth::Unknown,
            (Some(service), "StringEquals" | "StringLike") => {
                truth(clause.values.iter().any(|v| glob_match(v, service)))
            }
            (Some(service), "StringNotEquals" | "StringNotLike") => {
                truth(!clause.values.iter().any(|v| glob_match(v, service)))
            }
            _ => Truth::Unknown,
        },
        _ => Truth::Unknown,
    }
}

fn parse_date(s: &str) -> Option<Timestamp> {
    s.parse::<Timestamp>().ok().or_else(|| {
        s.parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })
}

/// A parsed policy document and what was wrong with parts of it.
#[derive(Debug, Default)]
pub struct Parsed {
    pub statements: Vec<Statement>,
    pub problems: Vec<String>,
}

/// Parses a policy document given as an object, a URL-encoded string or a JSON string.
pub fn parse_document(doc: &Value) -> Result<Parsed, String> {
    let owned;
    let doc = match doc {
        Value::String(s) => {
            let decoded: Cow<'_, str> = if s.trim_start().starts_with('{') {
                Cow::Borrowed(s)
            } else {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map_err(|e| format!("policy document is not valid URL-encoded UTF-8: {e}"))?
            };
            owned = serde_json::from_str::<Value>(&decoded)
                .map_err(|e| format!("policy document is not JSON: {e}"))?;
            &owned
        }
        other => other,
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => return Err("\"Statement\" is neither an object nor a list".into()),
        None => return Err("policy document has no \"Statement\"".into()),
    };
    let mut parsed = Parsed::default();
    for (i, st) in statements.into_iter().enumerate() {
        match parse_statement(st) {
            Ok(statement) => {
                for clause in &statement.conditions {
                    if !known_operator(&clause.operator) {
                        parsed.problems.push(format!(
                            "statement {i}: unknown condition operator '{}' (kept, unevaluated)",
                            clause.operator
                        ));
                    }
                }
                parsed.statements.push(statement);
            }
            Err(e) => parsed.problems.push(format!("statement {i} skipped: {e}")),
        }
    }
    Ok(parsed)
}

/// A string or a list of strings.
fn strings(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(b) => Ok(b.to_string()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(format!("expected a string, found {other}")),
            })
            .collect(),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        other => Err(format!("expected a string or a list, found {other}")),
    }
}

fn patterns(st: &Value, yes: &str, no: &str) -> Result<Option<Patterns>, String> {
    match (st.get(yes), st.get(no)) {
        (Some(v), None) => Ok(Some(Patterns::Any(strings(v)?))),
        (None, Some(v)) => Ok(Some(Patterns::Not(strings(v)?))),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(format!("has both {yes} and {no}")),
    }
}

fn parse_statement(st: &Value) -> Result<Statement, String> {
    if !st.is_object() {
        return Err("not an object".into());
    }
    let effect = match st.get("Effect").and_then(Value::as_str) {
        Some(e) if e.eq_ignore_ascii_case("Allow") => Effect::Allow,
        Some(e) if e.eq_ignore_ascii_case("Deny") => Effect::Deny,
        other => return Err(format!("Effect is {other:?}, not Allow or Deny")),
    };
    let action = patterns(st, "Action", "NotAction")?.ok_or("has neither Action nor NotAction")?;
    // Identity policies must name resources; trust policies never do. A missing
    // Resource therefore means "any" (the resource is implied by where the policy sits).
    let resource =
        patterns(st, "Resource", "NotResource")?.unwrap_or(Patterns::Any(vec!["*".into()]));
    let principal = match (st.get("Principal"), st.get("NotPrincipal")) {
        (Some(p), _) => Some(principals(p, false)?),
        (None, Some(p)) => Some(principals(p, true)?),
        (None, None) => None,
    };
    let mut conditions = Vec::new();
    if let Some(cond) = st.get("Condition") {
        let ops = cond.as_object().ok_or("Condition is not an object")?;
        for (operator, keys) in ops {
            let keys = keys
                .as_object()
                .ok_or_else(|| format!("condition {operator} is not an object"))?;
            for (key, values) in keys {
                conditions.push(Clause {
                    operator: operator.clone(),
                    key: key.clone(),
                    values: strings(values)?,
                });
            }
        }
    }
    Ok(Statement {
        effect,
        action,
        resource,
        principal,
        conditions,
        text: st.to_string(),
    })
}

fn principals(p: &Value, not: bool) -> Result<Principals, String> {
    let mut out = Principals {
        not,
        ..Principals::default()
    };
    match p {
        Value::String(s) if s == "*" => out.anyone = true,
        Value::String(s) => {
            return Err(format!("Principal \"{s}\" is neither \"*\" nor an object"));
        }
        Value::Object(map) => {
            for (kind, v) in map {
                let list = strings(v)?;
                match kind.as_str() {
                    "AWS" => {
                        out.anyone |= list.iter().any(|a| a == "*");
                        out.aws.extend(list.into_iter().filter(|a| a != "*"));
                    }
                    "Service" => out.service.extend(list),
                    "Federated" => out.federated.extend(list),
                    // CanonicalUser (S3 only) and unknown kinds grant nothing here.
                    _ => {}
                }
            }
        }
        other => return Err(format!("Principal is {other}")),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Context {
        Context::session("2026-11-25T00:00:00Z".parse().expect("timestamp"))
    }

    #[test]
    fn documents_in_every_encoding() {
        let object = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}});
        let plain = Value::String(object.to_string());
        let encoded = Value::String(
            percent_encoding::utf8_percent_encode(
                &object.to_string(),
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string(),
        );
        for doc in [object, plain, encoded] {
            let parsed = parse_document(&doc).expect("parses");
            assert_eq!(parsed.statements.len(), 1);
            assert!(parsed.statements[0].covers(
                "S3:GetObject",
                "arn:aws:s3:::b/k",
                &Vars::default()
            ));
        }
        assert!(parse_document(&Value::String("%7Bnot json".into())).is_err());
    }

    #[test]
    fn not_action_not_resource_and_case() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:Get*", "NotResource": "arn:aws:iam::1:role/admin"}]});
        let p = parse_document(&doc).expect("parses");
        let v = Vars::default();
        assert!(p.statements[0].covers("ec2:RunInstances", "*", &v));
        assert!(!p.statements[0].covers("IAM:PassRole", "*", &v));
        assert!(p.statements[1].covers("iam:getrole", "arn:aws:iam::1:role/deploy", &v));
        assert!(!p.statements[1].covers("iam:GetRole", "arn:aws:iam::1:role/admin", &v));
    }

    #[test]
    fn policy_variables() {
        let doc = json!({"Statement": {"Effect": "Allow", "Action": "iam:CreateAccessKey",
            "Resource": "arn:aws:iam::*:user/${aws:username}"}});
        let p = parse_document(&doc).expect("parses");
        let vars = Vars {
            username: "alice".into(),
            ..Vars::default()
        };
        assert!(p.statements[0].covers("iam:CreateAccessKey", "arn:aws:iam::1:user/alice", &vars));
        assert!(!p.statements[0].covers("iam:CreateAccessKey", "arn:aws:iam::1:user/bob", &vars));
        assert!(!p.statements[0].covers(
            "iam:CreateAccessKey",
            "arn:aws:iam::1:user/alice",
            &Vars::default()
        ));
        assert_eq!(vars.substitute("a${*}b").as_deref(), Some("a*b"));
        assert_eq!(vars.substitute("x${aws:SourceIp}"), None);
    }

    #[test]
    fn bad_statements_are_skipped_with_a_reason() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringFancy": {"k": "v"}}}]});
        let p = parse_document(&doc).expect("parses");
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.problems.len(), 2);
        assert!(p.problems[0].contains("neither Action nor NotAction"));
        assert!(p.problems[1].contains("unknown condition operator 'StringFancy'"));
    }

    #[test]
    fn conditions_in_the_attacker_context() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-12-01T00:00:00Z"}}},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}}},
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}}]});
        let p = parse_document(&doc).expect("parses");
        let c = ctx();
        assert!(
            p.statements[0].conditions_in(c).is_err(),
            "MFA required: a stolen key has none"
        );
        assert_eq!(
            p.statements[1].conditions_in(c).map(|v| v.len()),
            Ok(0),
            "deny without MFA applies"
        );
        assert!(
            p.statements[2].conditions_in(c).is_ok(),
            "sessions issued now are older than the cut-off"
        );
        assert!(
            p.statements[3].conditions_in(c).is_err(),
            "a session minted at --at is newer"
        );
        assert_eq!(
            p.statements[4].conditions_in(c).map(|v| v.len()),
            Ok(1),
            "source IP stays unevaluated"
        );
        // With a long-term key neither key is in the request.
        let key = c.with_long_term_key();
        assert!(
            p.statements[0].conditions_in(key).is_err(),
            "Bool on a missing key does not match"
        );
        assert!(
            p.statements[1].conditions_in(key).is_ok(),
            "BoolIfExists on a missing key holds"
        );
        assert!(
            p.statements[2].conditions_in(key).is_err(),
            "no token, no TokenIssueTime: the session-revoking deny misses long-term keys"
        );
    }

    #[test]
    fn passed_to_service() {
        let doc = json!({"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}});
        let p = parse_document(&doc).expect("parses");
        assert!(
            p.statements[0]
                .conditions_in(ctx().passing_to("ec2.amazonaws.com"))
                .is_ok()
        );
        assert!(
            p.statements[0]
                .conditions_in(ctx().passing_to("lambda.amazonaws.com"))
                .is_err()
        );
    }

    #[test]
    fn trust_principals() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "AROAEXAMPLEDELETED01"], "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/web:*"}}}]});
        let p = parse_document(&doc).expect("parses");
        let first = p.statements[0].principal.as_ref().expect("principal");
        assert_eq!(first.aws.len(), 2);
        assert_eq!(first.service, ["lambda.amazonaws.com"]);
        assert!(p.statements[1].principal.as_ref().is_some_and(|p| p.anyone));
        assert_eq!(
            p.statements[2].conditions[0].to_condition().description,
            "token.actions.githubusercontent.com:sub StringLike repo:acme/web:*"
        );
    }
}
