//! Business days and backward scheduling from each item's go-live date (docs/dates.md).

mod backward;
mod calendar;
mod types;

pub use backward::{expand_items, schedule, schedule_at};
pub use calendar::BusinessCalendar;
pub use types::*;

#[cfg(test)]
mod tests;
