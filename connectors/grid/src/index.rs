//! Which identity rows are tasks and which are checklist entries (and of which task).
//!
//! An entry's identity extends its task's (`item/stage/key` under `item/stage`, read with
//! [`Identity`]): that is how it finds its task after people sort the sheet. An entry whose
//! task row is gone is an orphan: kept in the sheet, not observed, taken over when its task is
//! made again; so is text with more parts than an identity has. A second row with the same
//! identity (a person's copy) gets the remote id `identity#2`.

use std::collections::{HashMap, HashSet};

use throughline_connector::identity::Identity;

/// A task row and its entry rows; `L` is where the tool finds a row.
#[derive(Debug, Clone)]
pub struct TaskRow<L> {
    /// The id the engine knows the row by.
    pub remote_id: String,
    /// The identity in the row.
    pub identity: String,
    /// Where the row is.
    pub loc: L,
    /// Its checklist entries, in row order.
    pub entries: Vec<EntryRow<L>>,
}

/// A checklist entry row.
#[derive(Debug, Clone)]
pub struct EntryRow<L> {
    /// The id the engine knows the row by.
    pub remote_id: String,
    /// The identity in the row.
    pub identity: String,
    /// Where the row is.
    pub loc: L,
}

/// Every identity row, tasks with their entries, in the order given.
#[derive(Debug)]
pub struct Index<L> {
    /// Task rows with their entries.
    pub tasks: Vec<TaskRow<L>>,
    /// Entry rows whose task row is gone (a person deleted it): kept, not observed.
    pub orphans: Vec<EntryRow<L>>,
}

impl<L: Copy> Index<L> {
    /// Sort identity rows into tasks and entries; `rows` are in sheet and row order.
    pub fn build<'a>(rows: impl IntoIterator<Item = (&'a str, L)>) -> Index<L> {
        let rows: Vec<(&str, L)> = rows.into_iter().collect();
        let ids: HashSet<&str> = rows.iter().map(|(id, _)| *id).collect();
        let mut count: HashMap<&str, usize> = HashMap::new();
        let mut index = Index {
            tasks: Vec::new(),
            orphans: Vec::new(),
        };
        let mut task_at: HashMap<&str, usize> = HashMap::new();
        let mut entries: Vec<(String, EntryRow<L>)> = Vec::new();
        for &(id, loc) in &rows {
            let n = count.entry(id).or_insert(0);
            *n += 1;
            let entry = EntryRow {
                remote_id: if *n == 1 {
                    id.to_owned()
                } else {
                    format!("{id}#{n}")
                },
                identity: id.to_owned(),
                loc,
            };
            match Identity::parse(id) {
                Ok(parsed) if parsed.is_entry() => {
                    let task = parsed.task_identity().to_string();
                    if ids.contains(task.as_str()) {
                        entries.push((task, entry));
                    } else {
                        index.orphans.push(entry);
                    }
                }
                // Text with more parts, or empty ones, is no row of a task: kept, not observed.
                Err(_) if id.matches('/').count() >= 2 => index.orphans.push(entry),
                // A task (or an ID of a person's own, which the engine reports).
                _ => {
                    task_at.entry(id).or_insert(index.tasks.len());
                    index.tasks.push(TaskRow {
                        remote_id: entry.remote_id,
                        identity: entry.identity,
                        loc,
                        entries: Vec::new(),
                    });
                }
            }
        }
        for (parent, entry) in entries {
            match task_at.get(parent.as_str()) {
                Some(&t) => index.tasks[t].entries.push(entry),
                None => index.orphans.push(entry),
            }
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_find_their_task_wherever_they_are() {
        let rows = [
            ("spring/copy/outline", 0),
            ("spring/copy", 1),
            ("spring/design", 2),
            ("spring/copy/draft", 3),
            ("spring/copy", 4),
            ("autumn/copy/gone", 5),
            ("notes", 6),
            ("spring/copy/a/b", 7),
        ];
        let index = Index::build(rows);
        let tasks: Vec<(&str, usize, Vec<&str>)> = index
            .tasks
            .iter()
            .map(|t| {
                (
                    t.remote_id.as_str(),
                    t.loc,
                    t.entries.iter().map(|e| e.remote_id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            tasks,
            [
                (
                    "spring/copy",
                    1,
                    vec!["spring/copy/outline", "spring/copy/draft"]
                ),
                ("spring/design", 2, vec![]),
                ("spring/copy#2", 4, vec![]),
                ("notes", 6, vec![]),
            ]
        );
        let orphans: Vec<&str> = index.orphans.iter().map(|e| e.remote_id.as_str()).collect();
        assert_eq!(orphans, ["autumn/copy/gone", "spring/copy/a/b"]);
    }
}
