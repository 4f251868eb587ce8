//! Analyses over the trust graph: blast radius, exposure (who can reach a node), witness
//! paths, the revocation plan, the hardening plan and the audit.

pub mod audit;
mod blast;
pub mod exposure;
pub mod harden;
pub mod paths;
pub mod plan;
mod traverse;

pub use audit::Audit;
pub use blast::{BlastRadius, Exposed, Reached, Summary};
pub use exposure::Exposure;
pub use harden::Harden;
pub use paths::Paths;
pub use traverse::{Bfs, Removed};
