//! The native graph format, `trustpath/graph/v1`.
//!
//! Parsed in one streaming pass: each node and edge is deserialized with borrowed strings
//! and handed to the [`Builder`] at once, so a million-node file never exists twice in
//! memory as DTOs and as the graph.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io;

use jiff::Timestamp;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Builder, ImportError, Warning};
use crate::model::{
    AccessLevel, Condition, Credential, DEAD_STATUSES, Edge, EdgeKind, LIVE_STATUSES, Node,
    NodeKind, Place, Provenance, Revoke, SourceId,
};

pub const SCHEMA: &str = "trustpath/graph/v1";

#[derive(Deserialize)]
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
    #[serde(default)]
    revoke: Vec<Revoke>,
    #[serde(borrow, default)]
    provenance: Option<ProvenanceDto<'a>>,
}

#[derive(Deserialize)]
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
    #[serde(default)]
    revoke: Vec<Revoke>,
    #[serde(borrow, default)]
    provenance: Option<ProvenanceDto<'a>>,
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
                Condition::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ConditionDto::Full)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct ProvenanceDto<'a> {
    #[serde(borrow)]
    file: Cow<'a, str>,
    #[serde(borrow, default)]
    at: Cow<'a, str>,
}

/// Reads a native graph held in memory (strings are borrowed, not copied).
pub(super) fn read_slice(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    read(
        &mut serde_json::Deserializer::from_slice(bytes),
        file,
        builder,
    )
}

/// Reads a native graph from a stream, never holding the whole file.
pub(super) fn read_stream(
    reader: impl io::Read,
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    read(
        &mut serde_json::Deserializer::from_reader(reader),
        file,
        builder,
    )
}

fn read<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    let source = builder.graph.intern_source(file);
    let mut ctx = Ctx {
        builder,
        file,
        source,
        unknown: BTreeMap::new(),
    };
    DocumentSeed { ctx: &mut ctx }
        .deserialize(&mut *de)
        .and_then(|()| de.end())
        .map_err(|e| ImportError::json(file, &e))?;
    let Ctx {
        builder, unknown, ..
    } = ctx;
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

struct Ctx<'b> {
    builder: &'b mut Builder,
    file: &'b str,
    source: SourceId,
    /// Unknown field path → (first place seen, count), reported once per field.
    unknown: BTreeMap<String, (String, usize)>,
}

impl Ctx<'_> {
    fn provenance(&mut self, dto: Option<ProvenanceDto<'_>>, place: Place) -> Provenance {
        match dto {
            Some(p) => Provenance {
                source: self.builder.graph.intern_source(&p.file),
                place: Place::parse(&p.at),
            },
            None => Provenance {
                source: self.source,
                place,
            },
        }
    }

    fn add_node(&mut self, dto: NodeDto<'_>, index: usize) -> Result<(), String> {
        if dto.id.is_empty() {
            return Err("node id is empty".into());
        }
        if let Some(c) = dto.criticality
            && c > 10
        {
            return Err(format!(
                "node '{}': criticality {c} is out of range 0-10",
                dto.id
            ));
        }
        let at = Place::Node(index as u32);
        let provenance = self.provenance(dto.provenance, at.clone());
        let mut node = Node::new(&dto.id, dto.kind, provenance);
        if let Some(p) = dto.platform {
            node.platform = p.into();
        }
        if let Some(n) = dto.name {
            node.name = n.into();
        }
        node.scope = dto.scope.map(Into::into);
        node.owner = dto.owner.map(Into::into);
        node.purpose = dto.purpose.map(Into::into);
        node.environment = dto.environment.map(Into::into);
        node.criticality = dto.criticality;
        node.admin = dto.admin;
        node.tags = dto.tags;
        node.revoke = compact(dto.revoke);
        node.credential = dto.credential.map(|c| {
            Box::new(Credential {
                kind: c.kind.map(Into::into),
                status: c.status.map(Into::into),
                created: c.created,
                expires: c.expires,
                last_used: c.last_used,
                last_rotated: c.last_rotated,
                long_lived: c.long_lived,
                copyable: c.copyable,
            })
        });
        if let Some(c) = &node.credential {
            if node.kind != NodeKind::Credential {
                let message = format!(
                    "node '{}' is a {}, not a credential: its credential fields are kept but ignored",
                    node.key, node.kind
                );
                self.builder.warn(&at, message);
            } else if let Some(status) = c.status.as_deref()
                && !known_status(status)
            {
                let message = format!(
                    "credential '{}' has status '{status}', which trustpath does not know; it is \
                     treated as usable (dead statuses: {})",
                    node.key,
                    DEAD_STATUSES.join(", ")
                );
                self.builder.warn(&at, message);
            }
        }
        self.builder.add_node(node, &at);
        Ok(())
    }

    fn add_edge(&mut self, dto: EdgeDto<'_>, index: usize) {
        let at = Place::Edge(index as u32);
        let provenance = self.provenance(dto.provenance, at.clone());
        let mut edge = Edge::new(dto.kind, self.builder.reason(&dto.reason), provenance);
        edge.conditions = dto
            .conditions
            .into_iter()
            .map(|c| match c {
                ConditionDto::Text(description) => Condition {
                    description,
                    key: None,
                    operator: None,
                    values: Vec::new(),
                },
                ConditionDto::Full(c) => c,
            })
            .collect();
        edge.dormant = dto.dormant;
        edge.potential = dto.potential;
        edge.asserted = dto.asserted;
        edge.technique = dto.technique.map(Into::into);
        edge.level = dto.level;
        edge.revoke = self.builder.revokes(compact(dto.revoke));
        self.builder.add_edge(&dto.from, &dto.to, edge, at);
    }
}

fn known_status(status: &str) -> bool {
    let status = status.trim();
    DEAD_STATUSES
        .iter()
        .chain(&LIVE_STATUSES)
        .any(|s| s.eq_ignore_ascii_case(status))
}

struct DocumentSeed<'c, 'b> {
    ctx: &'c mut Ctx<'b>,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {SCHEMA} object with \"nodes\" and \"edges\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut schema_seen = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "schema" => {
                    schema_seen = true;
                    let schema: Cow<'de, str> = map.next_value()?;
                    if schema != SCHEMA {
                        return Err(de::Error::custom(format!(
                            "unsupported schema '{schema}' (this trustpath reads {SCHEMA})"
                        )));
                    }
                }
                "nodes" => map.next_value_seed(ListSeed {
                    ctx: self.ctx,
                    list: List::Nodes,
                })?,
                "edges" => map.next_value_seed(ListSeed {
                    ctx: self.ctx,
                    list: List::Edges,
                })?,
                "metadata" => {
                    let meta: serde_json::Map<String, serde_json::Value> = map.next_value()?;
                    self.ctx.builder.graph.merge_metadata(meta);
                }
                other => {
                    map.next_value::<IgnoredAny>()?;
                    let message = format!("unknown top-level field '{other}' ignored");
                    self.ctx.builder.warnings.push(Warning::new(
                        self.ctx.file,
                        format!("/{other}"),
                        message,
                    ));
                }
            }
        }
        if !schema_seen {
            return Err(de::Error::custom(format!(
                "no \"schema\" field (expected \"{SCHEMA}\")"
            )));
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum List {
    Nodes,
    Edges,
}

struct ListSeed<'c, 'b> {
    ctx: &'c mut Ctx<'b>,
    list: List,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            let mut ignored = Vec::new();
            let more = match self.list {
                List::Nodes => seq
                    .next_element_seed(Element::<NodeDto<'de>>::new(&mut ignored))?
                    .map(|dto| self.ctx.add_node(dto, index).map_err(de::Error::custom))
                    .transpose()?
                    .is_some(),
                List::Edges => seq
                    .next_element_seed(Element::<EdgeDto<'de>>::new(&mut ignored))?
                    .map(|dto| self.ctx.add_edge(dto, index))
                    .is_some(),
            };
            let name = match self.list {
                List::Nodes => "nodes",
                List::Edges => "edges",
            };
            for path in ignored {
                self.ctx.unknown_text(name, index, &path);
            }
            if !more {
                return Ok(());
            }
            index += 1;
        }
    }
}

impl Ctx<'_> {
    fn unknown_text(&mut self, list: &str, index: usize, path: &str) {
        // serde_ignored writes `?` for the inside of an Option; a pointer has no such step.
        let path = path
            .split('.')
            .filter(|s| *s != "?")
            .collect::<Vec<_>>()
            .join(".");
        let field = format!("{list}[].{path}");
        let pointer = format!("/{list}/{index}/{}", path.replace('.', "/"));
        self.unknown.entry(field).or_insert((pointer, 0)).1 += 1;
    }
}

/// Deserializes one element, collecting the paths of fields it did not know.
struct Element<'v, T> {
    ignored: &'v mut Vec<String>,
    marker: std::marker::PhantomData<T>,
}

impl<'v, T> Element<'v, T> {
    fn new(ignored: &'v mut Vec<String>) -> Self {
        Element {
            ignored,
            marker: std::marker::PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Element<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        serde_ignored::deserialize(d, |path| self.ignored.push(path.to_string()))
    }
}

/// Revoke entries as the graph keeps them: a deserialized vector keeps the capacity it
/// grew to (four entries for one), and each action name would be its own allocation — a
/// million edges make that gigabytes.
fn compact(mut revoke: Vec<Revoke>) -> Vec<Revoke> {
    for r in &mut revoke {
        let name = std::mem::take(&mut r.action).into_owned();
        r.action = Revoke::action_name(name);
        r.from_file = !r.commands.is_empty();
    }
    revoke.shrink_to_fit();
    revoke
}

#[cfg(test)]
mod tests {
    use crate::import::{Input, Loaded, load_inputs};
    use crate::model::{EdgeKind, Place};

    fn load(json: &str) -> Loaded {
        load_inputs([Input::bytes("t.json", json.as_bytes().to_vec())]).expect("loads")
    }

    #[test]
    fn unknown_fields_are_reported_once_per_field() {
        let loaded = load(
            r#"{"schema": "trustpath/graph/v1", "extra": 1,
                "nodes": [{"id": "a", "kind": "role", "colour": "red"},
                          {"id": "b", "kind": "role", "colour": "blue"}],
                "edges": []}"#,
        );
        let messages: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "t.json:/extra: unknown top-level field 'extra' ignored",
                "t.json:/nodes/0/colour: unknown field 'nodes[].colour' ignored (2 times)",
            ]
        );
    }

    #[test]
    fn duplicates_and_dangling_edges_are_warnings() {
        let loaded = load(
            r#"{"schema": "trustpath/graph/v1",
                "nodes": [{"id": "a", "kind": "role"}, {"id": "a", "kind": "group"}],
                "edges": [{"from": "a", "to": "missing", "kind": "can_assume"}]}"#,
        );
        assert_eq!(loaded.graph.node_count(), 1);
        assert_eq!(loaded.graph.edge_count(), 0);
        let messages: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "t.json:/nodes/1: node 'a' is defined again; this definition is ignored (the one kept came from t.json:/nodes/0)",
                "t.json:/edges/0: can_assume edge a -> missing skipped: unknown node 'missing'",
            ]
        );
    }

    #[test]
    fn edges_may_come_before_their_nodes_and_keep_provenance() {
        let loaded = load(
            r#"{"schema": "trustpath/graph/v1",
                "edges": [{"from": "a", "to": "b", "kind": "member_of", "reason": "r",
                           "conditions": ["MFA present"]}],
                "nodes": [{"id": "a", "kind": "human"},
                          {"id": "b", "kind": "group",
                           "provenance": {"file": "orig.json", "at": "/Groups/3"}}]}"#,
        );
        let g = &loaded.graph;
        let e = g.edge_ids().next().expect("one edge");
        assert_eq!(g.edge(e).kind, EdgeKind::MemberOf);
        assert_eq!(g.edge(e).conditions[0].description, "MFA present");
        assert_eq!(g.edge(e).provenance.place, Place::Edge(0));
        let b = g.node(g.find("b").expect("b"));
        assert_eq!(g.source_name(b.provenance.source), "orig.json");
        assert_eq!(b.provenance.place, Place::Other("/Groups/3".into()));
    }

    /// Edges giving the same reason share one string, and consecutive edges listing the
    /// same revoke entries (a policy's grants) share one list; different ones stay apart.
    #[test]
    fn same_reasons_and_revoke_lists_are_shared() {
        let loaded = load(
            r#"{"schema": "trustpath/graph/v1",
                "nodes": [{"id": "r", "kind": "role"}, {"id": "x", "kind": "resource"},
                          {"id": "y", "kind": "resource"}, {"id": "z", "kind": "resource"}],
                "edges": [
                  {"from": "r", "to": "x", "kind": "can_access", "reason": "policy P",
                   "revoke": [{"id": "detach:P", "action": "detach_policy"}]},
                  {"from": "r", "to": "y", "kind": "can_access", "reason": "policy P",
                   "revoke": [{"id": "detach:P", "action": "detach_policy"}]},
                  {"from": "r", "to": "z", "kind": "can_access", "reason": "policy Q",
                   "revoke": [{"id": "detach:Q", "action": "detach_policy"}]}]}"#,
        );
        let g = &loaded.graph;
        let edge = |to: &str| {
            let to = g.find(to).expect("node");
            let e = g.edge_ids().find(|&e| g.endpoints(e).1 == to);
            g.edge(e.expect("edge"))
        };
        let (x, y, z) = (edge("x"), edge("y"), edge("z"));
        assert!(std::sync::Arc::ptr_eq(&x.reason, &y.reason));
        assert!(std::sync::Arc::ptr_eq(&x.revoke, &y.revoke));
        assert_eq!(&*z.reason, "policy Q");
        assert_eq!(z.revoke[0].id, "detach:Q");
        assert_eq!(x.revoke[0].id, "detach:P");
    }

    #[test]
    fn wrong_schema_and_bad_values_are_errors_with_a_place() {
        let err = load_inputs([Input::bytes(
            "t.json",
            br#"{"schema": "trustpath/graph/v2", "nodes": []}"#.to_vec(),
        )])
        .expect_err("v2 is not read");
        assert!(err.to_string().starts_with("t.json:1:"), "{err}");
        assert!(
            err.to_string()
                .contains("unsupported schema 'trustpath/graph/v2'")
        );
        let err = load_inputs([Input::bytes(
            "t.json",
            br#"{"schema": "trustpath/graph/v1", "nodes": [{"id": "a", "kind": "role", "criticality": 11}]}"#
                .to_vec(),
        )])
        .expect_err("criticality over 10");
        assert!(
            err.to_string()
                .contains("criticality 11 is out of range 0-10"),
            "{err}"
        );
    }
}
