//! An Asana project's CSV export (project menu > Export/Print > CSV). Its columns are fixed:
//!
//! `Task ID, Created At, Completed At, Last Modified, Name, Section/Column, Assignee,
//! Assignee Email, Start Date, Due Date, Tags, Notes, Projects, Parent task, …`
//!
//! It is read like any CSV file, with the export's own meaning given to its columns: the
//! task is `Name`, the owner `Assignee Email` (else `Assignee`), a task is done when it has a
//! `Completed At` date, and `Projects` groups the tasks.
//!
//! A subtask (a row whose `Parent task` names another row) is a step of its parent's task, done
//! when completed: throughline writes a stage's checklist to Asana as subtasks, so the import
//! reads them back as that task's checklist. A subtask of a subtask is a step of the task at
//! the top. The export names a parent by its name; of several rows with that name, the nearest
//! above is the parent (the export lists subtasks after their parent), else the first below.

use std::collections::{HashMap, HashSet};

use crate::import::grid::{Step, Value};

/// The export's columns that tell it apart from a sheet someone made.
const MARKS: [&str; 4] = [
    "Task ID",
    "Completed At",
    "Section/Column",
    "Assignee Email",
];

fn title(v: &Value) -> Option<&str> {
    match v {
        Value::Text(t) => Some(t.trim()),
        _ => None,
    }
}

/// Whether this row is the header of an Asana export.
pub fn is_header(row: &[Value]) -> bool {
    MARKS
        .iter()
        .all(|m| row.iter().any(|v| title(v) == Some(*m)))
}

/// Subtasks as the steps of their top-level task (by the task's absolute row; the header is
/// row 0), and the notes that say so.
#[derive(Debug, Default)]
pub struct Nested {
    pub steps: HashMap<u32, Vec<Step>>,
    /// The subtasks' own rows: not tasks.
    pub step_rows: HashSet<u32>,
    pub notes: Vec<String>,
}

/// Rename the export's columns to the titles the import reads, turn `Completed At` into a
/// Status column, and make subtasks the steps of their parents' tasks. Returns the notes for
/// the report and the steps.
pub fn reshape(rows: &mut [Vec<Value>]) -> Nested {
    let Some((header, data)) = rows.split_first_mut() else {
        return Nested::default();
    };
    let col = |name: &str| header.iter().position(|v| title(v) == Some(name));
    let mut nested = match (col("Name"), col("Parent task")) {
        (Some(name), Some(parent)) => subtasks(data, name, parent, col("Completed At")),
        _ => Nested::default(),
    };
    let email = col("Assignee Email");
    let has_emails =
        email.is_some_and(|c| data.iter().any(|r| r.get(c).is_some_and(|v| !v.is_blank())));
    let renames: [(&str, &str); 8] = [
        ("Name", "Task"),
        ("Task ID", "ID"),
        ("Due Date", "Due date"),
        ("Start Date", "Start date"),
        ("Projects", "Project"),
        ("Notes", "Notes"),
        ("Section/Column", "Section"),
        ("Tags", "Tags"),
    ];
    let found: Vec<(usize, &str)> = renames
        .iter()
        .filter_map(|(from, to)| col(from).map(|c| (c, *to)))
        .collect();
    let (assignee, completed) = (col("Assignee"), col("Completed At"));
    for (c, to) in found {
        header[c] = Value::Text(to.into());
    }
    // One owner column: the e-mail when the export has them, else the name.
    if let (Some(e), Some(a)) = (email, assignee) {
        let (owner, other) = if has_emails { (e, a) } else { (a, e) };
        header[owner] = Value::Text("Owner".into());
        header[other] = Value::Text("Assignee (not imported)".into());
    }
    let mut done = 0;
    if let Some(c) = completed {
        header[c] = Value::Text("Status".into());
        for (k, row) in data.iter_mut().enumerate() {
            let empty_row = row.iter().all(Value::is_blank);
            let task = !nested.step_rows.contains(&(k as u32 + 1));
            if let Some(v) = row.get_mut(c) {
                if v.is_blank() {
                    if !empty_row {
                        *v = Value::Text("To do".into());
                    }
                } else {
                    done += usize::from(task);
                    *v = Value::Text("Done".into());
                }
            }
        }
    }
    nested.notes.insert(
        0,
        format!(
            "read as an Asana CSV export: Name is the task, {} the owner, a Completed At date \
             marks it done ({done} done), Projects groups the tasks",
            if has_emails {
                "Assignee Email"
            } else {
                "Assignee"
            }
        ),
    );
    nested
}

/// The subtasks of `data` (the rows under the header) as steps of their top-level tasks.
fn subtasks(data: &[Vec<Value>], name: usize, parent: usize, completed: Option<usize>) -> Nested {
    fn cell(r: &[Value], c: usize) -> Option<&str> {
        r.get(c).and_then(title).filter(|t| !t.is_empty())
    }
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, r) in data.iter().enumerate() {
        if let Some(n) = cell(r, name) {
            by_name.entry(n).or_default().push(k);
        }
    }
    // Each subtask's parent row: the nearest above with that name, else the first below.
    let direct: Vec<Option<usize>> = data
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let rows = by_name.get(cell(r, parent)?)?;
            let above = rows.iter().rev().find(|j| **j < k);
            above.or_else(|| rows.iter().find(|j| **j > k)).copied()
        })
        .collect();
    let mut out = Nested::default();
    let (mut steps, mut completed_steps, mut deeper, mut orphans) = (0, 0, 0, 0);
    for (k, r) in data.iter().enumerate() {
        let (Some(text), Some(_)) = (cell(r, name), cell(r, parent)) else {
            continue;
        };
        // Up to the task at the top; a chain that loops has none.
        let (mut top, mut hops) = (k, 0);
        while let Some(p) = direct[top].filter(|_| hops <= data.len()) {
            (top, hops) = (p, hops + 1);
        }
        if top == k || direct[top].is_some() {
            orphans += 1;
            continue;
        }
        let done = completed.is_some_and(|c| r.get(c).is_some_and(|v| !v.is_blank()));
        (steps, completed_steps) = (steps + 1, completed_steps + usize::from(done));
        deeper += usize::from(hops > 1);
        out.steps.entry(top as u32 + 1).or_default().push(Step {
            text: text.to_string(),
            done,
        });
        out.step_rows.insert(k as u32 + 1);
    }
    out.notes = subtask_notes(steps, completed_steps, deeper, orphans);
    out
}

fn subtask_notes(steps: usize, completed: usize, deeper: usize, orphans: usize) -> Vec<String> {
    let mut notes = Vec::new();
    if steps > 0 {
        notes.push(format!(
            "{steps} subtask{} became checklist steps of {} ({completed} completed, kept as \
             done); a subtask's own assignee, dates and notes are not imported (a step is due \
             with its task and owned by its owner)",
            if steps == 1 { "" } else { "s" },
            if steps == 1 {
                "its parent's task"
            } else {
                "their parents' tasks"
            }
        ));
    }
    if deeper > 0 {
        notes.push(if deeper == 1 {
            "1 subtask of a subtask became a step of the task at the top".to_string()
        } else {
            format!("{deeper} subtasks of subtasks became steps of the tasks at the top")
        });
    }
    if orphans > 0 {
        notes.push(if orphans == 1 {
            "1 subtask whose parent task is not in the export is imported as a task of its own"
                .to_string()
        } else {
            format!(
                "{orphans} subtasks whose parent tasks are not in the export are imported as \
                 tasks of their own"
            )
        });
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<Value> {
        cells
            .iter()
            .map(|c| {
                if c.is_empty() {
                    Value::Empty
                } else {
                    Value::Text(c.to_string())
                }
            })
            .collect()
    }

    #[test]
    fn the_export_is_recognised_and_reshaped() {
        let mut rows = vec![
            row(&[
                "Task ID",
                "Created At",
                "Completed At",
                "Last Modified",
                "Name",
                "Section/Column",
                "Assignee",
                "Assignee Email",
                "Start Date",
                "Due Date",
                "Tags",
                "Notes",
                "Projects",
                "Parent task",
            ]),
            row(&[
                "1201",
                "2026-01-02",
                "2026-01-05",
                "2026-01-05",
                "Brief",
                "Plan",
                "Dana Levi",
                "dana@example.com",
                "",
                "2026-01-05",
                "",
                "",
                "Launch",
                "",
            ]),
            row(&[
                "1202",
                "2026-01-02",
                "",
                "2026-01-05",
                "Copy",
                "Make",
                "Noa",
                "noa@example.com",
                "",
                "2026-01-09",
                "",
                "",
                "Launch",
                "",
            ]),
        ];
        assert!(is_header(&rows[0]));
        assert!(!is_header(&row(&["Task", "Owner", "Due date"])));
        let nested = reshape(&mut rows);
        assert!(nested.notes[0].contains("1 done"), "{:?}", nested.notes);
        assert!(nested.steps.is_empty());
        let titles: Vec<String> = rows[0].iter().filter_map(Value::text).collect();
        for t in ["Task", "Owner", "Due date", "Status", "Project", "ID"] {
            assert!(titles.iter().any(|x| x == t), "{t} in {titles:?}");
        }
        assert_eq!(rows[1][2], Value::Text("Done".into()));
        assert_eq!(rows[2][2], Value::Text("To do".into()));
    }

    #[test]
    fn a_subtask_is_a_step_of_the_nearest_task_above_with_its_parents_name() {
        let text = |t: &str| {
            if t.is_empty() {
                Value::Empty
            } else {
                Value::Text(t.into())
            }
        };
        // Name, Parent task, Completed At.
        let data: Vec<Vec<Value>> = [
            ["Brief", "", ""],
            ["Copy", "", ""],
            ["Check", "Brief", "2026-01-02"],
            ["Brief", "", ""],
            ["Check", "Brief", ""],
            ["Ask", "Check", "2026-01-03"],
            ["Loop a", "Loop b", ""],
            ["Loop b", "Loop a", ""],
            ["Lost", "Nowhere", ""],
        ]
        .iter()
        .map(|r| r.iter().map(|c| text(c)).collect())
        .collect();
        let n = subtasks(&data, 0, 1, Some(2));
        // Rows are absolute: the header is row 0, so data row k is row k + 1.
        let steps = |row: u32| n.steps.get(&row).cloned().unwrap_or_default();
        let step = |t: &str, done: bool| Step {
            text: t.into(),
            done,
        };
        assert_eq!(steps(1), [step("Check", true)]);
        assert_eq!(steps(4), [step("Check", false), step("Ask", true)]);
        assert_eq!(steps(2), []);
        let mut rows: Vec<u32> = n.step_rows.iter().copied().collect();
        rows.sort();
        assert_eq!(rows, [3, 5, 6], "the loop and the orphan stay tasks");
        assert!(
            n.notes
                .iter()
                .any(|t| t.contains("3 subtasks whose parent")),
            "{:?}",
            n.notes
        );
    }
}
