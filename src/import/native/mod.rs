//! The native graph format, `trustpath/graph/v1`.
//!
//! Read in one streaming pass, the file never held whole nor its elements twice: the
//! document's punctuation is read here and each node and edge is parsed from a window of
//! the stream with borrowed strings (`window.rs`), most of them in runs, the later part
//! of each window by a helper on the other core (`ahead.rs`), in their plain shape by
//! hand (`fast.rs`) and otherwise by serde; elements with fields
//! trustpath does not know are read again without them (`unknown.rs`); ready nodes and
//! edges are added to the graph by another thread while the next are parsed
//! (`convert.rs`, on `halves.rs`).

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::thread;

use serde::de::{self, IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Builder, ImportError, Warning, halves};
use crate::model::{Revoke, no_revoke};
use ahead::Ahead;
use convert::{Ctx, Item};
use dto::ConditionDto;
use dto::strict::{EdgeDto, NodeDto, ProvenanceDto, RevokeDto};
use unknown::Noted;
use window::{Fail, Window, parse};

mod ahead;
mod convert;
mod dto;
mod fast;
mod unknown;
mod window;

pub const SCHEMA: &str = "trustpath/graph/v1";

impl RevokeDto<'_> {
    /// Revoke entries as the graph keeps them: no spare capacity, and known action names
    /// shared rather than each its own allocation (a million edges list them).
    fn build(list: &[RevokeDto<'_>]) -> Vec<Revoke> {
        list.iter().map(RevokeDto::entry).collect()
    }

    /// [`RevokeDto::build`] as an edge shares it: made in place (collected into a vector
    /// first, each list was allocated and copied twice).
    fn shared(list: &[RevokeDto<'_>]) -> Arc<[Revoke]> {
        list.iter().map(RevokeDto::entry).collect()
    }

    fn entry(&self) -> Revoke {
        Revoke {
            id: self.id.to_string(),
            action: Revoke::action_name(&self.action),
            cost: self.cost,
            commands: self.commands.iter().map(|c| c.to_string()).collect(),
            from_file: !self.commands.is_empty(),
        }
    }

    fn same(list: &[RevokeDto<'_>], kept: &[Revoke]) -> bool {
        list.len() == kept.len()
            && list.iter().zip(kept).all(|(r, k)| {
                r.id == k.id
                    && r.action == k.action
                    && r.cost == k.cost
                    && r.commands.len() == k.commands.len()
                    && r.commands.iter().zip(&k.commands).all(|(a, b)| a == b)
                    && k.from_file != r.commands.is_empty()
            })
    }
}

/// Reads a native graph held in memory.
pub(super) fn read_slice(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    read_in_place(bytes, file, builder, &mut |_| {}, &|_| {})
}

/// Reads a native graph held in memory (a mapped file) where it is, through a window
/// that views it rather than a copy: `moved` is told how many bytes the window has
/// reached, `read` how many bytes were read that nothing holds any more.
pub(super) fn read_in_place(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
    moved: &mut dyn FnMut(usize),
    read: &dyn Fn(usize),
) -> Result<(), ImportError> {
    let window = Window::over(bytes, file, window::WINDOW, moved, read);
    read_through(window, file, builder, ahead::MIN_SHARED).map(|_| ())
}

/// Reads a native graph from a stream, never holding the whole file.
pub(super) fn read_stream(
    reader: impl io::Read,
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    let window = Window::new(reader, file, window::WINDOW);
    read_through(window, file, builder, ahead::MIN_SHARED).map(|_| ())
}

/// Reads through `window` (tests make it tiny, so that every value is cut somewhere), its
/// later part read ahead by a helper when it holds `shared` bytes or more (`ahead.rs`).
/// Returns what tests look at: the elements the helper read, the jobs it was given and
/// the times the window was filled.
fn read_through(
    mut window: Window<'_, '_, impl io::Read>,
    file: &str,
    builder: &mut Builder,
    shared: usize,
) -> Result<Shared, ImportError> {
    let mut sources = vec![builder.graph.intern_source(file)];
    let last_revoke = std::mem::replace(&mut builder.last_revoke, no_revoke());
    let (read, last_revoke, unknown) = halves::in_two_halves(
        builder,
        |sink| {
            let mut ctx = Ctx::new(file, sink, last_revoke);
            let read = thread::scope(|s| {
                let mut ahead = Ahead::start(s, file, shared);
                document(&mut window, &mut ctx, &mut ahead).map(|()| {
                    let (taken, jobs) = ahead.shared();
                    Shared {
                        taken,
                        jobs,
                        fills: window.fills(),
                    }
                })
            });
            ctx.flush();
            (read, ctx.last_revoke, ctx.unknown)
        },
        move |builder, batch| convert::add_batch(builder, &mut sources, batch),
    );
    builder.last_revoke = last_revoke;
    let shared = read?;
    for (field, (first, count)) in unknown {
        let times = if count > 1 {
            format!(" ({count} times)")
        } else {
            String::new()
        };
        builder.warnings.push(Warning::new(
            file,
            first,
            format!("unknown field '{field}' ignored{times}"),
        ));
    }
    Ok(shared)
}

/// How much of a read the helper did (see [`read_through`]).
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug)]
struct Shared {
    taken: usize,
    jobs: usize,
    fills: u64,
}

/// The document: an object whose `nodes` and `edges` arrays are read one element at a
/// time. Its punctuation is checked here, with serde_json's words for what is wrong.
fn document<'b>(
    window: &mut Window<'_, 'b, impl io::Read>,
    ctx: &mut Ctx<'_, '_>,
    ahead: &mut Ahead<'b>,
) -> Result<(), ImportError> {
    let what = match window.peek()? {
        Some(b'{') => None,
        Some(b'[') => Some("invalid type: sequence, expected"),
        _ => Some("expected"),
    };
    if let Some(what) = what {
        return Err(window.error(format!(
            "{what} a {SCHEMA} object with \"nodes\" and \"edges\""
        )));
    }
    window.bump();
    let mut schema_seen = false;
    if window.peek()? == Some(b'}') {
        window.bump();
    } else {
        loop {
            match window.peek()? {
                Some(b'"') => {}
                Some(b'}') => return Err(window.error("trailing comma")),
                Some(_) => return Err(window.error("key must be a string")),
                None => return Err(window.error("EOF while parsing an object")),
            }
            let mut key = String::new();
            window.value(|bytes| {
                let (k, used) = parse::<Cow<'_, str>>(bytes)?;
                key = k.into_owned();
                Ok(used)
            })?;
            match window.peek()? {
                Some(b':') => {}
                Some(_) => return Err(window.error("expected `:`")),
                None => return Err(window.error("EOF while parsing an object")),
            }
            window.bump();
            match key.as_str() {
                "schema" => {
                    schema_seen = true;
                    window.value(|bytes| {
                        let (schema, used) = parse::<Cow<'_, str>>(bytes)?;
                        if schema != SCHEMA {
                            return Err(Fail::Invalid(format!(
                                "unsupported schema '{schema}' (this trustpath reads {SCHEMA})"
                            )));
                        }
                        Ok(used)
                    })?;
                }
                "nodes" => list(window, ctx, ahead, List::Nodes)?,
                "edges" => list(window, ctx, ahead, List::Edges)?,
                "metadata" => window.value(|bytes| {
                    let (meta, used) = parse::<serde_json::Map<String, serde_json::Value>>(bytes)?;
                    ctx.push(Item::Metadata(meta));
                    Ok(used)
                })?,
                other => {
                    window.value(|bytes| Ok(parse::<IgnoredAny>(bytes)?.1))?;
                    let message = format!("unknown top-level field '{other}' ignored");
                    let place = format!("/{other}");
                    ctx.push(Item::Warning(Warning::new(ctx.file, place, message)));
                }
            }
            match window.peek()? {
                Some(b',') => window.bump(),
                Some(b'}') => {
                    window.bump();
                    break;
                }
                Some(_) => return Err(window.error("expected `,` or `}`")),
                None => return Err(window.error("EOF while parsing an object")),
            }
        }
    }
    if window.peek()?.is_some() {
        return Err(window.error("trailing characters"));
    }
    if !schema_seen {
        return Err(window.error(format!("no \"schema\" field (expected \"{SCHEMA}\")")));
    }
    Ok(())
}

/// Parses one element from the start of `bytes` and adds it with `add`; returns the bytes
/// it took. An element with fields its type does not know is read again by its lenient
/// type, which skips and names them (`dto.rs`).
fn element<'a, T>(
    ctx: &mut Ctx<'_, '_>,
    bytes: &'a [u8],
    list: &str,
    index: usize,
    mut add: impl FnMut(&mut Ctx<'_, '_>, T) -> Result<(), Fail>,
) -> Result<usize, Fail>
where
    T: Element<'a>,
{
    match parse::<T>(bytes) {
        Ok((dto, used)) => add(ctx, dto).map(|()| used),
        Err(e) if unknown::is_unknown_field(&e) => {
            let (noted, used) = parse::<Noted<T::Lenient>>(bytes)?;
            add(ctx, noted.value.into())?;
            ctx.unknown_text(list, index, &noted.ignored);
            Ok(used)
        }
        Err(e) => Err(e),
    }
}

/// A strict element type and its lenient twin.
trait Element<'a>: Deserialize<'a> {
    type Lenient: Deserialize<'a> + Into<Self>;
}

impl<'a> Element<'a> for NodeDto<'a> {
    type Lenient = dto::lenient::NodeDto<'a>;
}

impl<'a> Element<'a> for EdgeDto<'a> {
    type Lenient = dto::lenient::EdgeDto<'a>;
}

/// Refuses anything but an array, saying so.
struct AnArray;

impl<'de> Deserialize<'de> for AnArray {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(AnArray)
    }
}

impl<'de> Visitor<'de> for AnArray {
    type Value = AnArray;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<AnArray, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(AnArray)
    }
}

#[derive(Clone, Copy)]
pub(super) enum List {
    Nodes,
    Edges,
}

/// One of the arrays, each element parsed and added as soon as it is whole (or taken
/// whole from the helper reading ahead).
fn list<'b>(
    window: &mut Window<'_, 'b, impl io::Read>,
    ctx: &mut Ctx<'_, '_>,
    ahead: &mut Ahead<'b>,
    list: List,
) -> Result<(), ImportError> {
    if window.peek()? != Some(b'[') {
        // Not an array: serde_json says what it is instead.
        return window.value(|bytes| Ok(parse::<AnArray>(bytes)?.1));
    }
    window.bump();
    if window.peek()? == Some(b']') {
        window.bump();
        return Ok(());
    }
    let mut index = 0;
    loop {
        match window.peek()? {
            Some(b']') => return Err(window.error("trailing comma")),
            None => return Err(window.error("EOF while parsing a list")),
            Some(_) => {}
        }
        let mut read = ahead.at_element(window, ctx, index, list);
        if read == 0 {
            window.value(|bytes| match list {
                List::Nodes => element(ctx, bytes, "nodes", index, |ctx, dto| {
                    ctx.add_node(dto, index).map_err(Fail::Invalid)
                }),
                List::Edges => element(ctx, bytes, "edges", index, |ctx, dto| {
                    ctx.add_edge(dto, index);
                    Ok(())
                }),
            })?;
            read = 1;
        }
        match window.peek()? {
            Some(b',') => window.bump(),
            Some(b']') => {
                window.bump();
                ahead.settle();
                return Ok(());
            }
            Some(_) => return Err(window.error("expected `,` or `]`")),
            None => return Err(window.error("EOF while parsing a list")),
        }
        index += read;
    }
}

#[cfg(test)]
mod tests;
