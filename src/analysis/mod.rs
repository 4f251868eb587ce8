//! Analyses over the trust graph: blast radius and witness paths.

mod blast;
pub mod paths;
mod traverse;

pub use blast::{BlastRadius, Exposed, Reached, Summary};
pub use paths::Paths;
pub use traverse::Bfs;
