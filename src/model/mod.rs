//! The trust graph: a typed API over private storage (a petgraph graph while it is built,
//! a snapshot's arrays read in place when it is loaded from one: see `frozen.rs`).
//!
//! Callers see [`NodeId`] and [`EdgeId`] handles and the domain types [`Node`] and
//! [`Edge`], added as such and read back as views ([`NodeRef`], [`EdgeRef`]), never the
//! storage, so the storage can change without touching analyses.

mod edge;
mod frozen;
mod graph;
mod keys;
mod lookup;
mod node;
mod provenance;
mod store;
mod view;

pub(crate) use edge::no_revoke;
pub use edge::{AccessLevel, Condition, Edge, EdgeKind, Revoke};
pub(crate) use frozen::{NONE, NodeRecord, NodeTables, Nodes, Parts, ReadTables, Strings, word};
pub use graph::{
    EdgeId, MAX_NODES, NodeFacts, NodeId, PlatformId, Slot, Step, StepIn, Traversal, TrustGraph,
};
pub(crate) use keys::KeyIndex;
pub use lookup::LookupError;
pub use node::{
    CROWN_JEWEL, Credential, DEAD_STATUSES, LIVE_STATUSES, Node, NodeKind, Outsider, name_of_key,
    platform_of_key,
};
pub use provenance::{Place, Provenance, SourceId};
pub use store::EdgeRef;
pub(crate) use store::{Extra, LazyLists, Packed, place_number};
pub use view::{Entries, NodeRef, RevokeRef, Revokes, Tags};
