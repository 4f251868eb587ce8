//! The two halves of a native load: elements made into model nodes and edges on the
//! reading thread, and added to the graph on a second one.
//!
//! Parsing elements and building their nodes and edges (strings, revoke lists,
//! conditions) is most of a load; finding endpoints and growing the graph is the rest. On
//! two cores the halves overlap: ready items pass in file order, in batches, through a
//! bounded channel, so warnings and duplicates come out exactly as from one thread, and a
//! fast reader never holds more than a few batches.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

use rustc_hash::{FxHashMap, FxHashSet};

use super::{ConditionDto, EdgeDto, NodeDto, ProvenanceDto, RevokeDto};
use crate::import::{Builder, Warning, share};
use crate::model::{
    Condition, Credential, DEAD_STATUSES, Edge, LIVE_STATUSES, Node, NodeKind, Place, Provenance,
    Revoke, SourceId, no_revoke,
};

/// Items per batch: enough to make passing one cheap, few enough to stay in cache.
const BATCH: usize = 2048;

/// Items in file order, with the endpoint keys of their edges in one string.
pub(super) struct Batch {
    keys: String,
    items: Vec<Item>,
}

pub(super) enum Item {
    /// A provenance file named in the input: the next source number stands for it.
    Source(Box<str>),
    /// Provenance sources are numbers of this load (0 is the file read) until added.
    Node {
        node: Node,
        source: u32,
        at: Place,
    },
    Edge {
        from: Range<usize>,
        to: Range<usize>,
        edge: Edge,
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

/// The reading half: turns elements into items.
pub(super) struct Ctx<'f> {
    pub(super) file: &'f str,
    /// `None` once closed: the adding half stops when the last batch is taken.
    tx: Option<SyncSender<Batch>>,
    batch: Batch,
    /// Provenance files seen, by their number in this load.
    sources: FxHashMap<Box<str>, u32>,
    /// Shared reasons and the last revoke list, as [`Builder::reason`] and
    /// [`Builder::revokes`] share them (taken from the builder for the load, given back after).
    pub(super) reasons: FxHashSet<Arc<str>>,
    pub(super) last_revoke: Arc<[Revoke]>,
    /// Unknown field path → (first place seen, count), reported once per field.
    pub(super) unknown: BTreeMap<String, (String, usize)>,
}

impl<'f> Ctx<'f> {
    pub(super) fn new(
        file: &'f str,
        tx: SyncSender<Batch>,
        reasons: FxHashSet<Arc<str>>,
        last_revoke: Arc<[Revoke]>,
    ) -> Self {
        Ctx {
            file,
            tx: Some(tx),
            batch: Batch::empty(),
            sources: FxHashMap::default(),
            reasons,
            last_revoke,
            unknown: BTreeMap::new(),
        }
    }

    pub(super) fn push(&mut self, item: Item) {
        self.batch.items.push(item);
        if self.batch.items.len() >= BATCH {
            self.flush();
        }
    }

    /// Sends what is batched. A closed channel means the adding half panicked: its join
    /// says so, and nothing here is worth keeping.
    fn flush(&mut self) {
        if let Some(tx) = &self.tx
            && !self.batch.items.is_empty()
        {
            let _ = tx.send(std::mem::replace(&mut self.batch, Batch::empty()));
        }
    }

    /// Sends the last batch and closes the channel.
    pub(super) fn close(&mut self) {
        self.flush();
        self.tx = None;
    }

    pub(super) fn unknown_text(&mut self, list: &str, index: usize, paths: &[String]) {
        for path in paths {
            let field = format!("{list}[].{path}");
            let pointer = format!("/{list}/{index}/{}", path.replace('.', "/"));
            self.unknown.entry(field).or_insert((pointer, 0)).1 += 1;
        }
    }

    fn source(&mut self, dto: Option<&ProvenanceDto<'_>>) -> u32 {
        let Some(p) = dto else { return 0 };
        if let Some(&n) = self.sources.get(&*p.file) {
            return n;
        }
        let n = self.sources.len() as u32 + 1;
        self.sources.insert(p.file.as_ref().into(), n);
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
        let place = dto.provenance.map_or(at.clone(), |p| Place::parse(&p.at));
        let provenance = Provenance {
            source: SourceId::default(),
            place,
        };
        let (platform, name) = (dto.platform.as_deref(), dto.name.as_deref());
        let mut node = Node::named(&dto.id, dto.kind, platform, name, provenance);
        node.scope = dto.scope.map(Into::into);
        node.owner = dto.owner.map(Into::into);
        node.purpose = dto.purpose.map(Into::into);
        node.environment = dto.environment.map(Into::into);
        node.criticality = dto.criticality;
        node.admin = dto.admin;
        node.tags = dto.tags;
        node.revoke = RevokeDto::build(&dto.revoke);
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
            let message = if node.kind != NodeKind::Credential {
                Some(format!(
                    "node '{}' is a {}, not a credential: its credential fields are kept but ignored",
                    node.key, node.kind
                ))
            } else if let Some(status) = c.status.as_deref()
                && !known_status(status)
            {
                Some(format!(
                    "credential '{}' has status '{status}', which trustpath does not know; it is \
                     treated as usable (dead statuses: {})",
                    node.key,
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
        self.push(Item::Node { node, source, at });
        Ok(())
    }

    pub(super) fn add_edge(&mut self, dto: EdgeDto<'_>, index: usize) {
        let at = Place::Edge(index as u32);
        let source = self.source(dto.provenance.as_ref());
        let place = dto.provenance.map_or(at.clone(), |p| Place::parse(&p.at));
        let provenance = Provenance {
            source: SourceId::default(),
            place,
        };
        let reason = match self.reasons.get(&*dto.reason) {
            Some(kept) => kept.clone(),
            None => share(&mut self.reasons, dto.reason.as_ref().into()),
        };
        let mut edge = Edge::new(dto.kind, reason, provenance);
        edge.conditions = dto
            .conditions
            .into_iter()
            .map(|c| match c {
                ConditionDto::Text(description) => Condition::described(description),
                ConditionDto::Full(c) => c,
            })
            .collect();
        edge.dormant = dto.dormant;
        edge.potential = dto.potential;
        edge.asserted = dto.asserted;
        edge.technique = dto.technique.map(Into::into);
        edge.level = dto.level;
        // Held here as well as by the edge, so the builder takes it as shared already.
        if dto.revoke.is_empty() {
            edge.revoke = no_revoke();
        } else {
            if !RevokeDto::same(&dto.revoke, &self.last_revoke) {
                self.last_revoke = RevokeDto::build(&dto.revoke).into();
            }
            edge.revoke = self.last_revoke.clone();
        }
        let from = self.key(&dto.from);
        let to = self.key(&dto.to);
        self.push(Item::Edge {
            from,
            to,
            edge,
            source,
            at,
        });
    }

    fn key(&mut self, key: &str) -> Range<usize> {
        let start = self.batch.keys.len();
        self.batch.keys.push_str(key);
        start..self.batch.keys.len()
    }
}

impl Batch {
    fn empty() -> Batch {
        Batch {
            keys: String::new(),
            items: Vec::with_capacity(BATCH),
        }
    }
}

fn known_status(status: &str) -> bool {
    let status = status.trim();
    DEAD_STATUSES
        .iter()
        .chain(&LIVE_STATUSES)
        .any(|s| s.eq_ignore_ascii_case(status))
}

/// The adding half: adds the items to the graph in the order they were read. `file` is
/// the source of elements that name none.
pub(super) fn add_all(builder: &mut Builder, file: SourceId, batches: Receiver<Batch>) {
    let mut sources = vec![file];
    for batch in batches {
        for item in batch.items {
            match item {
                Item::Source(name) => sources.push(builder.graph.intern_source(&name)),
                Item::Node {
                    mut node,
                    source,
                    at,
                } => {
                    node.provenance.source = sources[source as usize];
                    builder.add_node(node, &at);
                }
                Item::Edge {
                    from,
                    to,
                    mut edge,
                    source,
                    at,
                } => {
                    edge.provenance.source = sources[source as usize];
                    builder.add_edge(&batch.keys[from], &batch.keys[to], edge, at);
                }
                Item::Warn { at, message } => builder.warn(&at, message),
                Item::Warning(warning) => builder.warnings.push(warning),
                Item::Metadata(meta) => builder.graph.merge_metadata(meta),
            }
        }
    }
}
