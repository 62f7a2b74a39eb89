//! Read-only views of a deployment for people: the process flowchart (`graph`).

pub mod graph;
