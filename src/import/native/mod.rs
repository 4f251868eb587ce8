//! The native graph format, `trustpath/graph/v1`.
//!
//! Read in one streaming pass, the file never held whole nor its elements twice: the
//! document's punctuation is read here and each node and edge is parsed from a window of
//! the stream with borrowed strings (`window.rs`); elements with fields trustpath does not
//! know are read again without them (`unknown.rs`); ready nodes and edges are added to the
//! graph by a second thread while the next are parsed (`convert.rs`, on `halves.rs`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io;

use jiff::Timestamp;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Builder, ImportError, Warning, halves};
use crate::model::{AccessLevel, Condition, EdgeKind, NodeKind, Revoke, no_revoke};
use convert::{Ctx, Item};
use window::{Fail, Window, parse};

mod convert;
mod unknown;
mod window;

pub const SCHEMA: &str = "trustpath/graph/v1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeDto<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    kind: NodeKind,
    #[serde(borrow, default)]
    platform: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    scope: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    owner: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    purpose: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    environment: Option<Cow<'a, str>>,
    #[serde(default)]
    criticality: Option<u8>,
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    credential: Option<CredentialDto>,
    #[serde(borrow, default)]
    revoke: Vec<RevokeDto<'a>>,
    #[serde(borrow, default)]
    provenance: Option<ProvenanceDto<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialDto {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    created: Option<Timestamp>,
    #[serde(default)]
    expires: Option<Timestamp>,
    #[serde(default)]
    last_used: Option<Timestamp>,
    #[serde(default)]
    last_rotated: Option<Timestamp>,
    #[serde(default)]
    long_lived: Option<bool>,
    #[serde(default)]
    copyable: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeDto<'a> {
    #[serde(borrow)]
    from: Cow<'a, str>,
    #[serde(borrow)]
    to: Cow<'a, str>,
    kind: EdgeKind,
    #[serde(borrow, default)]
    reason: Cow<'a, str>,
    #[serde(default)]
    conditions: Vec<ConditionDto>,
    #[serde(default)]
    dormant: bool,
    #[serde(default)]
    potential: bool,
    #[serde(default)]
    asserted: bool,
    #[serde(borrow, default)]
    technique: Option<Cow<'a, str>>,
    #[serde(default)]
    level: Option<AccessLevel>,
    #[serde(borrow, default)]
    revoke: Vec<RevokeDto<'a>>,
    #[serde(borrow, default)]
    provenance: Option<ProvenanceDto<'a>>,
}

/// A [`Revoke`] entry as written, borrowed: most edges list the same entries as the edge
/// before them (a policy's grants), which are then shared without building them first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeDto<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(default = "default_cost")]
    cost: u32,
    #[serde(borrow, default)]
    commands: Vec<Cow<'a, str>>,
}

fn default_cost() -> u32 {
    1
}

impl RevokeDto<'_> {
    /// Revoke entries as the graph keeps them: no spare capacity, and known action names
    /// shared rather than each its own allocation (a million edges list them).
    fn build(list: &[RevokeDto<'_>]) -> Vec<Revoke> {
        list.iter()
            .map(|r| Revoke {
                id: r.id.to_string(),
                action: Revoke::action_name(&r.action),
                cost: r.cost,
                commands: r.commands.iter().map(|c| c.to_string()).collect(),
                from_file: !r.commands.is_empty(),
            })
            .collect()
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

/// A condition may be written as plain text or as the structured object. Deserialized by
/// hand rather than as an untagged enum, so that a bad condition gets a real message and
/// unknown fields inside it are still reported.
enum ConditionDto {
    Text(String),
    Full(Condition),
}

impl<'de> Deserialize<'de> for ConditionDto {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConditionDto;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a condition: a string, or an object with \"description\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ConditionDto, E> {
                Ok(ConditionDto::Text(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ConditionDto, A::Error> {
                let c = ConditionFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ConditionDto::Full(Condition {
                    description: c.description,
                    key: c.key,
                    operator: c.operator,
                    values: c.values,
                }))
            }
        }
        d.deserialize_any(V)
    }
}

/// A [`Condition`] as written (the model's type takes any field; this one refuses those it
/// does not know, so that they are reported).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionFields {
    description: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    operator: Option<String>,
    #[serde(default)]
    values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvenanceDto<'a> {
    #[serde(borrow)]
    file: Cow<'a, str>,
    #[serde(borrow, default)]
    at: Cow<'a, str>,
}

/// Reads a native graph held in memory (copied through the same window as a stream).
pub(super) fn read_slice(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    read_stream(bytes, file, builder)
}

/// Reads a native graph from a stream, never holding the whole file.
pub(super) fn read_stream(
    reader: impl io::Read,
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    read_through(reader, file, builder, window::WINDOW)
}

/// [`read_stream`] through a window of `window` bytes at first (tests make it tiny, so
/// that every value is cut somewhere).
fn read_through(
    reader: impl io::Read,
    file: &str,
    builder: &mut Builder,
    window: usize,
) -> Result<(), ImportError> {
    let mut sources = vec![builder.graph.intern_source(file)];
    let last_revoke = std::mem::replace(&mut builder.last_revoke, no_revoke());
    let (read, last_revoke, unknown) = halves::in_two_halves(
        builder,
        |sink| {
            let mut ctx = Ctx::new(file, sink, last_revoke);
            let read = document(&mut Window::new(reader, file, window), &mut ctx);
            ctx.flush();
            (read, ctx.last_revoke, ctx.unknown)
        },
        move |builder, batch| convert::add_batch(builder, &mut sources, batch),
    );
    builder.last_revoke = last_revoke;
    read?;
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
    Ok(())
}

/// The document: an object whose `nodes` and `edges` arrays are read one element at a
/// time. Its punctuation is checked here, with serde_json's words for what is wrong.
fn document(
    window: &mut Window<'_, impl io::Read>,
    ctx: &mut Ctx<'_, '_>,
) -> Result<(), ImportError> {
    if window.peek()? != Some(b'{') {
        return Err(window.error(format!(
            "expected a {SCHEMA} object with \"nodes\" and \"edges\""
        )));
    }
    window.bump();
    let mut schema_seen = false;
    if window.peek()? == Some(b'}') {
        window.bump();
    } else {
        loop {
            if window.peek()? != Some(b'"') {
                return Err(window.error("key must be a string"));
            }
            let mut key = String::new();
            window.value(|bytes| {
                let (k, used) = parse::<Cow<'_, str>>(bytes)?;
                key = k.into_owned();
                Ok(used)
            })?;
            if window.peek()? != Some(b':') {
                return Err(window.error("expected `:`"));
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
                "nodes" => list(window, ctx, List::Nodes)?,
                "edges" => list(window, ctx, List::Edges)?,
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
/// it took. An element with fields its type does not know is read without them, and they
/// are reported.
fn element<'a, T>(
    ctx: &mut Ctx<'_, '_>,
    bytes: &'a [u8],
    shape: &unknown::Shape,
    list: &str,
    index: usize,
    mut add: impl FnMut(&mut Ctx<'_, '_>, T) -> Result<(), Fail>,
) -> Result<usize, Fail>
where
    T: Dto<'a>,
{
    match parse::<T>(bytes) {
        Ok((dto, used)) => add(ctx, dto).map(|()| used),
        Err(e) if unknown::is_unknown_field(&e) => {
            let (value, used, removed) = unknown::stripped(bytes, shape)?;
            add(ctx, T::from_value(value)?)?;
            ctx.unknown_text(list, index, &removed);
            Ok(used)
        }
        Err(e) => Err(e),
    }
}

/// An element type, also read from a JSON value (that owns its strings).
trait Dto<'a>: Deserialize<'a> {
    fn from_value(value: serde_json::Value) -> Result<Self, serde_json::Error>;
}

impl<'a> Dto<'a> for NodeDto<'a> {
    fn from_value(value: serde_json::Value) -> Result<Self, serde_json::Error> {
        NodeDto::<'static>::deserialize(value)
    }
}

impl<'a> Dto<'a> for EdgeDto<'a> {
    fn from_value(value: serde_json::Value) -> Result<Self, serde_json::Error> {
        EdgeDto::<'static>::deserialize(value)
    }
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
enum List {
    Nodes,
    Edges,
}

/// One of the arrays, each element parsed and added as soon as it is whole.
fn list(
    window: &mut Window<'_, impl io::Read>,
    ctx: &mut Ctx<'_, '_>,
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
        if window.peek()? == Some(b']') {
            return Err(window.error("trailing comma"));
        }
        window.value(|bytes| match list {
            List::Nodes => element(ctx, bytes, &unknown::NODE, "nodes", index, |ctx, dto| {
                ctx.add_node(dto, index).map_err(Fail::Invalid)
            }),
            List::Edges => element(ctx, bytes, &unknown::EDGE, "edges", index, |ctx, dto| {
                ctx.add_edge(dto, index);
                Ok(())
            }),
        })?;
        match window.peek()? {
            Some(b',') => window.bump(),
            Some(b']') => {
                window.bump();
                return Ok(());
            }
            Some(_) => return Err(window.error("expected `,` or `]`")),
            None => return Err(window.error("EOF while parsing a list")),
        }
        index += 1;
    }
}

#[cfg(test)]
mod tests;
