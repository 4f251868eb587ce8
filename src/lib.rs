//! trustpath: incident response for non-human identities.
//!
//! Load exports into a [`model::TrustGraph`] ([`import`]), compute what a compromise
//! reaches ([`analysis`]), and write it for people and tools ([`report`]). The binary is a
//! thin shell over [`app::run`].

pub mod analysis;
pub mod app;
pub mod atomic;
pub mod cli;
mod cores;
pub mod glob;
pub mod import;
pub mod model;
pub mod report;
mod runs;
pub mod shell;
mod sparse;
mod status;
pub mod synth;
pub mod tui;
