//! The files a user writes: `throughline.toml`, playbooks and items (DESIGN.md section 1).

pub mod diag;
mod types;

pub use diag::{Diagnostic, Diagnostics, Source};
pub use types::*;
mod load;

pub use load::load;
