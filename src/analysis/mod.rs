//! Analyses over the trust graph: blast radius, witness paths and the revocation plan.

mod blast;
pub mod paths;
pub mod plan;
mod traverse;

pub use blast::{BlastRadius, Exposed, Reached, Summary};
pub use paths::Paths;
pub use traverse::{Bfs, Removed};
