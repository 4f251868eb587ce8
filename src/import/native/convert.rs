//! The two halves of a native load (`import/halves.rs`): elements parsed on the
//! reading thread, and their nodes and edges built and added to the graph on the second.
//!
//! Parsing is most of a load; allocating the strings a node keeps, sharing reasons,
//! finding endpoints and growing the graph is the rest. Items pass in file order, their
//! strings copied into one text per batch, so warnings and duplicates come out exactly as
//! from one thread. (Revoke lists are built by the reader, which compares each with the
//! last before building it.)

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{ConditionDto, EdgeDto, NodeDto, ProvenanceDto, RevokeDto};
use crate::import::halves::Sink;
use crate::import::{Builder, Warning, share};
use crate::model::{
    AccessLevel, Condition, Credential, DEAD_STATUSES, Edge, EdgeKind, LIVE_STATUSES, Node,
    NodeKind, Place, Provenance, Revoke, SourceId, no_revoke,
};

/// Items per batch: enough to make passing one cheap, few enough to stay in cache.
const BATCH: usize = 2048;

/// Items in file order, with their strings in one text.
pub(super) struct Batch {
    text: String,
    items: Vec<Item>,
}

pub(super) enum Item {
    /// A provenance file named in the input: the next source number stands for it.
    Source(Box<str>),
    /// Provenance sources are numbers of this load (0 is the file read) until added.
    Node {
        node: NodeParts,
        source: u32,
        at: Place,
    },
    Edge {
        from: Range<usize>,
        to: Range<usize>,
        reason: Range<usize>,
        edge: EdgeParts,
        source: u32,
        at: Place,
    },
    /// A warning at a place of the file.
    Warn {
        at: Place,
        message: String,
    },
    /// A warning placed already (a top-level field).
    Warning(Warning),
    Metadata(serde_json::Map<String, serde_json::Value>),
}

/// A node whose strings are still in its batch's text: the adding half allocates them,
/// which evens out the halves' work (the reading half has the parsing).
pub(super) struct NodeParts {
    key: Range<usize>,
    kind: NodeKind,
    platform: Option<Range<usize>>,
    name: Option<Range<usize>>,
    /// Scope, owner, purpose and environment.
    texts: [Option<Range<usize>>; 4],
    criticality: Option<u8>,
    admin: bool,
    tags: BTreeMap<String, String>,
    credential: Option<Box<Credential>>,
    revoke: Vec<Revoke>,
    /// Where its provenance says it came from (none: the place it was read at).
    place: Option<Place>,
}

/// An edge but for its reason, which the adding half shares.
pub(super) struct EdgeParts {
    kind: EdgeKind,
    conditions: Vec<Condition>,
    dormant: bool,
    potential: bool,
    asserted: bool,
    technique: Option<Box<str>>,
    level: Option<AccessLevel>,
    revoke: Arc<[Revoke]>,
    place: Option<Place>,
}

/// Provenance files seen, by their number in this load: those shared with the helper
/// reading ahead, and those numbered since, shared with its next job. (Copied on write
/// instead, the map was copied whole each time the reader numbered a file while the
/// helper held it: the files times the windows.)
#[derive(Default)]
pub(super) struct Sources {
    shared: Arc<FxHashMap<Box<str>, u32>>,
    newer: FxHashMap<Box<str>, u32>,
}

impl Sources {
    fn get(&self, file: &str) -> Option<u32> {
        self.shared
            .get(file)
            .or_else(|| self.newer.get(file))
            .copied()
    }

    fn number(&mut self, file: &str) -> u32 {
        let n = (self.shared.len() + self.newer.len()) as u32 + 1;
        self.newer.insert(file.into(), n);
        n
    }

    /// The files numbered so far, for a helper's job (none is in flight: the map is not
    /// copied).
    pub(super) fn share(&mut self) -> Arc<FxHashMap<Box<str>, u32>> {
        if !self.newer.is_empty() {
            let newer = std::mem::take(&mut self.newer);
            Arc::make_mut(&mut self.shared).extend(newer);
        }
        self.shared.clone()
    }
}

/// The reading half: turns elements into items.
pub(super) struct Ctx<'f, 's> {
    pub(super) file: &'f str,
    /// Where full batches go: none for a helper's items (`ahead.rs`), kept in one batch.
    sink: Option<&'s dyn Sink<Batch>>,
    batch: Batch,
    /// Shared with a helper, which numbers only the files seen before its bytes.
    sources: Sources,
    /// The last revoke list, which the next edge shares when it lists the same (taken
    /// from the builder for the load, given back after).
    pub(super) last_revoke: Arc<[Revoke]>,
    /// Unknown field path → (first place seen, count), reported once per field.
    pub(super) unknown: BTreeMap<String, (String, usize)>,
}

impl<'f, 's> Ctx<'f, 's> {
    pub(super) fn new(
        file: &'f str,
        sink: &'s dyn Sink<Batch>,
        last_revoke: Arc<[Revoke]>,
    ) -> Self {
        Ctx {
            file,
            sink: Some(sink),
            batch: Batch::empty(),
            sources: Sources::default(),
            last_revoke,
            unknown: BTreeMap::new(),
        }
    }

    /// A helper's context: its items stay in `batch`, numbered from 0 on, and provenance
    /// files are numbered by `sources` (elements naming another are not its to read).
    pub(super) fn helper(
        file: &'f str,
        sources: Arc<FxHashMap<Box<str>, u32>>,
        batch: Batch,
    ) -> Self {
        Ctx {
            file,
            sink: None,
            batch,
            sources: Sources {
                shared: sources,
                newer: FxHashMap::default(),
            },
            last_revoke: no_revoke(),
            unknown: BTreeMap::new(),
        }
    }

    pub(super) fn push(&mut self, item: Item) {
        self.batch.items.push(item);
        if self.batch.items.len() >= BATCH && self.sink.is_some() {
            self.flush();
        }
    }

    /// Sends what is batched (the last batch too: call it once done).
    pub(super) fn flush(&mut self) {
        if let Some(sink) = self.sink
            && !self.batch.items.is_empty()
        {
            sink.send(&mut self.batch, Batch::empty);
        }
    }

    /// The provenance files numbered so far, for a helper's job.
    pub(super) fn share_sources(&mut self) -> Arc<FxHashMap<Box<str>, u32>> {
        self.sources.share()
    }

    /// A helper's items.
    pub(super) fn into_batch(self) -> Batch {
        self.batch
    }

    /// Whether the provenance file named is numbered already.
    pub(super) fn knows(&self, provenance: Option<&ProvenanceDto<'_>>) -> bool {
        provenance.is_none_or(|p| self.sources.get(&p.file).is_some())
    }

    /// Takes a helper's items as if they were read here next, the first numbered `base`:
    /// sent after this context's own, their places shifted by `base`, and their first
    /// revoke list this context's last one when they are the same (as one reader would
    /// have shared it). Returns the spent batch to give the helper next.
    pub(super) fn adopt(&mut self, mut batch: Batch, base: u32) -> Batch {
        // The helper's first list, and whether it is the same as the last one here.
        let mut first: Option<(Arc<[Revoke]>, bool)> = None;
        for item in &mut batch.items {
            match item {
                Item::Node { at, .. } | Item::Warn { at, .. } => at.shift(base),
                Item::Edge { at, edge, .. } => {
                    at.shift(base);
                    if edge.revoke.is_empty() {
                        continue;
                    }
                    let (first, same) = first.get_or_insert_with(|| {
                        (edge.revoke.clone(), *edge.revoke == *self.last_revoke)
                    });
                    if *same && Arc::ptr_eq(first, &edge.revoke) {
                        edge.revoke = self.last_revoke.clone();
                    }
                }
                _ => {}
            }
        }
        if let Some(last) = batch.items.iter().rev().find_map(|item| match item {
            Item::Edge { edge, .. } if !edge.revoke.is_empty() => Some(&edge.revoke),
            _ => None,
        }) {
            self.last_revoke = last.clone();
        }
        self.flush();
        match self.sink {
            Some(sink) => sink.send(&mut batch, Batch::empty),
            None => unreachable!("a helper adopts no helper's items"),
        }
        batch
    }

    pub(super) fn unknown_text(&mut self, list: &str, index: usize, paths: &[String]) {
        for path in paths {
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

    fn source(&mut self, dto: Option<&ProvenanceDto<'_>>) -> u32 {
        let Some(p) = dto else { return 0 };
        if let Some(n) = self.sources.get(&p.file) {
            return n;
        }
        debug_assert!(self.sink.is_some(), "a helper numbers no file");
        let n = self.sources.number(&p.file);
        self.push(Item::Source(p.file.as_ref().into()));
        n
    }

    pub(super) fn add_node(&mut self, dto: NodeDto<'_>, index: usize) -> Result<(), String> {
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
        let source = self.source(dto.provenance.as_ref());
        let place = dto.provenance.map(|p| Place::parse(&p.at));
        let credential = dto.credential.map(|c| {
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
        if let Some(c) = &credential {
            let message = if dto.kind != NodeKind::Credential {
                Some(format!(
                    "node '{}' is a {}, not a credential: its credential fields are kept but ignored",
                    dto.id, dto.kind
                ))
            } else if let Some(status) = c.status.as_deref()
                && !known_status(status)
            {
                Some(format!(
                    "credential '{}' has status '{status}', which trustpath does not know; it is \
                     treated as usable (dead statuses: {})",
                    dto.id,
                    DEAD_STATUSES.join(", ")
                ))
            } else {
                None
            };
            if let Some(message) = message {
                self.push(Item::Warn {
                    at: at.clone(),
                    message,
                });
            }
        }
        let node = NodeParts {
            key: self.text(&dto.id),
            kind: dto.kind,
            platform: dto.platform.map(|t| self.text(&t)),
            name: dto.name.map(|t| self.text(&t)),
            texts: [dto.scope, dto.owner, dto.purpose, dto.environment]
                .map(|t| t.map(|t| self.text(&t))),
            criticality: dto.criticality,
            admin: dto.admin,
            tags: dto.tags,
            credential,
            revoke: RevokeDto::build(&dto.revoke),
            place,
        };
        self.push(Item::Node { node, source, at });
        Ok(())
    }

    pub(super) fn add_edge(&mut self, dto: EdgeDto<'_>, index: usize) {
        let at = Place::Edge(index as u32);
        let source = self.source(dto.provenance.as_ref());
        let place = dto.provenance.map(|p| Place::parse(&p.at));
        // Held here as well as by the edge, so that the next edge listing the same
        // entries shares them.
        let revoke = if dto.revoke.is_empty() {
            no_revoke()
        } else {
            if !RevokeDto::same(&dto.revoke, &self.last_revoke) {
                self.last_revoke = RevokeDto::shared(&dto.revoke);
            }
            self.last_revoke.clone()
        };
        let edge = EdgeParts {
            kind: dto.kind,
            conditions: dto
                .conditions
                .into_iter()
                .map(|c| match c {
                    ConditionDto::Text(description) => Condition::described(description),
                    ConditionDto::Full(c) => Condition {
                        description: c.description,
                        key: c.key,
                        operator: c.operator,
                        values: c.values,
                    },
                })
                .collect(),
            dormant: dto.dormant,
            potential: dto.potential,
            asserted: dto.asserted,
            technique: dto.technique.map(Into::into),
            level: dto.level,
            revoke,
            place,
        };
        let item = Item::Edge {
            from: self.text(&dto.from),
            to: self.text(&dto.to),
            reason: self.text(&dto.reason),
            edge,
            source,
            at,
        };
        self.push(item);
    }

    /// Copies a string into the batch's text.
    fn text(&mut self, text: &str) -> Range<usize> {
        let start = self.batch.text.len();
        self.batch.text.push_str(text);
        start..self.batch.text.len()
    }
}

impl Batch {
    pub(super) fn empty() -> Batch {
        Batch {
            text: String::new(),
            items: Vec::with_capacity(BATCH),
        }
    }

    pub(super) fn clear(&mut self) {
        self.text.clear();
        self.items.clear();
    }
}

fn known_status(status: &str) -> bool {
    let status = status.trim();
    DEAD_STATUSES
        .iter()
        .chain(&LIVE_STATUSES)
        .any(|s| s.eq_ignore_ascii_case(status))
}

/// The adding half: adds a batch's items to the graph in the order they were read, and
/// leaves it empty. `sources` maps this load's source numbers to the graph's: the file
/// read is number 0.
pub(super) fn add_batch(builder: &mut Builder, sources: &mut Vec<SourceId>, batch: &mut Batch) {
    let Batch { text, items } = batch;
    for item in items.drain(..) {
        match item {
            Item::Source(name) => sources.push(builder.graph.intern_source(&name)),
            Item::Node { node, source, at } => {
                let node = node.build(text, sources[source as usize], &at);
                builder.add_node(node, &at);
            }
            Item::Edge {
                from,
                to,
                reason,
                edge,
                source,
                at,
            } => {
                let reason = match builder.reasons.get(&text[reason.clone()]) {
                    Some(kept) => kept.clone(),
                    None => share(&mut builder.reasons, text[reason].into()),
                };
                let edge = edge.build(reason, sources[source as usize], &at);
                builder.add_edge(&text[from], &text[to], edge, at);
            }
            Item::Warn { at, message } => builder.warn(&at, message),
            Item::Warning(warning) => builder.warnings.push(warning),
            Item::Metadata(meta) => builder.graph.merge_metadata(meta),
        }
    }
    text.clear();
}

impl NodeParts {
    fn build(self, text: &str, source: SourceId, at: &Place) -> Node {
        let get = |r: Range<usize>| &text[r];
        let provenance = Provenance {
            source,
            place: self.place.unwrap_or_else(|| at.clone()),
        };
        let (platform, name) = (self.platform.map(get), self.name.map(get));
        let mut node = Node::named(get(self.key), self.kind, platform, name, provenance);
        let [scope, owner, purpose, environment] = self.texts.map(|t| t.map(|r| get(r).into()));
        node.scope = scope;
        node.owner = owner;
        node.purpose = purpose;
        node.environment = environment;
        node.criticality = self.criticality;
        node.admin = self.admin;
        node.tags = self.tags;
        node.credential = self.credential;
        node.revoke = self.revoke;
        node
    }
}

impl EdgeParts {
    fn build(self, reason: Arc<str>, source: SourceId, at: &Place) -> Edge {
        let provenance = Provenance {
            source,
            place: self.place.unwrap_or_else(|| at.clone()),
        };
        let mut edge = Edge::new(self.kind, reason, provenance);
        edge.conditions = self.conditions;
        edge.dormant = self.dormant;
        edge.potential = self.potential;
        edge.asserted = self.asserted;
        edge.technique = self.technique;
        edge.level = self.level;
        edge.revoke = self.revoke;
        edge
    }
}
