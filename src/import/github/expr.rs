//! GitHub Actions expressions (`if:` conditions), evaluated for one trigger as an outsider
//! fires it: can this job or step run when anyone who can open a pull request or write a
//! comment starts the workflow?
//!
//! Three answers: it provably runs, it provably does not, or it depends on something the
//! files do not show (a label, an input, an actor name): then the edge stays, marked
//! conditional with the expression. The evaluator follows GitHub's documented rules:
//! string comparisons ignore case, values of different types compare as numbers, an
//! absent event field is `null`, and an `if:` that is a string with `${{ }}` inside
//! (not a whole expression) is a non-empty string, which is true.

use std::fmt;

/// Whether something runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    Yes,
    No,
    /// Not provable either way: the expression decides.
    Maybe,
}

/// The run being imagined: which trigger fired, in which repository, started by an
/// outsider (a fork's pull request, a stranger's comment).
pub struct Outsider<'a> {
    pub trigger: &'a str,
    /// `owner/name`
    pub repo: &'a str,
}

/// Evaluates an `if:` as written in the file (with or without `${{ }}`).
pub fn runs(condition: &str, ctx: &Outsider<'_>) -> Runs {
    let text = condition.trim();
    let inner = text
        .strip_prefix("${{")
        .and_then(|t| t.strip_suffix("}}"))
        .filter(|t| !t.contains("${{"));
    let expr = match inner {
        Some(inner) => inner,
        // Text around or between `${{ }}`: GitHub substitutes and gets a non-empty
        // string, which is true whatever the expressions say.
        None if text.contains("${{") => return Runs::Yes,
        None => text,
    };
    let Some(parsed) = Parser::parse(expr) else {
        return Runs::Maybe;
    };
    match eval(&parsed, ctx).truthy() {
        Some(true) => Runs::Yes,
        Some(false) => Runs::No,
        None => Runs::Maybe,
    }
}

/// An expression's value, with the three values trustpath cannot know exactly.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Array(Vec<V>),
    /// An event payload object that is present.
    Object,
    /// Anything the files do not show.
    Unknown,
    /// The name of the outsider's repository (a fork): never this repository, never one
    /// of its owner's.
    Fork,
    /// An outsider's `author_association`: never OWNER, MEMBER or COLLABORATOR.
    Outsider,
    /// The owner of the outsider's fork: never this repository's owner.
    ForkOwner,
}

const INSIDERS: [&str; 3] = ["OWNER", "MEMBER", "COLLABORATOR"];

impl V {
    fn truthy(&self) -> Option<bool> {
        match self {
            V::Null => Some(false),
            V::Bool(b) => Some(*b),
            V::Num(n) => Some(*n != 0.0 && !n.is_nan()),
            V::Str(s) => Some(!s.is_empty()),
            V::Array(_) | V::Object | V::Fork | V::Outsider | V::ForkOwner => Some(true),
            V::Unknown => None,
        }
    }

    fn num(&self) -> f64 {
        match self {
            V::Null => 0.0,
            V::Bool(b) => f64::from(u8::from(*b)),
            V::Num(n) => *n,
            V::Str(s) if s.trim().is_empty() => 0.0,
            V::Str(s) => s.trim().parse().unwrap_or(f64::NAN),
            _ => f64::NAN,
        }
    }
}

/// `a == b`, or `None` when it cannot be known.
fn equals(a: &V, b: &V, ctx: &Outsider<'_>) -> Option<bool> {
    let owner = ctx.repo.split('/').next().unwrap_or(ctx.repo);
    match (a, b) {
        (V::Unknown, _) | (_, V::Unknown) => None,
        (V::Fork, V::Str(s)) | (V::Str(s), V::Fork) => {
            let s = s.to_ascii_lowercase();
            let ours = s == ctx.repo.to_ascii_lowercase()
                || s.starts_with(&format!("{}/", owner.to_ascii_lowercase()));
            if ours { Some(false) } else { None }
        }
        (V::Outsider, V::Str(s)) | (V::Str(s), V::Outsider) => {
            if INSIDERS.iter().any(|i| i.eq_ignore_ascii_case(s)) {
                Some(false)
            } else {
                None
            }
        }
        (V::ForkOwner, V::Str(s)) | (V::Str(s), V::ForkOwner) => {
            if s.eq_ignore_ascii_case(owner) {
                Some(false)
            } else {
                None
            }
        }
        (V::Fork | V::Outsider | V::ForkOwner, V::Null)
        | (V::Null, V::Fork | V::Outsider | V::ForkOwner) => Some(false),
        (V::Fork | V::Outsider | V::ForkOwner, _) | (_, V::Fork | V::Outsider | V::ForkOwner) => {
            None
        }
        (V::Str(x), V::Str(y)) => Some(x.eq_ignore_ascii_case(y)),
        (V::Null, V::Null) => Some(true),
        (V::Bool(x), V::Bool(y)) => Some(x == y),
        (V::Array(_) | V::Object, _) | (_, V::Array(_) | V::Object) => Some(false),
        _ => Some(a.num() == b.num()),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Lit(V),
    /// A context path, lower-cased; `*` for a wildcard or computed index.
    Path(Vec<String>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(Box<Expr>, Op, Box<Expr>),
    Call(String, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

fn eval(e: &Expr, ctx: &Outsider<'_>) -> V {
    match e {
        Expr::Lit(v) => v.clone(),
        Expr::Path(p) => lookup(p, ctx),
        Expr::Not(x) => eval(x, ctx).truthy().map_or(V::Unknown, |b| V::Bool(!b)),
        Expr::And(a, b) => junction(a, b, false, ctx),
        Expr::Or(a, b) => junction(a, b, true, ctx),
        Expr::Cmp(a, op, b) => {
            let (a, b) = (eval(a, ctx), eval(b, ctx));
            match op {
                Op::Eq => equals(&a, &b, ctx).map_or(V::Unknown, V::Bool),
                Op::Ne => equals(&a, &b, ctx).map_or(V::Unknown, |x| V::Bool(!x)),
                _ if matches!(a, V::Unknown | V::Fork | V::Outsider | V::ForkOwner)
                    || matches!(b, V::Unknown | V::Fork | V::Outsider | V::ForkOwner) =>
                {
                    V::Unknown
                }
                // Strings order lexically, ignoring case; anything else as numbers.
                _ if let (V::Str(x), V::Str(y)) = (&a, &b) => {
                    let order = x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase());
                    V::Bool(match op {
                        Op::Lt => order.is_lt(),
                        Op::Le => order.is_le(),
                        Op::Gt => order.is_gt(),
                        _ => order.is_ge(),
                    })
                }
                Op::Lt => V::Bool(a.num() < b.num()),
                Op::Le => V::Bool(a.num() <= b.num()),
                Op::Gt => V::Bool(a.num() > b.num()),
                Op::Ge => V::Bool(a.num() >= b.num()),
            }
        }
        Expr::Call(name, args) => call(name, args, ctx),
    }
}

/// `a && b` (`decisive` false) or `a || b` (true): the left operand when its truthiness
/// decides, else the right; when the left is unknown, only a deciding right decides.
/// (They give an operand, not a boolean; only truthiness matters in `if:`.)
fn junction(a: &Expr, b: &Expr, decisive: bool, ctx: &Outsider<'_>) -> V {
    let a = eval(a, ctx);
    match a.truthy() {
        Some(t) if t == decisive => a,
        Some(_) => eval(b, ctx),
        None => match eval(b, ctx).truthy() {
            Some(t) if t == decisive => V::Bool(decisive),
            _ => V::Unknown,
        },
    }
}

fn call(name: &str, args: &[Expr], ctx: &Outsider<'_>) -> V {
    let args: Vec<V> = args.iter().map(|a| eval(a, ctx)).collect();
    let text = |v: &V| match v {
        V::Str(s) => Some(s.to_ascii_lowercase()),
        _ => None,
    };
    match (name, args.as_slice()) {
        ("success" | "always", []) => V::Bool(true),
        ("contains", [V::Array(items), item]) => {
            let mut unknown = false;
            for i in items {
                match equals(i, item, ctx) {
                    Some(true) => return V::Bool(true),
                    Some(false) => {}
                    None => unknown = true,
                }
            }
            if unknown { V::Unknown } else { V::Bool(false) }
        }
        ("contains" | "startswith" | "endswith", [a, b]) => match (text(a), text(b)) {
            (Some(a), Some(b)) => V::Bool(match name {
                "contains" => a.contains(&b),
                "startswith" => a.starts_with(&b),
                _ => a.ends_with(&b),
            }),
            _ if matches!(a, V::Null) && name == "contains" => V::Bool(false),
            _ => V::Unknown,
        },
        ("fromjson", [V::Str(s)]) => serde_json::from_str(s).map_or(V::Unknown, from_json),
        _ => V::Unknown,
    }
}

fn from_json(v: serde_json::Value) -> V {
    match v {
        serde_json::Value::Null => V::Null,
        serde_json::Value::Bool(b) => V::Bool(b),
        serde_json::Value::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => V::Str(s),
        serde_json::Value::Array(a) => V::Array(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(_) => V::Object,
    }
}

/// The event payload objects a trigger carries (`github.event.NAME`); the others are null.
pub fn payloads(trigger: &str) -> &'static [&'static str] {
    match trigger {
        "pull_request" | "pull_request_target" => &["pull_request"],
        "pull_request_review" => &["pull_request", "review"],
        "pull_request_review_comment" => &["pull_request", "comment"],
        "issues" => &["issue"],
        "issue_comment" => &["issue", "comment"],
        "discussion" => &["discussion"],
        "discussion_comment" => &["discussion", "comment"],
        "workflow_run" => &["workflow_run"],
        _ => &[],
    }
}

/// The payload object the outsider wrote when they fired `trigger`.
fn authored_by_outsider(trigger: &str) -> &'static str {
    match trigger {
        "pull_request" | "pull_request_target" => "pull_request",
        "issues" => "issue",
        "issue_comment" | "discussion_comment" | "pull_request_review_comment" => "comment",
        "pull_request_review" => "review",
        "discussion" => "discussion",
        _ => "",
    }
}

/// The events whose payload holds a pull request (and so set `github.head_ref`).
pub fn has_pull_request(trigger: &str) -> bool {
    payloads(trigger).contains(&"pull_request")
}

fn lookup(path: &[String], ctx: &Outsider<'_>) -> V {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        ["github", "event_name"] => V::Str(ctx.trigger.to_string()),
        ["github", "repository"] => V::Str(ctx.repo.to_string()),
        ["github", "repository_owner"] => {
            V::Str(ctx.repo.split('/').next().unwrap_or_default().to_string())
        }
        ["github", "head_ref"] if !has_pull_request(ctx.trigger) => V::Str(String::new()),
        ["github", "event", payload, rest @ ..]
            if [
                "pull_request",
                "issue",
                "comment",
                "review",
                "discussion",
                "workflow_run",
            ]
            .contains(payload) =>
        {
            if !payloads(ctx.trigger).contains(payload) {
                return V::Null;
            }
            // Review events reach a workflow with secrets only for a pull request from a
            // branch of the repository itself (a fork's gets none): there the head is no
            // fork's, and whoever reviews may be the outsider.
            let fork = !matches!(
                ctx.trigger,
                "pull_request_review" | "pull_request_review_comment"
            );
            let owner = ctx.repo.split('/').next().unwrap_or_default();
            match (*payload, rest) {
                (_, []) => V::Object,
                ("pull_request", ["head", "repo", "full_name"])
                | ("workflow_run", ["head_repository", "full_name"])
                    if fork =>
                {
                    V::Fork
                }
                ("pull_request", ["head", "repo", "owner", "login"])
                | ("workflow_run", ["head_repository", "owner", "login"])
                    if fork =>
                {
                    V::ForkOwner
                }
                ("pull_request", ["head", "repo", "fork"])
                | ("workflow_run", ["head_repository", "fork"])
                    if fork =>
                {
                    V::Bool(true)
                }
                ("pull_request", ["base", "repo", "full_name"]) => V::Str(ctx.repo.to_string()),
                ("pull_request", ["base", "repo", "owner", "login"]) => V::Str(owner.to_string()),
                // Only the outsider's own object (their pull request, issue, comment,
                // review, discussion) carries their association.
                (authored, ["author_association"])
                    if authored == authored_by_outsider(ctx.trigger) =>
                {
                    V::Outsider
                }
                _ => V::Unknown,
            }
        }
        ["github", "event", "repository", "full_name"] => V::Str(ctx.repo.to_string()),
        ["github", "event", "repository", "owner", "login"] => {
            V::Str(ctx.repo.split('/').next().unwrap_or_default().to_string())
        }
        _ => V::Unknown,
    }
}

struct Parser<'s> {
    tokens: Vec<Tok<'s>>,
    at: usize,
    /// Nesting so far: a hostile `if:` of ten thousand `(` must not exhaust the stack of
    /// a parsing thread (evaluating and dropping the tree recurse as deep).
    depth: usize,
}

/// How deep an expression may nest; GitHub's own limit is far lower in practice.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok<'s> {
    Ident(&'s str),
    Str(String),
    Num(f64),
    Punct(&'static str),
}

impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

const PUNCT: [&str; 16] = [
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ",", ".", "*",
];

fn tokenize(s: &str) -> Option<Vec<Tok<'_>>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'\'' {
            // '' is a quote inside a string.
            let mut text = String::new();
            let mut j = i + 1;
            loop {
                let rest = s.get(j..)?;
                let end = rest.find('\'')?;
                text.push_str(&rest[..end]);
                j += end + 1;
                if b.get(j) == Some(&b'\'') {
                    text.push('\'');
                    j += 1;
                } else {
                    break;
                }
            }
            out.push(Tok::Str(text));
            i = j;
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            out.push(Tok::Num(s[start..i].parse().ok()?));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
            out.push(Tok::Ident(&s[start..i]));
        } else {
            let p = PUNCT.iter().find(|p| s[i..].starts_with(**p))?;
            out.push(Tok::Punct(p));
            i += p.len();
        }
    }
    Some(out)
}

impl<'s> Parser<'s> {
    fn parse(s: &'s str) -> Option<Expr> {
        let mut p = Parser {
            tokens: tokenize(s)?,
            at: 0,
            depth: 0,
        };
        let e = p.or()?;
        (p.at == p.tokens.len()).then_some(e)
    }

    fn peek(&self) -> Option<&Tok<'s>> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, punct: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Punct(p)) if *p == punct);
        self.at += usize::from(hit);
        hit
    }

    fn or(&mut self) -> Option<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let mut e = self.and()?;
        while self.eat("||") {
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        self.depth -= 1;
        Some(e)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut e = self.cmp()?;
        while self.eat("&&") {
            e = Expr::And(Box::new(e), Box::new(self.cmp()?));
        }
        Some(e)
    }

    fn cmp(&mut self) -> Option<Expr> {
        let e = self.unary()?;
        let ops = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        for (text, op) in ops {
            if self.eat(text) {
                return Some(Expr::Cmp(Box::new(e), op, Box::new(self.unary()?)));
            }
        }
        Some(e)
    }

    fn unary(&mut self) -> Option<Expr> {
        if self.eat("!") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            let e = Expr::Not(Box::new(self.unary()?));
            self.depth -= 1;
            return Some(e);
        }
        self.primary()
    }

    fn primary(&mut self) -> Option<Expr> {
        let tok = self.peek()?.clone();
        self.at += 1;
        let mut e = match tok {
            Tok::Str(s) => Expr::Lit(V::Str(s)),
            Tok::Num(n) => Expr::Lit(V::Num(n)),
            Tok::Punct("(") => {
                let e = self.or()?;
                self.eat(")").then_some(e)?
            }
            Tok::Ident(id) => match id.to_ascii_lowercase().as_str() {
                "true" => Expr::Lit(V::Bool(true)),
                "false" => Expr::Lit(V::Bool(false)),
                "null" => Expr::Lit(V::Null),
                name if self.eat("(") => {
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.or()?);
                            if self.eat(")") {
                                break;
                            }
                            self.eat(",").then_some(())?;
                        }
                    }
                    Expr::Call(name.to_string(), args)
                }
                name => Expr::Path(vec![name.to_string()]),
            },
            Tok::Punct(_) => return None,
        };
        // Property access: `.name`, `.*`, `['name']`, `[expr]`.
        loop {
            let segment = if self.eat(".") {
                let segment = match self.peek()? {
                    Tok::Ident(id) => id.to_ascii_lowercase(),
                    Tok::Punct("*") => "*".to_string(),
                    _ => return None,
                };
                self.at += 1;
                segment
            } else if self.eat("[") {
                let index = self.or()?;
                self.eat("]").then_some(())?;
                match index {
                    Expr::Lit(V::Str(s)) => s.to_ascii_lowercase(),
                    _ => "*".to_string(),
                }
            } else {
                break;
            };
            e = match e {
                Expr::Path(mut p) => {
                    p.push(segment);
                    Expr::Path(p)
                }
                // A property of a function's result (`fromJSON(x).a`): not followed.
                _ => Expr::Path(vec!["*".to_string()]),
            };
        }
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(trigger: &str, condition: &str) -> Runs {
        runs(
            condition,
            &Outsider {
                trigger,
                repo: "acme/web",
            },
        )
    }

    #[test]
    fn event_name_guards_are_decided() {
        let guard = "github.event_name == 'pull_request'";
        assert_eq!(on("pull_request_target", guard), Runs::No);
        assert_eq!(on("pull_request", guard), Runs::Yes);
        assert_eq!(
            on("pull_request_target", "${{ github.event_name != 'push' }}"),
            Runs::Yes
        );
        assert_eq!(
            on(
                "issue_comment",
                "github.event_name == 'push' || github.event_name == 'schedule'"
            ),
            Runs::No
        );
        assert_eq!(on("issues", "GITHUB.EVENT_NAME == 'ISSUES'"), Runs::Yes);
    }

    #[test]
    fn fork_guards_keep_outsiders_out() {
        let guard = "github.event.pull_request.head.repo.full_name == github.repository";
        assert_eq!(on("pull_request_target", guard), Runs::No);
        // No pull request in an issue comment's payload: null is not the repository.
        assert_eq!(on("issue_comment", guard), Runs::No);
        assert_eq!(
            on(
                "pull_request_target",
                "!github.event.pull_request.head.repo.fork"
            ),
            Runs::No
        );
        assert_eq!(
            on(
                "pull_request_target",
                "github.event.pull_request.head.repo.owner.login == github.repository_owner"
            ),
            Runs::No
        );
        assert_eq!(
            on(
                "pull_request_target",
                "github.event.pull_request.head.repo.full_name == github.event.pull_request.base.repo.full_name"
            ),
            Runs::No
        );
        // A review comes with secrets only on a branch of the repository itself: the
        // fork guard passes there, and the reviewer may be anyone.
        assert_eq!(
            on(
                "pull_request_review",
                "github.event.pull_request.head.repo.full_name == github.repository"
            ),
            Runs::Maybe
        );
        // The issue may be a member's; the comment is the outsider's.
        assert_eq!(
            on(
                "issue_comment",
                "github.event.issue.author_association == 'MEMBER'"
            ),
            Runs::Maybe
        );
        assert_eq!(
            on(
                "pull_request_target",
                "github.event.pull_request.head.repo.full_name != 'acme/web'"
            ),
            Runs::Yes
        );
        assert_eq!(
            on(
                "issue_comment",
                "contains(fromJSON('[\"OWNER\", \"MEMBER\"]'), github.event.comment.author_association)"
            ),
            Runs::No
        );
        assert_eq!(
            on(
                "issue_comment",
                "github.event.comment.author_association == 'MEMBER' && contains(github.event.comment.body, '/test')"
            ),
            Runs::No
        );
    }

    #[test]
    fn what_the_files_do_not_show_stays_open() {
        for cond in [
            "contains(github.event.pull_request.labels.*.name, 'safe to test')",
            "github.actor == 'dependabot[bot]'",
            "github.event.action == 'labeled' && github.event.label.name == 'ok'",
            "inputs.deploy",
            "startsWith(github.event.comment.body, '/deploy')",
            "this is (not an expression",
        ] {
            assert_eq!(on("pull_request_target", cond), Runs::Maybe, "{cond}");
        }
        // A string with an expression inside is a non-empty string: true.
        assert_eq!(
            on(
                "pull_request_target",
                "${{ github.event_name == 'push' }} && true"
            ),
            Runs::Yes
        );
        assert_eq!(on("pull_request_target", "false"), Runs::No);
        // Nesting past the limit is not evaluated (and does not overflow a stack).
        let deep = format!("{}true{}", "(".repeat(50_000), ")".repeat(50_000));
        assert_eq!(on("pull_request_target", &deep), Runs::Maybe);
        assert_eq!(on("pull_request_target", &"!".repeat(50_000)), Runs::Maybe);
        assert_eq!(on("issues", "'b' > 'A'"), Runs::Yes);
        assert_eq!(on("pull_request_target", "always()"), Runs::Yes);
        assert_eq!(
            on(
                "pull_request_target",
                "github['event_name'] == 'pull_request_target'"
            ),
            Runs::Yes
        );
    }
}
