use jiff::civil::Date;
use serde::Serialize;

/// Every task of every item, with dates and owners, and what looked wrong.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schedule {
    /// In item order (items as written, then cadence items by date), then stage order.
    pub tasks: Vec<Task>,
    pub warnings: Vec<Warning>,
}

/// One stage of one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    /// `item/stage`
    pub id: String,
    pub item: String,
    pub item_title: String,
    pub process: String,
    pub stage: String,
    pub stage_name: String,
    /// Role id of the stage's owner.
    pub role: String,
    /// The person doing it; `None` when the role names nobody.
    pub owner: Option<String>,
    /// The owner is away and `owner` is the role's backup.
    pub backup_for: Option<String>,
    pub start: Date,
    pub due: Date,
    pub days: u32,
    pub golive: Date,
    pub channel: Option<String>,
    pub notes: Option<String>,
    pub checklist: Vec<EntryTask>,
}

/// One checklist entry of one task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryTask {
    /// `item/stage/key`
    pub id: String,
    pub key: String,
    pub text: String,
    pub role: String,
    pub owner: Option<String>,
    pub due: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The go-live date is not a business day; the last stage is due the business day before.
    GoliveNotBusinessDay,
    /// The task starts before today.
    StartsInPast,
    /// A person has more overlapping tasks than the role's `max_parallel`.
    Overloaded,
    /// The owner and the backup are both away.
    NobodyAvailable,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub task: Option<String>,
    pub person: Option<String>,
    pub message: String,
}
