//! The subset of CEL that workload identity providers' attribute conditions and
//! mappings use in practice: string literals and lists, `assertion.x` / `assertion['x']`,
//! `attribute.x`, `google.subject`, `==`, `!=`, `in`, `!`, `&&`, `||`, parentheses, and
//! the `startsWith`, `endsWith` and `contains` methods.
//!
//! It is evaluated in three values against what an external identity can present: a
//! claim it holds (possibly with parts it can vary), a claim that is its own and never
//! the value a policy names (an attacker's repository is not `acme/web`), or a claim
//! nobody knows. Anything outside the subset is unknown, never false: an expression
//! trustpath cannot read must not hide a path.

/// A truth in four values: Kleene logic over true, false and unknown, plus `Chosen` —
/// true or false as the identity picks a claim it controls (a branch name, its own
/// organization's name). Negating a choice is still a choice, so `!ref.startsWith(…)`
/// does not hide a path; combining two choices is taken as one (generous: it may link,
/// never hide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    True,
    False,
    Chosen,
    Unknown,
}

impl Tri {
    pub(crate) fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
    pub(crate) fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Chosen,
        }
    }
    fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::Chosen, _) | (_, Tri::Chosen) => Tri::Chosen,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            other => other,
        }
    }
}

/// What an identity presents for one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// A value, where `*` stands for a part the identity chooses (`refs/heads/*`: any
    /// branch it can push).
    Value(String),
    /// The identity's own value, which is never a literal the policy names (another
    /// owner's repository): equal to nothing named; starting with a prefix only when the
    /// prefix stops short of a whole owner (`acme` can be `acme-evil`, `acme/` cannot).
    Foreign,
    /// A stranger's `sub`: its repository's subject template is its own to choose, so
    /// only a literal that names an owner (`repo:acme/…`, `repository_owner:acme:…`)
    /// rules it out.
    ForeignSubject,
    /// Some value that starts with the prefix and is none of the literals the policy
    /// names (those are tried as identities of their own): any other repository of an
    /// owner.
    Within(String),
    Unknown,
}

/// `sub` claim keys that name the repository or its owner, and what ends the name.
const SUBJECT_OWNERS: [(&str, char); 5] = [
    ("repo:", '/'),
    ("repository:", '/'),
    ("repository_owner:", ':'),
    ("repository_id:", ':'),
    ("repository_owner_id:", ':'),
];

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Str(String),
    List(Vec<Expr>),
    Bool(bool),
    /// `assertion.sub`, `attribute.repository`, `google.subject`.
    Path(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Eq(Box<Expr>, Box<Expr>),
    Ne(Box<Expr>, Box<Expr>),
    In(Box<Expr>, Box<Expr>),
    /// `receiver.method(argument)`.
    Call(Box<Expr>, String, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Ident(String),
    Op(&'static str),
}

fn lex(src: &str) -> Option<Vec<Tok>> {
    const OPS: [&str; 13] = [
        "&&", "||", "==", "!=", "!", "(", ")", "[", "]", ".", ",", "<", ">",
    ];
    let mut out = Vec::new();
    let mut rest = src;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return Some(out);
        };
        if c == '\'' || c == '"' {
            let mut value = String::new();
            let mut chars = rest[1..].char_indices();
            let end = loop {
                match chars.next()? {
                    (i, q) if q == c => break i + 2,
                    // Only the escapes that keep a literal what it reads as.
                    (_, '\\') => match chars.next()?.1 {
                        e @ ('\\' | '\'' | '"') => value.push(e),
                        _ => return None,
                    },
                    (_, ch) => value.push(ch),
                }
            };
            out.push(Tok::Str(value));
            rest = &rest[end..];
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            out.push(Tok::Ident(rest[..end].to_string()));
            rest = &rest[end..];
        } else {
            let op = OPS.iter().find(|op| rest.starts_with(**op))?;
            out.push(Tok::Op(op));
            rest = &rest[op.len()..];
        }
    }
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    /// Nesting so far: a hostile expression must not exhaust the stack.
    depth: usize,
}

/// Longer or deeper expressions than real providers write are not evaluated.
const MAX_LEN: usize = 4096;
const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    /// One more link of an `&&`/`||` chain, which nests the tree as deep as it is long.
    fn chain(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH * 4).then_some(())
    }
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Option<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let e = self.or_inner();
        self.depth -= 1;
        e
    }
    fn or_inner(&mut self) -> Option<Expr> {
        let mut left = self.and()?;
        while self.eat("||") {
            self.chain()?;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }
    fn and(&mut self) -> Option<Expr> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            self.chain()?;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Some(left)
    }
    fn unary(&mut self) -> Option<Expr> {
        if self.eat("!") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            let e = self.unary();
            self.depth -= 1;
            return Some(Expr::Not(Box::new(e?)));
        }
        let left = self.term()?;
        let op = if self.eat("==") {
            Expr::Eq
        } else if self.eat("!=") {
            Expr::Ne
        } else if matches!(self.peek(), Some(Tok::Ident(i)) if i == "in") {
            self.at += 1;
            Expr::In
        } else {
            return Some(left);
        };
        Some(op(Box::new(left), Box::new(self.term()?)))
    }
    fn term(&mut self) -> Option<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                let Some(Tok::Ident(name)) = self.peek().cloned() else {
                    return None;
                };
                self.at += 1;
                if self.eat("(") {
                    let args = self.items(")")?;
                    e = Expr::Call(Box::new(e), name, args);
                } else if let Expr::Path(p) = e {
                    e = Expr::Path(format!("{p}.{name}"));
                } else {
                    return None;
                }
            } else if self.eat("[") {
                // `assertion['https://example.com/claim']`
                let (Expr::Path(p), Some(Tok::Str(field))) = (&e, self.peek().cloned()) else {
                    return None;
                };
                self.at += 1;
                if !self.eat("]") {
                    return None;
                }
                e = Expr::Path(format!("{p}.{field}"));
            } else {
                return Some(e);
            }
        }
    }
    fn primary(&mut self) -> Option<Expr> {
        if self.eat("(") {
            let e = self.or()?;
            return self.eat(")").then_some(e);
        }
        if self.eat("[") {
            return Some(Expr::List(self.items("]")?));
        }
        let tok = self.peek().cloned()?;
        self.at += 1;
        match tok {
            Tok::Str(s) => Some(Expr::Str(s)),
            Tok::Ident(i) if i == "true" || i == "false" => Some(Expr::Bool(i == "true")),
            Tok::Ident(i) if !i.starts_with(|c: char| c.is_ascii_digit()) => Some(Expr::Path(i)),
            _ => None,
        }
    }
    /// Comma-separated expressions up to `close`.
    fn items(&mut self, close: &str) -> Option<Vec<Expr>> {
        let mut out = Vec::new();
        if self.eat(close) {
            return Some(out);
        }
        loop {
            out.push(self.or()?);
            if self.eat(close) {
                return Some(out);
            }
            if !self.eat(",") {
                return None;
            }
        }
    }
}

/// Parses an expression of the subset; `None` for anything else.
pub(crate) fn parse(src: &str) -> Option<Expr> {
    if src.len() > MAX_LEN {
        return None;
    }
    let mut p = Parser {
        toks: lex(src)?,
        at: 0,
        depth: 0,
    };
    let e = p.or()?;
    (p.at == p.toks.len()).then_some(e)
}

/// A value an expression evaluates to: a literal, a claim, or a truth.
enum Val {
    Str(String),
    List(Vec<Val>),
    Claim(Claim),
    Bool(Tri),
}

/// Evaluates `e` with `claim` resolving each path (`assertion.sub`, `attribute.x`).
pub(crate) fn eval(e: &Expr, claim: &dyn Fn(&str) -> Claim) -> Tri {
    truth(&value(e, claim))
}

fn truth(v: &Val) -> Tri {
    match v {
        Val::Bool(t) => *t,
        _ => Tri::Unknown,
    }
}

fn value(e: &Expr, claim: &dyn Fn(&str) -> Claim) -> Val {
    let t = |e: &Expr| eval(e, claim);
    match e {
        Expr::Str(s) => Val::Str(s.clone()),
        Expr::Bool(b) => Val::Bool(Tri::from_bool(*b)),
        Expr::List(items) => Val::List(items.iter().map(|i| value(i, claim)).collect()),
        Expr::Path(p) => Val::Claim(claim(p)),
        Expr::Not(a) => Val::Bool(t(a).not()),
        Expr::And(a, b) => Val::Bool(t(a).and(t(b))),
        Expr::Or(a, b) => Val::Bool(t(a).or(t(b))),
        Expr::Eq(a, b) => Val::Bool(equal(&value(a, claim), &value(b, claim))),
        Expr::Ne(a, b) => Val::Bool(differ(&value(a, claim), &value(b, claim))),
        Expr::In(a, b) => Val::Bool(match value(b, claim) {
            Val::List(items) => {
                let needle = value(a, claim);
                items
                    .iter()
                    .fold(Tri::False, |acc, item| acc.or(equal(&needle, item)))
            }
            _ => Tri::Unknown,
        }),
        Expr::Call(recv, method, args) => {
            let (Some(Expr::Str(arg)), 1) = (args.first(), args.len()) else {
                return Val::Bool(Tri::Unknown);
            };
            Val::Bool(call(&value(recv, claim), method, arg))
        }
    }
}

/// `a == b`: a literal against a literal or a claim.
fn equal(a: &Val, b: &Val) -> Tri {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => Tri::from_bool(x == y),
        (Val::Claim(c), Val::Str(s)) | (Val::Str(s), Val::Claim(c)) => match c {
            // A choice that can spell the literal can also spell something else.
            Claim::Value(p) if p.contains('*') => {
                if crate::glob::glob_match(p, s) {
                    Tri::Chosen
                } else {
                    Tri::False
                }
            }
            Claim::Value(p) if p == s => Tri::True,
            // GitHub names ignore case, CEL does not: which one the token carries, the
            // inputs do not say.
            Claim::Value(p) if p.eq_ignore_ascii_case(s) => Tri::Unknown,
            Claim::Value(_) | Claim::Foreign | Claim::Within(_) => Tri::False,
            Claim::ForeignSubject => {
                if SUBJECT_OWNERS.iter().any(|(k, _)| s.starts_with(k)) {
                    Tri::False
                } else {
                    Tri::Unknown
                }
            }
            Claim::Unknown => Tri::Unknown,
        },
        (Val::Bool(x), Val::Bool(y)) => match (x, y) {
            (Tri::True | Tri::False, Tri::True | Tri::False) => Tri::from_bool(x == y),
            _ => Tri::Unknown,
        },
        _ => Tri::Unknown,
    }
}

/// `claim == value`.
pub(crate) fn compare(claim: Claim, value: &str) -> Tri {
    equal(&Val::Claim(claim), &Val::Str(value.to_string()))
}

/// `a != b`.
fn differ(a: &Val, b: &Val) -> Tri {
    equal(a, b).not()
}

fn call(recv: &Val, method: &str, arg: &str) -> Tri {
    let test = |s: &str| match method {
        "startsWith" => Some(s.starts_with(arg)),
        "endsWith" => Some(s.ends_with(arg)),
        "contains" => Some(s.contains(arg)),
        _ => None,
    };
    let known = ["startsWith", "endsWith", "contains"].contains(&method);
    match recv {
        Val::Str(s) => test(s).map_or(Tri::Unknown, Tri::from_bool),
        Val::Claim(Claim::Value(p)) if !p.contains('*') => {
            test(p).map_or(Tri::Unknown, Tri::from_bool)
        }
        Val::Claim(Claim::Value(p)) => {
            // The fixed part before the first `*` decides a prefix; past it, the
            // identity's choice can spell anything.
            let fixed = &p[..p.find('*').unwrap_or(p.len())];
            match method {
                "startsWith" if fixed.starts_with(arg) => Tri::True,
                "startsWith" if arg.starts_with(fixed) => Tri::Chosen,
                "startsWith" => Tri::False,
                _ if known => Tri::Chosen,
                _ => Tri::Unknown,
            }
        }
        Val::Claim(Claim::Foreign) => match method {
            "startsWith" if arg.contains('/') => Tri::False,
            _ if known => Tri::Chosen,
            _ => Tri::Unknown,
        },
        Val::Claim(Claim::Within(prefix)) => match method {
            "startsWith" if prefix.starts_with(arg) => Tri::True,
            "startsWith" if !arg.starts_with(prefix.as_str()) => Tri::False,
            // Which of the owner's repositories: the inputs do not say.
            _ => Tri::Unknown,
        },
        Val::Claim(Claim::ForeignSubject) => match method {
            "startsWith" => {
                // Ruled out only by a prefix that names a whole owner.
                let owner_named = SUBJECT_OWNERS
                    .iter()
                    .any(|(k, end)| arg.strip_prefix(k).is_some_and(|rest| rest.contains(*end)));
                if owner_named { Tri::False } else { Tri::Chosen }
            }
            _ if known => Tri::Chosen,
            _ => Tri::Unknown,
        },
        _ => Tri::Unknown,
    }
}

/// The string literals `e` compares `path` with (`path == 'x'`, `path in ['x', 'y']`,
/// `path.startsWith('x')` gives nothing: it names no whole value).
pub(crate) fn literals_of(e: &Expr, path: &str, out: &mut Vec<String>) {
    let is_path = |x: &Expr| matches!(x, Expr::Path(p) if p == path);
    match e {
        Expr::Eq(a, b) | Expr::Ne(a, b) => {
            for (x, y) in [(a, b), (b, a)] {
                if let (true, Expr::Str(s)) = (is_path(x), &**y) {
                    out.push(s.clone());
                }
            }
        }
        Expr::In(a, b) => {
            if let (true, Expr::List(items)) = (is_path(a), &**b) {
                out.extend(items.iter().filter_map(|i| match i {
                    Expr::Str(s) => Some(s.clone()),
                    _ => None,
                }));
            }
        }
        Expr::Not(a) => literals_of(a, path, out),
        Expr::And(a, b) | Expr::Or(a, b) => {
            literals_of(a, path, out);
            literals_of(b, path, out);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str, claims: &[(&str, Claim)]) -> Tri {
        let e = parse(src).unwrap_or_else(|| panic!("parses: {src}"));
        eval(&e, &|p: &str| {
            claims
                .iter()
                .find(|(k, _)| *k == p)
                .map_or(Claim::Unknown, |(_, c)| c.clone())
        })
    }

    fn v(s: &str) -> Claim {
        Claim::Value(s.into())
    }

    #[test]
    fn real_provider_conditions() {
        let acme_web = [
            ("assertion.repository_owner", v("acme")),
            ("assertion.repository", v("acme/web")),
            ("assertion.ref", v("refs/heads/main")),
        ];
        assert_eq!(
            run("assertion.repository_owner == 'acme'", &acme_web),
            Tri::True
        );
        assert_eq!(
            run(
                "assertion.repository_owner=='acme' && assertion.ref=='refs/heads/main'",
                &acme_web
            ),
            Tri::True
        );
        assert_eq!(
            run(
                "assertion.repository in ['acme/api', \"acme/db\"]",
                &acme_web
            ),
            Tri::False
        );
        assert_eq!(
            run("assertion['repository'].startsWith('acme/')", &acme_web),
            Tri::True
        );
        // An unknown claim leaves it open; false on the other side of `&&` closes it.
        assert_eq!(
            run("assertion.workflow == 'deploy'", &acme_web),
            Tri::Unknown
        );
        assert_eq!(
            run(
                "assertion.workflow == 'deploy' && assertion.repository_owner == 'evil'",
                &acme_web
            ),
            Tri::False
        );
        assert_eq!(
            run(
                "!(assertion.repository == 'acme/web') || assertion.workflow == 'x'",
                &acme_web
            ),
            Tri::Unknown
        );
    }

    #[test]
    fn any_repository_on_github() {
        let anyone = [
            ("assertion.repository_owner", Claim::Foreign),
            ("assertion.repository", Claim::Foreign),
            ("assertion.sub", Claim::Foreign),
            ("assertion.ref", v("*")),
        ];
        assert_eq!(
            run("assertion.repository_owner == 'acme'", &anyone),
            Tri::False
        );
        assert_eq!(
            run("assertion.repository_owner != 'acme'", &anyone),
            Tri::True
        );
        assert_eq!(
            run("assertion.sub.startsWith('repo:acme/')", &anyone),
            Tri::False
        );
        // An owner named `acme-evil` starts with `acme`: the stranger can pick it.
        assert_eq!(
            run("assertion.repository.startsWith('acme')", &anyone),
            Tri::Chosen
        );
        assert_eq!(
            run("assertion.ref == 'refs/heads/main'", &anyone),
            Tri::Chosen
        );
        // Negating a choice is a choice, not a refusal.
        for negated in [
            "!assertion.ref.startsWith('refs/pull/')",
            "!(assertion.ref != 'refs/heads/main')",
            "!(assertion.ref in ['refs/heads/main'])",
        ] {
            assert_eq!(run(negated, &anyone), Tri::Chosen, "{negated}");
        }
        assert_eq!(
            run(
                "assertion.repository_owner == 'acme' && !assertion.ref.startsWith('refs/pull/')",
                &anyone
            ),
            Tri::False
        );
    }

    #[test]
    fn names_that_differ_in_case_are_undecided() {
        let claims = [("assertion.repository", v("Acme/Web"))];
        assert_eq!(
            run("assertion.repository == 'acme/web'", &claims),
            Tri::Unknown
        );
    }

    #[test]
    fn hostile_expressions_are_refused_not_evaluated() {
        assert!(parse(&"(".repeat(10_000)).is_none());
        assert!(parse(&format!("{}true", "!".repeat(1_000))).is_none());
        assert!(parse(&vec!["assertion.a == 'b'"; 2_000].join(" && ")).is_none());
        // Escapes other than \\, \' and \" could change what a literal reads as.
        assert!(parse(r"assertion.sub == 'repo\x3aacme'").is_none());
        assert_eq!(
            parse(r"assertion.sub == 'it\'s'"),
            Some(Expr::Eq(
                Box::new(Expr::Path("assertion.sub".into())),
                Box::new(Expr::Str("it's".into()))
            ))
        );
    }

    #[test]
    fn outside_the_subset_is_not_parsed() {
        assert!(parse("assertion.sub.matches('^repo:acme/.*$') &&").is_none());
        assert!(parse("size(assertion.groups) > 0").is_none());
        assert!(parse("assertion.sub == 'unterminated").is_none());
        // Methods beyond the three are parsed, and unknown.
        assert_eq!(
            run("assertion.sub.matches('x')", &[("assertion.sub", v("x"))]),
            Tri::Unknown
        );
    }

    #[test]
    fn literals_compared_with_a_claim() {
        let e = parse("assertion.repository == 'acme/web' || assertion.repository in ['acme/api'] || assertion.ref == 'x'").expect("parses");
        let mut out = Vec::new();
        literals_of(&e, "assertion.repository", &mut out);
        assert_eq!(out, ["acme/web", "acme/api"]);
    }
}
