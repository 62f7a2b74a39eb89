//! Business days, and scheduling from each item's go-live date: backward for the stages before
//! it, forward for the stages after it (`after_golive`; docs/dates.md).

mod backward;
mod calendar;
mod types;
mod waits;

pub use backward::{expand_items, schedule, schedule_at};
pub use calendar::BusinessCalendar;
pub use types::*;
pub use waits::waits_for;

#[cfg(test)]
mod tests;
