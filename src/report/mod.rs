//! Views for people: the process flowchart (`graph`), a cycle's plan (`plan`, `sync`) and
//! where work stands (`status`).

pub mod calendar;
pub mod graph;
pub mod insight;
pub mod plan;
pub mod status;
