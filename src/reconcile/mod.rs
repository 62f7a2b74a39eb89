//! The sync decision table: desired tasks × link rows × observed remote state → a [`Plan`].
//!
//! Pure code: no I/O, no clock. Everything it needs comes in as arguments, everything it
//! decides goes out as data; the engine does the talking and the journaling. That is what lets
//! every rule below be tested exhaustively and under random edits.
//!
//! Per identity (a task `item/stage` or an entry `item/stage/key`) in one target:
//!
//! | desired | link | observed            | decision                                              |
//! |---------|------|---------------------|-------------------------------------------------------|
//! | yes     | no   | no                  | create (after an intent is journaled)                 |
//! | yes     | no   | yes (by identity)   | adopt: link it, then compare as below                 |
//! | yes     | yes  | yes                 | push what the hub moved; drift per mapping; pull state|
//! | yes     | yes  | archived            | revive, shown as its own plan line                    |
//! | yes     | yes  | gone                | re-create (the tool lost it; the hub did not)         |
//! | no      | yes  | yes, not archived   | archive (never delete)                                |
//! | no      | yes  | archived or gone    | mark the link archived, nothing sent                  |
//! | no      | no   | yes                 | unknown marker: reported, never touched               |
//!
//! Fields the hub owns (title, description, group, owner, dates, entry texts) move from hub to
//! tool. For each field: the hub moved it when desired ≠ last pushed; the tool moved it (drift)
//! when observed ≠ last pushed. Drift is reverted, accepted into the hub, or ignored, per
//! mapping. Status (task state, checked entries) is owned by the tools: a tool moved it when
//! observed ≠ last pulled; the moves of all tools are merged into the hub first
//! ([`merge_status`]), conflicts settled by the `[sync] conflict` policy and recorded, and only
//! then is the hub's status pushed where a tool differs — so a tick is never overwritten by a
//! push, and reaches every other tool in the same cycle.
//!
//! Safety stops: a target that suddenly looks empty while links exist, or a plan that would
//! archive more than `max_archive_share` of a target's linked tasks, stops that target.

mod fields;
mod plan;
mod status;
#[cfg(test)]
mod tests;

pub use fields::{DriftAction, DriftPolicy, FieldOverride, PushedRecord, from_map, to_map};
pub use plan::{
    ChangeKind, Drift, EntryLinkAfter, LinkAfter, PlannedChange, SafetyStop, TargetInput,
    TargetPlan, Unknown, plan_target,
};
pub use status::{Conflict, HubStatus, Pull, StatusUpdate, merge_status};
