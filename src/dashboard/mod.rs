//! The web dashboard: what the daemon serves at `/` on its listen address, and what
//! `throughline serve` serves read-only without running cycles.
//!
//! Everything is served by the binary itself (no CDN, no outside request), pages are readable
//! without JavaScript, and Hebrew playbooks render right to left. Pages read the model and the
//! state store; the only writes are the signed-in actions in [`actions`], each recorded with
//! who and when.

pub mod actions;
pub mod auth;
