//! A target's failed changes grouped by cause: when one reason (a missing folder, a workbook
//! open in Excel, a refused token) fails every change, people get one line with the count and
//! the fix, not one identical line per task.

use throughline_connector::ConnectorError;

use super::TargetOutcome;

/// One reason changes failed, and the tasks it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureCause<'a> {
    /// What the tool or file said, with its fix: the same text for every change it failed.
    pub message: String,
    pub identities: Vec<&'a str>,
}

impl TargetOutcome {
    /// The failed changes grouped by what went wrong, in the order each cause first appeared.
    pub fn failures_by_cause(&self) -> Vec<FailureCause<'_>> {
        group(&self.failed)
    }
}

fn group(failed: &[(String, ConnectorError)]) -> Vec<FailureCause<'_>> {
    let mut causes: Vec<FailureCause<'_>> = Vec::new();
    for (identity, error) in failed {
        let message = error.to_string();
        match causes.iter_mut().find(|c| c.message == message) {
            Some(c) => c.identities.push(identity),
            None => causes.push(FailureCause {
                message,
                identities: vec![identity],
            }),
        }
    }
    causes
}

/// "1 change", "54 changes".
pub fn changes(n: usize) -> String {
    format!("{n} change{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fatal(message: &str) -> ConnectorError {
        ConnectorError::Fatal {
            message: message.into(),
        }
    }

    #[test]
    fn the_same_reason_is_one_cause_in_first_seen_order() {
        let failed = vec![
            ("a/copy".to_string(), fatal("the folder is missing")),
            ("a/design".to_string(), fatal("dana has no account")),
            ("b/copy".to_string(), fatal("the folder is missing")),
        ];
        let causes = group(&failed);
        assert_eq!(causes.len(), 2);
        assert_eq!(causes[0].message, "the folder is missing");
        assert_eq!(causes[0].identities, ["a/copy", "b/copy"]);
        assert_eq!(causes[1].identities, ["a/design"]);
        assert_eq!(changes(1), "1 change");
        assert_eq!(changes(54), "54 changes");
    }
}
