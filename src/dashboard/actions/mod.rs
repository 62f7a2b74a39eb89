//! What a signed-in user can do from the dashboard: sync now, settle a conflict by choosing a
//! side, accept a drift into the playbook (the TOML file changed with a backup and validated
//! again before it is kept), snooze a recommendation. Every action is recorded in the state
//! store with who and when.
