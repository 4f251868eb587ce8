//! `*` / `?` wildcard matching, as IAM policies, the inventory overlay and trust
//! conditions use it: `*` matches any run of characters (including `/` and `:`), `?`
//! exactly one.

/// Case-sensitive match (ARNs, keys).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        wildcard(pattern.as_bytes(), text.as_bytes(), |p, t| p == t)
    } else {
        let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
        wildcard(&p, &t, |p, t| p == t)
    }
}

/// ASCII-case-insensitive match (IAM actions: `IAM:PassRole` matches `iam:passrole`).
pub fn glob_match_ignore_case(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        wildcard(pattern.as_bytes(), text.as_bytes(), |p, t| {
            p.eq_ignore_ascii_case(t)
        })
    } else {
        glob_match(&pattern.to_lowercase(), &text.to_lowercase())
    }
}

trait Wild: Copy {
    const STAR: Self;
    const ONE: Self;
}

impl Wild for u8 {
    const STAR: u8 = b'*';
    const ONE: u8 = b'?';
}

impl Wild for char {
    const STAR: char = '*';
    const ONE: char = '?';
}

/// Linear-time wildcard matching with one backtrack point (the last `*`).
fn wildcard<T: Wild + PartialEq>(p: &[T], t: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] != T::STAR && (p[pi] == T::ONE || eq(&p[pi], &t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == T::STAR {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == T::STAR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(glob_match(
            "arn:aws:iam::1:role/*",
            "arn:aws:iam::1:role/deploy"
        ));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("*", ""));
        assert!(glob_match("k8s:?ayments", "k8s:payments"));
        assert!(!glob_match("ARN:*", "arn:x"));
        assert!(glob_match("café-*", "café-1"));
        assert!(glob_match("caf?", "café"));
        assert!(glob_match_ignore_case("iam:Pass*", "IAM:PassRole"));
        assert!(glob_match_ignore_case("IAM:*", "iam:createaccesskey"));
        assert!(!glob_match_ignore_case("iam:Get*", "iam:PassRole"));
    }
}
