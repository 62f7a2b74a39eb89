//! Views for people: the process flowchart (`graph`), a cycle's plan (`plan`, `sync`) and
//! where work stands (`status`).

pub mod build;
pub mod calendar;
pub mod charts;
pub mod graph;
pub mod html;
pub mod insight;
pub mod mine;
pub mod plan;
pub mod status;
pub mod xlsx;
