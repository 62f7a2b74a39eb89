//! throughline: one marketing playbook, kept in step across the tools each team already uses.
//!
//! The library holds everything; `src/main.rs` is only the command line around it.
//! - [`model`]: the files a user writes, parsed with spans and validated;
//! - [`schedule`]: business days and backward scheduling;
//! - [`reconcile`]: the pure sync decision table;
//! - [`engine`]: one sync cycle with its journal;
//! - [`state`]: the SQLite state store.

pub mod daemon;
pub mod dashboard;
pub mod engine;
pub mod import;
pub mod insight;
pub mod model;
pub mod reconcile;
pub mod report;
pub mod schedule;
pub mod state;
