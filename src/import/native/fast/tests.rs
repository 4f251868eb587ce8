//! The hand reader against serde: the same elements from the same bytes, or none.

use std::fmt::Debug;

use proptest::prelude::*;

use super::*;

/// Reads `text` by hand and, when that reads it, by serde, which must read the same
/// element from the same bytes; answers whether the hand reader read it.
fn agrees<'a, T>(text: &'a str) -> Result<bool, TestCaseError>
where
    T: Plain<'a> + Deserialize<'a> + Debug,
{
    let Some((by_hand, used)) = T::read(text) else {
        return Ok(false);
    };
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<T>();
    let by_serde = match values.next() {
        Some(Ok(dto)) => dto,
        other => {
            return Err(TestCaseError::fail(format!(
                "read by hand but not by serde: {text:?}: {other:?}"
            )));
        }
    };
    prop_assert_eq!(format!("{by_hand:?}"), format!("{by_serde:?}"));
    prop_assert_eq!(used, values.byte_offset(), "{:?}", text);
    Ok(true)
}

/// An edge's fields with a plain value each, for the elements generated below.
const EDGE: &[(&str, &str)] = &[
    (
        "from",
        r#""github:workflow:acme/web/.github/workflows/deploy.yml""#,
    ),
    ("to", r#""arn:aws:iam::111122223333:role/deploy""#),
    ("kind", r#""can_assume""#),
    ("reason", r#""trust policy allows the repo's OIDC sub""#),
    (
        "conditions",
        r#"["MFA present", {"description": "d", "key": "aws:SourceIp", "operator": "IpAddress", "values": ["10.0.0.0/8"]}]"#,
    ),
    ("dormant", "true"),
    ("potential", "false"),
    ("asserted", "true"),
    ("technique", r#""iam:PassRole""#),
    ("level", r#""admin""#),
    (
        "revoke",
        r#"[{"id": "trust:1", "action": "remove_trust", "cost": 3}, {"id": "p", "action": "detach_policy", "commands": ["aws iam detach-role-policy --role-name deploy"]}]"#,
    ),
    (
        "provenance",
        r#"{"file": "aws/auth.json", "at": "/RoleDetailList/3"}"#,
    ),
];

const NODE: &[(&str, &str)] = &[
    ("id", r#""AKIAEXAMPLE""#),
    ("kind", r#""credential""#),
    ("platform", r#""aws""#),
    ("name", r#""ci-deployer key ☃""#),
    ("scope", r#""111122223333""#),
    ("owner", r#""platform-team""#),
    ("purpose", r#""deploys""#),
    ("environment", r#""production""#),
    ("criticality", "6"),
    ("admin", "false"),
    ("tags", r#"{"team": "web", "pinned": "tag"}"#),
    (
        "credential",
        r#"{"type": "access_key", "status": "active", "created": "2025-06-01T09:00:00Z", "expires": "2027-01-01T00:00:00+01:00", "last_used": "2026-11-24T08:00:00Z", "last_rotated": "2026-01-01T00:00:00Z", "long_lived": true, "copyable": false}"#,
    ),
    (
        "revoke",
        r#"[{"id": "deactivate:1", "action": "deactivate_key", "cost": 1}]"#,
    ),
    ("provenance", r#"{"file": "aws/keys.json"}"#),
];

/// Values put in place of a field's own: each wrong somewhere for some field, or
/// right in a way serde reads but the hand reader leaves to it.
const OTHERS: &[&str] = &[
    r#""plain""#,
    r#""with \"escape\"""#,
    r#""\u0041""#,
    "\"raw\ttab\"",
    r#""can_read""#,
    r#""a\/b\\c\b\f\n\r\t""#,
    r#""\ud83d\ude00 pair""#,
    r#""\ud83d lone""#,
    r#""\udc00""#,
    r#""\ud83d\u0041""#,
    r#""\x""#,
    r#""\u00zz""#,
    r#""\u00e9t\u00E9""#,
    r#""can\u005fread""#,
    r#""workload""#,
    r#""bogus""#,
    r#""read""#,
    r#""2026-01-24T00:00:00Z""#,
    r#""not a time""#,
    "0",
    "3",
    "03",
    "-1",
    "-0",
    "3.0",
    "1e2",
    "255",
    "256",
    "4294967295",
    "4294967296",
    "99999999999",
    "true",
    "false",
    "null",
    "tru",
    "[]",
    "{}",
    "[1]",
    r#"["a", "b"]"#,
    r#"[{"id": "r", "action": "a"}]"#,
    r#"[{"id": "r", "action": "a", "cost": -1}]"#,
    r#"[{"id": "r"}]"#,
    r#"[{"id": "r", "action": "a", "extra": 1}]"#,
    r#"[{"id": "r", "action": "a", "id": "s"}]"#,
    r#"[{"id": "r", "action": "a",}]"#,
    r#"[{"description": "d"}]"#,
    r#"[{"key": "k"}]"#,
    r#"[{"description": "d", "values": [1]}]"#,
    r#"{"file": "f"}"#,
    r#"{"at": "/x"}"#,
    r#"{"file": "f", "at": null}"#,
    r#"{"a": "1", "a": "2"}"#,
    r#"{"a": 1}"#,
    r#"{"created": "not a time"}"#,
    r#"{"type": "k", "type": "l"}"#,
    r#"{"long_lived": true, "copyable": false}"#,
];

const SPACE: &[&str] = &["", "", " ", "\n", "\t", "\r\n  "];

/// What damage puts in or cuts at a place: punctuation, or what is not JSON space.
const DAMAGE: &[&str] = &[
    "{", "}", "[", "]", ",", ":", "\"", "\\", " ", "x", "0", "-", "e", "\u{a0}", "\u{1}", "",
];

/// An element to write: its fields in order, each `(field, replacement)`, maybe one
/// more field (any name, a value of [`OTHERS`]), white space picked from `spaces`
/// between every token, and what follows it.
#[derive(Debug, Clone)]
struct Shape {
    fields: Vec<(usize, Option<usize>)>,
    extra: Option<(&'static str, usize)>,
    spaces: Vec<usize>,
    tail: &'static str,
}

impl Shape {
    /// Whether it is written with its fields' own values only.
    fn is_plain(&self) -> bool {
        self.extra.is_none() && self.fields.iter().all(|(_, other)| other.is_none())
    }

    fn write(&self, base: &[(&str, &str)]) -> String {
        let mut space = self.spaces.iter().cycle().map(|&i| SPACE[i % SPACE.len()]);
        let mut text = format!("{}{{", space.next().unwrap_or_default());
        let mut entries: Vec<(&str, &str)> = self
            .fields
            .iter()
            .map(|&(f, other)| (base[f].0, other.map_or(base[f].1, |o| OTHERS[o])))
            .collect();
        if let Some((key, other)) = self.extra {
            entries.insert(other % (entries.len() + 1), (key, OTHERS[other]));
        }
        for (i, (key, value)) in entries.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            let s: Vec<&str> = space.by_ref().take(4).collect();
            text += &format!("{comma}{}\"{key}\"{}:{}{value}{}", s[0], s[1], s[2], s[3]);
        }
        text + "}" + self.tail
    }
}

fn element(base: &'static [(&'static str, &'static str)]) -> impl Strategy<Value = Shape> {
    // The required fields come first in `base` and are always written (elements
    // without them are serde's to refuse, and would be most of those generated).
    let required = if base[0].0 == "from" { 3 } else { 2 };
    let optional = (required..base.len()).collect::<Vec<_>>();
    let fields = prop::sample::subsequence(optional.clone(), 0..=optional.len())
        .prop_map(move |mut fields| {
            fields.extend(0..required);
            fields
        })
        .prop_shuffle();
    let names = vec!["from", "id", "kind", "extra", "fr\\u006fm", "revoke"];
    (
        fields,
        prop::collection::vec(prop::option::weighted(0.1, 0..OTHERS.len()), base.len()),
        prop::option::weighted(0.3, (prop::sample::select(names), 0..OTHERS.len())),
        prop::collection::vec(0..SPACE.len(), 1..16),
        prop::sample::select(vec!["", ",", " , {", "}", "]", "x", "\n"]),
    )
        .prop_map(|(fields, others, extra, spaces, tail)| Shape {
            fields: fields.into_iter().zip(others).collect(),
            extra,
            spaces,
            tail,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever an edge holds, how it is spaced, and wherever it is cut or damaged,
    /// what the hand reader reads serde reads the same.
    #[test]
    fn edges_read_by_hand_read_the_same_by_serde(shape in element(EDGE), damage in damage()) {
        let text = damaged(shape.write(EDGE), damage);
        check(&text, shape.is_plain() && damage.is_none(), |t| agrees::<EdgeDto<'_>>(t))?;
        agrees::<NodeDto<'_>>(&text)?;
    }

    #[test]
    fn nodes_read_by_hand_read_the_same_by_serde(shape in element(NODE), damage in damage()) {
        let text = damaged(shape.write(NODE), damage);
        check(&text, shape.is_plain() && damage.is_none(), |t| agrees::<NodeDto<'_>>(t))?;
        agrees::<EdgeDto<'_>>(&text)?;
    }

    #[test]
    fn plain_runs_end_where_a_quote_backslash_or_control_is(bytes in prop::collection::vec(prop::sample::select(b"ab\"\\\x00\x1f\x20\x7f\xc3\xa9".to_vec()), 0..40)) {
        let expected = bytes.iter().take_while(|&&b| b != b'"' && b != b'\\' && b >= 0x20).count();
        prop_assert_eq!(plain_len(&bytes), expected);
    }
}

/// Checks `text` with its own element type's reader (`agrees`): a plain element must be
/// read by hand (the reader is not merely safe but useful).
fn check(
    text: &str,
    plain: bool,
    agrees: impl Fn(&str) -> Result<bool, TestCaseError>,
) -> Result<(), TestCaseError> {
    let read = agrees(text)?;
    prop_assert!(read || !plain, "not read by hand: {:?}", text);
    Ok(())
}

/// A damage for [`damaged`], three times in ten.
fn damage() -> impl Strategy<Value = Option<(prop::sample::Index, usize, u8)>> {
    prop::option::weighted(
        0.3,
        (any::<prop::sample::Index>(), any::<usize>(), any::<u8>()),
    )
}

/// Cuts `text` at a place, or puts a piece of [`DAMAGE`] in place of its character
/// there or before it.
fn damaged(mut text: String, damage: Option<(prop::sample::Index, usize, u8)>) -> String {
    let Some((at, piece, how)) = damage else {
        return text;
    };
    let mut at = at.index(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let piece = DAMAGE[piece % DAMAGE.len()];
    match how % 3 {
        0 => text.truncate(at),
        1 => text.insert_str(at, piece),
        _ => {
            let next = text[at..].chars().next().map_or(0, char::len_utf8);
            text.replace_range(at..at + next, piece);
        }
    }
    text
}

/// Every field, in the plain form written above, is read by hand.
#[test]
fn reads_every_field_by_hand() {
    for base in [EDGE, NODE] {
        for spaces in [0, 2, 5] {
            let shape = Shape {
                fields: (0..base.len()).map(|f| (f, None)).collect(),
                extra: None,
                spaces: vec![spaces],
                tail: ",",
            };
            let text = shape.write(base);
            let read = if base == EDGE {
                agrees::<EdgeDto<'_>>(&text)
            } else {
                agrees::<NodeDto<'_>>(&text)
            };
            assert!(read.expect("agrees"), "{text}");
        }
    }
}

/// The hand reader reads what trustpath writes: every element of the sample saved as
/// native JSON (its commands hold no quotes to escape), and what the generator writes.
#[test]
fn reads_every_element_trustpath_writes() {
    let loaded = crate::import::load_sample().expect("the sample loads");
    let mut out = Vec::new();
    crate::report::json::write_graph(&mut out, &loaded.graph, &|_| true).expect("written");
    let text = String::from_utf8(out).expect("UTF-8");
    let (mut nodes, mut edges) = (0, 0);
    for line in text.lines() {
        let element = line.trim_end_matches(',');
        if element.starts_with(r#"{"id""#) {
            assert!(agrees::<NodeDto<'_>>(element).expect("agrees"), "{element}");
            nodes += 1;
        } else if element.starts_with(r#"{"from""#) {
            assert!(agrees::<EdgeDto<'_>>(element).expect("agrees"), "{element}");
            edges += 1;
        }
    }
    assert_eq!(nodes, loaded.graph.node_count());
    assert_eq!(edges, loaded.graph.edge_count());
}

/// Every value of [`OTHERS`] in place of every field's own, alone: serde agrees whenever
/// the hand reader reads the element.
#[test]
fn agrees_with_serde_on_every_field_holding_every_other_value() {
    for base in [EDGE, NODE] {
        for field in 0..base.len() {
            for other in 0..OTHERS.len() {
                let shape = Shape {
                    fields: (0..base.len())
                        .map(|f| (f, (f == field).then_some(other)))
                        .collect(),
                    extra: None,
                    spaces: vec![0],
                    tail: "",
                };
                let text = shape.write(base);
                agrees::<EdgeDto<'_>>(&text).expect("agrees");
                agrees::<NodeDto<'_>>(&text).expect("agrees");
            }
        }
    }
}

/// Cases the generators reach rarely or not at all: escaped field names (read by hand,
/// as serde matches them once unescaped), nested numbers, surrogates, and what is left to
/// serde. `true`: read by hand (and so by serde the same); `false`: left to serde.
#[test]
fn reads_by_hand_exactly_what_it_is_sure_of() {
    let edge = |rest: &str| format!(r#"{{"from":"a","to":"b","kind":"can_read"{rest}}}"#);
    let revoke = |cost: &str| {
        edge(&format!(
            r#","revoke":[{{"id":"x","action":"y","cost":{cost}}}]"#
        ))
    };
    let node = |rest: &str| format!(r#"{{"id":"a","kind":"human"{rest}}}"#);
    let cases: Vec<(String, bool)> = vec![
        (
            r#"{"re\u0061son":"r","from":"a","to":"b","kind":"can_read"}"#.into(),
            true,
        ),
        (
            edge(
                r#","revoke":[{"\u0069d":"x","action":"y"}],"provenance":{"fil\u0065":"f"},"conditions":[{"descr\u0069ption":"d"}]"#,
            ),
            true,
        ),
        (r#"{"\u0069d":"a","k\u0069nd":"human"}"#.into(), true),
        (node(r#","tags":{"ab":"1","a\u0062":"2"}"#), true),
        (node(r#","tags":{"a\u0062":"1","ab":"2"}"#), true),
        (
            r#"{"from":"\uD83D\uDE00","to":"\udbff\udfff","kind":"can_read"}"#.into(),
            true,
        ),
        (
            r#"{"from":"\uD800\uD800","to":"b","kind":"can_read"}"#.into(),
            false,
        ),
        (
            r#"{"from":"\uD800\n","to":"b","kind":"can_read"}"#.into(),
            false,
        ),
        (
            r#"{"from":"\uDC00","to":"b","kind":"can_read"}"#.into(),
            false,
        ),
        (
            r#"{"from":"a\u0000b","to":"b","kind":"can_read"}"#.into(),
            true,
        ),
        (revoke("0"), true),
        (revoke("4294967295"), true),
        (revoke("4294967296"), false),
        (revoke("9999999999"), false),
        (revoke("01"), false),
        (revoke("1E0"), false),
        (revoke("1.0"), false),
        (revoke("-0"), false),
        (revoke("+1"), false),
        (node(r#","criticality":255"#), true),
        (node(r#","criticality":256"#), false),
        (node(r#","criticality":-0"#), false),
        (node(r#","admin":truex"#), false),
        (node("\x0c"), false),
        (edge(r#","level":null"#), false),
        (node(r#","credential":{"created":null}"#), false),
        (
            r#"{"from":"a","to":"b","kind":"can\u005fread"}"#.into(),
            false,
        ),
        (edge(r#","reason":"r","reason":"r""#), false),
        (edge(r#","extra":1"#), false),
        (r#"{"from":"a","kind":"can_read"}"#.into(), false),
        (edge(r#","revoke":[{"id":"x"}]"#), false),
        (edge(r#","conditions":[{"key":"k"}]"#), false),
    ];
    for (text, by_hand) in &cases {
        let read = agrees::<EdgeDto<'_>>(text).expect("agrees")
            || agrees::<NodeDto<'_>>(text).expect("agrees");
        assert_eq!(read, *by_hand, "{text}");
    }
}
