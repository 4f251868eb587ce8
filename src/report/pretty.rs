//! A long array of a pretty-printed document, written on two cores.
//!
//! Writing a blast radius is pretty-printing tens of thousands of small objects (27 MB at
//! 100k nodes, 270 MB at a million), which serde_json does a token at a time on one core
//! while the other idles. Here the elements are rendered in chunks, alternately on this
//! thread and on a helper, and written in order: the bytes are exactly serde_json's (each
//! element printed by serde_json's pretty printer as it would print it inside the
//! document, two levels in), and only a few chunks are held at once.

use std::io::{self, Write};
use std::ops::Range;
use std::sync::mpsc;
use std::thread;

use serde::Serialize;
use serde_json::ser::Formatter;

/// Elements rendered at a time: enough to make passing a chunk cheap, few enough that the
/// chunks in flight stay small.
const CHUNK: usize = 256;

/// Writes `[`, the `count` elements `element(0)`, `element(1)`, … and `]` as
/// `serde_json::to_writer_pretty` writes an array that is the value of a top-level field.
pub fn array<T: Serialize>(
    out: &mut dyn Write,
    count: usize,
    element: impl Fn(usize) -> T + Sync,
) -> io::Result<()> {
    if count == 0 {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    let chunks = count.div_ceil(CHUNK);
    let range = |c: usize| c * CHUNK..((c + 1) * CHUNK).min(count);
    thread::scope(|s| -> io::Result<()> {
        // The helper renders the odd chunks, in order, a couple ahead at most.
        let (give, take) = mpsc::sync_channel::<io::Result<Vec<u8>>>(2);
        let element = &element;
        let helper = (chunks > 1)
            .then(|| {
                thread::Builder::new().spawn_scoped(s, move || {
                    for c in (1..chunks).step_by(2) {
                        let mut text = Vec::new();
                        let rendered = render(range(c), element, &mut text).map(|()| text);
                        if give.send(rendered).is_err() {
                            return; // the writer stopped
                        }
                    }
                })
            })
            .and_then(Result::ok);
        let mut text = Vec::new();
        for c in 0..chunks {
            if c % 2 == 1 && helper.is_some() {
                let rendered = take
                    .recv()
                    .map_err(|_| io::Error::other("the thread rendering JSON stopped"))?;
                out.write_all(&rendered?)?;
            } else {
                text.clear();
                render(range(c), element, &mut text)?;
                out.write_all(&text)?;
            }
        }
        Ok(())
    })?;
    out.write_all(b"\n  ]")
}

/// Elements `range`, each after its separator and indented as the array's elements.
fn render<T: Serialize>(
    range: Range<usize>,
    element: &impl Fn(usize) -> T,
    text: &mut Vec<u8>,
) -> io::Result<()> {
    for i in range {
        text.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        let mut json =
            serde_json::Serializer::with_formatter(&mut *text, Nested::at(ELEMENT_LEVEL));
        element(i).serialize(&mut json)?;
    }
    Ok(())
}

/// How deep an array element of a top-level field is: its lines are indented this many
/// times.
const ELEMENT_LEVEL: usize = 2;

/// serde_json's `PrettyFormatter` (two spaces a level), for a value printed `level` levels
/// deep. (Before it, each element was printed alone and copied again to indent it.)
struct Nested {
    level: usize,
    has_value: bool,
}

impl Nested {
    fn at(level: usize) -> Self {
        Nested {
            level,
            has_value: false,
        }
    }

    /// A line break (after a comma when `comma`) and this level's indent, in one write
    /// where the level is not deep (a field is a few bytes: four writes each cost more).
    fn line<W: ?Sized + io::Write>(&self, out: &mut W, comma: bool) -> io::Result<()> {
        const LINES: &[u8] = b",\n                                ";
        let from = usize::from(!comma);
        match LINES.get(from..2 + 2 * self.level) {
            Some(line) => out.write_all(line),
            None => {
                out.write_all(&LINES[from..2])?;
                (0..self.level).try_for_each(|_| out.write_all(b"  "))
            }
        }
    }

    fn open<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.line(out, false)?;
        }
        out.write_all(bracket)
    }

    fn next<W: ?Sized + io::Write>(&self, out: &mut W, first: bool) -> io::Result<()> {
        self.line(out, !first)
    }
}

impl Formatter for Nested {
    fn begin_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next(out, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next(out, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    #[derive(Serialize)]
    struct Doc {
        head: u32,
        list: Vec<Item>,
    }

    #[derive(Serialize, Clone)]
    struct Item {
        id: String,
        nested: Vec<u32>,
        empty: Vec<u32>,
        map: std::collections::BTreeMap<String, String>,
    }

    /// Values nested deeper than one write of indent holds, printed as serde_json prints
    /// them.
    #[test]
    fn deep_values_are_serde_jsons_bytes() {
        let mut deep = serde_json::json!({"leaf": [1, {"k": "v"}], "empty": {}});
        for depth in 0..24 {
            deep = serde_json::json!({ format!("level{depth}"): [deep, depth] });
        }
        let list = vec![deep.clone(), serde_json::json!([]), deep];
        let expected =
            serde_json::to_vec_pretty(&serde_json::json!({"list": list})).expect("writes");
        let mut ours = b"{\n  \"list\": ".to_vec();
        super::array(&mut ours, list.len(), |i| &list[i]).expect("writes");
        ours.extend_from_slice(b"\n}");
        assert!(ours == expected, "{}", String::from_utf8_lossy(&ours));
    }

    /// Arrays of every length around the chunk's, with strings holding line breaks and
    /// nested values, written exactly as serde_json writes them.
    #[test]
    fn arrays_are_serde_jsons_bytes() {
        for count in [0usize, 1, 2, 255, 256, 257, 511, 512, 513, 1500] {
            let items: Vec<Item> = (0..count)
                .map(|i| Item {
                    id: format!("n{i}\nline \"two\"\u{7}"),
                    nested: (0..i as u32 % 3).collect(),
                    empty: Vec::new(),
                    map: [("k\n".to_string(), format!("v{i}"))].into(),
                })
                .collect();
            let doc = Doc {
                head: 7,
                list: items.clone(),
            };
            let expected = serde_json::to_vec_pretty(&doc).expect("writes");
            let mut ours = b"{\n  \"head\": 7,\n  \"list\": ".to_vec();
            super::array(&mut ours, count, |i| &items[i]).expect("writes");
            ours.extend_from_slice(b"\n}");
            assert!(
                ours == expected,
                "{count}: {}",
                String::from_utf8_lossy(&ours)
            );
        }
    }
}
