//! What every grid connector answers the same way: a made entry row, and what a grid holds.
//! (A change by kind is [`throughline_connector::change_view`].)

use throughline_connector::{Applied, Capabilities, StateSupport};

use crate::mapping::{Field, GridMapping};

/// What a made entry row is answered with: its identity is its remote id.
pub fn entry_created(remote_id: String) -> Applied {
    Applied::Created {
        remote_id,
        entries: Vec::new(),
        version: None,
    }
}

/// What a grid holds: every field its mapping has a column for, changes of any number at
/// once (one write per cycle).
pub fn capabilities(mapping: &GridMapping, states: StateSupport) -> Capabilities {
    let has = |f| mapping.has(f);
    Capabilities {
        states,
        description: has(Field::Description),
        owner: has(Field::Owner),
        start: has(Field::Start),
        due: has(Field::Due),
        entry_owner: has(Field::Owner),
        entry_due: has(Field::Due),
        batch_size: usize::MAX,
    }
}
