//! Business days and backward scheduling from each item's go-live date (DESIGN.md section 2).

mod types;

pub use types::*;
