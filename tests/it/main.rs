//! The root crate's integration tests, in one binary (as ripgrep does): one link instead of
//! one per file, and a fraction of the disk. Each module was a test binary of its own; run one
//! with `cargo test -p throughline --test it <module>::`.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;
mod daemon_support;
mod dashboard_actions;
mod dashboard_actions_browser;
mod dashboard_security;
#[macro_use]
#[path = "../../src/state/conformance.rs"]
mod store_conformance;
#[path = "../fuzz_support/mutate.rs"]
mod mutate;
#[path = "../fuzz_support/zipped.rs"]
mod zipped;

mod all_tools;
mod asana_trello_excel;
mod bad_input;
mod blocked;
mod calendar;
mod calendar_daemon;
mod cli_sync;
mod daemon_bench;
mod daemon_cli;
mod daemon_handoffs;
mod daemon_reminders;
mod daemon_review;
mod daemon_service;
mod daemon_state;
mod dashboard_pages;
mod demo;
mod engine_invariants;
mod engine_props;
mod examples;
mod excel_sync;
mod exit_codes;
mod failover;
mod fuzz_hooks;
mod fuzz_import;
mod fuzz_mappings;
mod fuzz_model;
mod hardening_permissions;
mod hardening_webhooks;
mod hebrew_roundtrip;
mod import;
mod import_bad_input;
mod import_corpus;
mod import_exports;
mod insight_rehearsal;
mod mermaid;
mod messages_causes;
mod messages_progress;
mod metrics_tab;
mod model_load;
mod people_asana;
mod people_unmapped;
mod postgres_migrate;
mod postgres_server;
mod postgres_store;
mod readme_quickstart;
mod readme_walkthrough;
mod realtime;
mod realtime_bench;
mod realtime_flow;
mod report_outputs;
mod safety_daemon;
mod safety_markers;
mod safety_readoption;
mod safety_stops;
mod safety_target_reset;
mod schedule_cli;
mod schedule_forward;
mod schedule_props;
mod schedule_warnings_cli;
mod state_sqlite;
mod status_owner;
mod status_words_excel;
mod status_words_sheets;
mod trello_excel;
