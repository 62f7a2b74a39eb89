//! The files a user writes: `throughline.toml`, playbooks and items (docs/files.md).

mod dashboard;
pub mod diag;
mod fields;
mod mapping;
mod metric;
mod people;
mod raw;
mod review;
mod service;
mod types;
mod validate;

pub use dashboard::DashboardSettings;
pub use diag::{Diagnostic, Diagnostics, Source};
pub use metric::{Metric, MetricBy};
pub use review::ReviewSettings;
pub use types::*;
mod load;

pub use load::load;
