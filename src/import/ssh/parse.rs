//! The line formats: `authorized_keys` (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"),
//! principals files (the same options, then a principal) and `sshd_config`
//! (sshd_config(5)).

use ssh_key::PublicKey;

use super::Key;

/// A line skipped: its number, and why.
pub(super) type Skipped = (usize, String);

/// One `authorized_keys` line: its options and its key.
#[derive(Debug)]
pub(super) struct Line {
    /// 1-based.
    pub(super) number: usize,
    pub(super) options: Options,
    pub(super) key: Key,
}

/// The options sshd acts on; the others are kept by name only (for the reason).
#[derive(Debug, Default)]
pub(super) struct Options {
    pub(super) cert_authority: bool,
    pub(super) from: Option<String>,
    pub(super) command: Option<String>,
    /// `principals="a,b"`, for a `cert-authority` line.
    pub(super) principals: Option<Vec<String>>,
    /// `expiry-time="YYYYMMDD[HHMM[SS]][Z]"`, read as UTC.
    pub(super) expiry: Option<jiff::Timestamp>,
    /// `restrict`, `no-pty` and the other restrictions, as written (lower case).
    pub(super) restrictions: Vec<String>,
}

/// Options sshd knows (auth-options.c): any other makes it skip the line.
const KNOWN: [&str; 23] = [
    "agent-forwarding",
    "cert-authority",
    "command",
    "environment",
    "expiry-time",
    "from",
    "no-agent-forwarding",
    "no-port-forwarding",
    "no-pty",
    "no-touch-required",
    "no-user-rc",
    "no-x11-forwarding",
    "permitlisten",
    "permitopen",
    "port-forwarding",
    "principals",
    "pty",
    "restrict",
    "touch-required",
    "tunnel",
    "user-rc",
    "verify-required",
    "x11-forwarding",
];

/// Whether a word is a key type: a line starting with one has no options.
fn key_type(word: &str) -> bool {
    word.starts_with("ssh-") || word.starts_with("ecdsa-") || word.starts_with("sk-")
}

/// The options field (up to the first blank outside quotes) and the rest.
fn split_options(line: &str) -> Result<(&str, &str), String> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => return Ok((&line[..i], line[i..].trim_start())),
            _ => {}
        }
    }
    Err(if quoted {
        "an option's quote is not closed".into()
    } else {
        "options but no key".into()
    })
}

/// `name` or `name="value"` items separated by commas outside quotes; `\"` inside a
/// value is a quote.
fn option_items(field: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let mut items = Vec::new();
    let mut chars = field.chars().peekable();
    loop {
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            name.push(c);
            chars.next();
        }
        let mut value = None;
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.next() != Some('"') {
                return Err(format!("option {name}= is not followed by a quoted value"));
            }
            let mut v = String::new();
            loop {
                match chars.next() {
                    None => return Err(format!("the value of {name} is not closed")),
                    Some('\\') if chars.peek() == Some(&'"') => {
                        chars.next();
                        v.push('"');
                    }
                    Some('"') => break,
                    Some(c) => v.push(c),
                }
            }
            value = Some(v);
        }
        if name.is_empty() {
            return Err("an empty option".into());
        }
        items.push((name.to_ascii_lowercase(), value));
        match chars.next() {
            None => return Ok(items),
            Some(',') => {}
            Some(c) => return Err(format!("unexpected {c:?} after option {}", items.len())),
        }
    }
}

fn options(field: &str) -> Result<Options, String> {
    let mut o = Options::default();
    for (name, value) in option_items(field)? {
        if !KNOWN.contains(&name.as_str()) {
            return Err(format!("unknown option {name} (sshd skips the line)"));
        }
        let needs = |v: Option<String>| v.ok_or(format!("option {name} needs a value"));
        match name.as_str() {
            "cert-authority" => o.cert_authority = true,
            "from" => o.from = Some(needs(value)?),
            "command" => o.command = Some(needs(value)?),
            "principals" => {
                let names = needs(value)?;
                o.principals = Some(names.split(',').map(|p| p.trim().to_string()).collect());
            }
            "expiry-time" => {
                let v = needs(value)?;
                o.expiry = Some(
                    expiry_time(&v)
                        .ok_or(format!("expiry-time {v:?} is not YYYYMMDD[HHMM[SS]]"))?,
                );
            }
            _ => o.restrictions.push(name),
        }
    }
    Ok(o)
}

/// `YYYYMMDD[HHMM[SS]]`, optionally ending in `Z`. Without `Z` sshd reads the host's
/// local time, which the export does not say: read as UTC (at most a day off).
pub(super) fn expiry_time(v: &str) -> Option<jiff::Timestamp> {
    let digits = v.strip_suffix(['Z', 'z']).unwrap_or(v);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return None;
    }
    let n = |a: usize, b: usize| digits.get(a..b).and_then(|s| s.parse::<i32>().ok());
    let (y, mo, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
    let (h, mi, s) = (
        n(8, 10).unwrap_or(0),
        n(10, 12).unwrap_or(0),
        n(12, 14).unwrap_or(0),
    );
    let dt = jiff::civil::DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        0,
    )
    .ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Reads an `authorized_keys` file: its key lines, and per skipped line its number and why.
pub(super) fn authorized_keys(lines: &[String]) -> (Vec<Line>, Vec<Skipped>) {
    let mut keys = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match key_line(line) {
            Ok((options, key)) => keys.push(Line {
                number: i + 1,
                options,
                key,
            }),
            Err(why) => bad.push((i + 1, why)),
        }
    }
    (keys, bad)
}

fn key_line(line: &str) -> Result<(Options, Key), String> {
    let first = line.split_whitespace().next().unwrap_or("");
    let (opts, rest) = if key_type(first) {
        (Options::default(), line)
    } else {
        let (field, rest) = split_options(line)?;
        (options(field)?, rest)
    };
    Ok((opts, public_key(rest)?))
}

/// A `TYPE BLOB [COMMENT]` public key.
pub(super) fn public_key(text: &str) -> Result<Key, String> {
    let key = PublicKey::from_openssh(text.trim()).map_err(|e| format!("not a public key: {e}"))?;
    Key::of(&key).ok_or_else(|| "the key does not encode".into())
}

/// The public keys of a file of them (`TrustedUserCAKeys`, a `.pub`, a text
/// `RevokedKeys`), with per skipped line its number and why.
pub(super) fn key_list(lines: &[String]) -> (Vec<(usize, Key)>, Vec<Skipped>) {
    let (keys, bad) = authorized_keys(lines);
    (keys.into_iter().map(|l| (l.number, l.key)).collect(), bad)
}

/// The principals a principals file admits (options before a principal are allowed,
/// as in authorized_keys, and their conditions kept).
pub(super) fn principals(lines: &[String]) -> Vec<(usize, String, Option<String>)> {
    let mut out = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.contains(char::is_whitespace) {
            out.push((i + 1, line.to_string(), None));
        } else if let Ok((opts, p)) = split_options(line) {
            out.push((i + 1, p.trim().to_string(), Some(opts.to_string())));
        }
    }
    out
}

/// What trustpath takes from `sshd_config`, each with its line. For each keyword the
/// first value counts, as sshd reads it.
#[derive(Debug, Default)]
pub(super) struct Config {
    pub(super) trusted_ca: Option<(usize, Vec<String>)>,
    pub(super) principals_file: Option<(usize, String)>,
    pub(super) keys_files: Option<(usize, Vec<String>)>,
    pub(super) permit_root: Option<(usize, String)>,
    pub(super) revoked: Option<(usize, String)>,
    /// Lines naming something not followed (`Match` blocks, `Include`), with why.
    pub(super) ignored: Vec<(usize, String)>,
}

pub(super) fn sshd_config(lines: &[String]) -> Config {
    let mut c = Config::default();
    let mut in_match = false;
    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (keyword, rest) = match line.split_once(|c: char| c == '=' || c.is_whitespace()) {
            Some((k, r)) => (
                k,
                r.trim_start_matches(|c: char| c == '=' || c.is_whitespace()),
            ),
            None => (line, ""),
        };
        let keyword = keyword.to_ascii_lowercase();
        let args: Vec<String> = rest
            .split_whitespace()
            .map(|a| a.trim_matches('"').to_string())
            .collect();
        if keyword == "match" {
            // A Match block's settings apply to some connections only; which ones the
            // export cannot tell. They are left out and said so, once per block.
            in_match = true;
            c.ignored.push((
                n,
                "Match block not evaluated: the settings in it are ignored (the global ones apply)"
                    .into(),
            ));
            continue;
        }
        if in_match {
            continue;
        }
        let first = args.first().cloned();
        match (keyword.as_str(), first) {
            ("trustedusercakeys", Some(_)) if c.trusted_ca.is_none() => {
                c.trusted_ca = Some((n, args));
            }
            ("authorizedprincipalsfile", Some(p)) if c.principals_file.is_none() => {
                c.principals_file = Some((n, p));
            }
            ("authorizedkeysfile", Some(_)) if c.keys_files.is_none() => {
                c.keys_files = Some((n, args));
            }
            ("permitrootlogin", Some(v)) if c.permit_root.is_none() => {
                c.permit_root = Some((n, v.to_ascii_lowercase()));
            }
            ("revokedkeys", Some(p)) if c.revoked.is_none() => c.revoked = Some((n, p)),
            ("include", _) => c.ignored.push((
                n,
                "Include not followed: the files it names are not read".into(),
            )),
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID/xRcy9KPEWaKDnYmRi1JxP4SeuEkD/F4+rWQlOZxgv alice";

    #[test]
    fn options_follow_sshd() {
        let line = format!(r#"from="10.0.0.0/8",command="echo \"hi there\"",restrict {KEY}"#);
        let (o, key) = key_line(&line).expect("parses");
        assert_eq!(o.from.as_deref(), Some("10.0.0.0/8"));
        assert_eq!(o.command.as_deref(), Some(r#"echo "hi there""#));
        assert_eq!(o.restrictions, ["restrict"]);
        assert_eq!(key.comment, "alice");
        let (o, _) = key_line(&format!(r#"cert-authority,principals="a, b" {KEY}"#)).expect("ca");
        assert!(o.cert_authority);
        assert_eq!(o.principals, Some(vec!["a".into(), "b".into()]));
        assert!(key_line(&format!("bogus {KEY}")).is_err());
        assert!(key_line(&format!(r#"from="x {KEY}"#)).is_err());
        assert!(key_line("ssh-ed25519 AAAA-not-base64").is_err());
    }

    #[test]
    fn expiry_time_is_read_as_utc() {
        let t = expiry_time("20250102").expect("date");
        assert_eq!(t.to_string(), "2025-01-02T00:00:00Z");
        assert_eq!(
            expiry_time("202501021530Z")
                .map(|t| t.to_string())
                .as_deref(),
            Some("2025-01-02T15:30:00Z")
        );
        assert!(expiry_time("2025013").is_none());
        assert!(expiry_time("20251301").is_none());
    }

    #[test]
    fn the_first_value_counts_and_match_blocks_are_set_aside() {
        let lines: Vec<String> = [
            "PermitRootLogin=no",
            "permitrootlogin yes",
            "TrustedUserCAKeys /etc/ssh/ca.pub",
            "Match User deploy",
            "  AuthorizedPrincipalsFile /etc/p/%u",
        ]
        .map(String::from)
        .to_vec();
        let c = sshd_config(&lines);
        assert_eq!(c.permit_root, Some((1, "no".into())));
        assert_eq!(c.trusted_ca, Some((3, vec!["/etc/ssh/ca.pub".into()])));
        assert!(c.principals_file.is_none());
        assert_eq!(c.ignored.len(), 1);
    }
}
