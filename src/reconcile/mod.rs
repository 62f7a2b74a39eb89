//! The sync decision table: desired tasks × link rows × observed remote state → a [`TargetPlan`].
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
//! | yes     | no   | 2+ live, same id    | adoption conflict: none adopted, all reported; stop   |
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
//! push, and reaches every other tool in the same cycle. An adopted object with no history (no
//! link, no create journaled by this engine: the state file was lost, or the target reset)
//! tells what it holds even when that equals the hub's; where tools disagree, or disagree with
//! a status the hub recorded, nothing says who moved, so the policy settles it with the tools'
//! modification times (and the hub's time of record), and it is recorded as a conflict.
//!
//! The status rows, per task and target ("pull state" above). A tool holds what its
//! [`StateSupport`](throughline_connector::StateSupport) allows: done-or-not (blocked and
//! doing read as to do), done-blocked-or-not (a label, tag or field option marks blocked;
//! doing reads as to do), or all four states (a status column). A blocked task's reason moves
//! with it where the tool has a place for one:
//!
//! | the tool, since last pulled                     | the hub              | decision                                   |
//! |-------------------------------------------------|----------------------|--------------------------------------------|
//! | same state, same reason                         | same                 | nothing                                    |
//! | same state, same reason                         | moved (another tool) | push state (and reason) to the tool        |
//! | moved to blocked, with reason R                 | any                  | pull: hub blocked (R), the state before kept |
//! | still blocked, reason R → R'                    | blocked              | pull: hub's reason R' (an empty one clears it) |
//! | blocked-or-not tool: "not blocked" (to do)      | blocked              | pull: back to the state before blocked (doing stays doing) |
//! | status column: a state typed over blocked       | blocked              | pull: that state                           |
//! | done-or-not tool: not done                      | blocked              | nothing: blocked shows there as not done   |
//! | blocked in two tools, other reasons             | any                  | no conflict: the newest reason is kept     |
//! | blocked in one tool, done in another            | any                  | conflict, settled by `[sync] conflict`     |
//! | no place for a reason                           | blocked, reason R    | label/tag/word only; the reason stays in the hub |
//!
//! Safety stops, checked in this order; the first that fires stops the target: its plan then
//! holds no changes, only [`SafetyStop::held_back`] counts, and the stop names its way past.
//!
//! | stop              | fires when                                                 | way past            |
//! |-------------------|------------------------------------------------------------|---------------------|
//! | suddenly empty    | links exist, the tool shows no object with an identity     | `target reset ID`   |
//! | adoption conflict | 2+ live objects claim one identity, no link says which     | fix it in the tool  |
//! | mass archive      | task archives > `max_archive_share` × linked tasks         | `--allow-mass-archive` |
//! | mass re-create    | 2+ task re-creates, > `max_recreate_share` × linked tasks  | `--allow-recreate`  |
//! | mass create       | task creates + re-creates > `max_creates`, or 2+ creates > `max_create_share` × linked tasks (only once something is linked) | `--allow-mass-create` |

mod fields;
mod plan;
mod status;
#[cfg(test)]
mod tests;

pub use fields::{DriftAction, DriftPolicy, FieldOverride, PushedRecord, from_map, to_map};
pub use plan::{
    ChangeKind, Drift, EntryLinkAfter, HeldBack, LinkAfter, PlannedChange, SafetyStop, StopKind,
    TargetInput, TargetPlan, Unknown, UnknownWord, plan_target,
};
pub use status::{Conflict, HubState, HubStatus, HubTimes, Pull, StatusUpdate, merge_status};
