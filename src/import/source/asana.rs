//! An Asana project's CSV export (project menu > Export/Print > CSV). Its columns are fixed:
//!
//! `Task ID, Created At, Completed At, Last Modified, Name, Section/Column, Assignee,
//! Assignee Email, Start Date, Due Date, Tags, Notes, Projects, Parent task, …`
//!
//! It is read like any CSV file, with the export's own meaning given to its columns: the
//! task is `Name`, the owner `Assignee Email` (else `Assignee`), a task is done when it has a
//! `Completed At` date, and `Projects` groups the tasks. Subtasks (a `Parent task`) are tasks
//! of their own, grouped with their parent's project.

use crate::import::grid::Value;

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

/// Rename the export's columns to the titles the import reads, and turn `Completed At` into a
/// Status column. Returns a note for the report.
pub fn reshape(rows: &mut [Vec<Value>]) -> String {
    let Some((header, data)) = rows.split_first_mut() else {
        return String::new();
    };
    let col = |name: &str| header.iter().position(|v| title(v) == Some(name));
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
        for row in data.iter_mut() {
            let empty_row = row.iter().all(Value::is_blank);
            if let Some(v) = row.get_mut(c) {
                if v.is_blank() {
                    if !empty_row {
                        *v = Value::Text("To do".into());
                    }
                } else {
                    done += 1;
                    *v = Value::Text("Done".into());
                }
            }
        }
    }
    format!(
        "read as an Asana CSV export: Name is the task, {} the owner, a Completed At date marks \
         it done ({done} done), Projects groups the tasks",
        if has_emails {
            "Assignee Email"
        } else {
            "Assignee"
        }
    )
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
        let note = reshape(&mut rows);
        assert!(note.contains("1 done"), "{note}");
        let titles: Vec<String> = rows[0].iter().filter_map(Value::text).collect();
        for t in ["Task", "Owner", "Due date", "Status", "Project", "ID"] {
            assert!(titles.iter().any(|x| x == t), "{t} in {titles:?}");
        }
        assert_eq!(rows[1][2], Value::Text("Done".into()));
        assert_eq!(rows[2][2], Value::Text("To do".into()));
    }
}
