//! `[review]` in `throughline.toml`: the weekly review the daemon sends — the report of the
//! last week and the open recommendations, as one HTML page — to people by e-mail and into a
//! folder.
//!
//! ```toml
//! [review]
//! at = "thu 16:00"                         # weekday and time, in the daemon's time zone
//! to = ["lead@example.com", "ops@example.com"]   # needs [reminders] email = { ... }
//! folder = "reviews"                       # review-YYYY-MM-DD.html, relative to this file
//! ```

use std::path::{Path, PathBuf};

use jiff::civil::{Time, Weekday};

use super::fields::{At, Expect, Fields, Problems, parse_weekday};

/// `[review]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewSettings {
    pub weekday: Weekday,
    /// Local time, in the daemon's time zone.
    pub at: Time,
    /// Addresses the review is mailed to (by `[reminders] email`).
    pub to: Vec<String>,
    /// Where a copy of each review is written, when set.
    pub folder: Option<PathBuf>,
}

#[derive(Debug)]
pub(crate) struct RawReview {
    pub at_table: At<()>,
    pub at: Option<At<String>>,
    pub to: Option<At<Vec<At<String>>>>,
    pub folder: Option<At<String>>,
}

pub(crate) fn read(top: &Fields<'_, '_>, problems: &mut Problems) -> Option<RawReview> {
    let t = top.table(
        "review",
        "[review]",
        Expect {
            what: "a table",
            example: "[review] with at = \"thu 16:00\" under it",
        },
        problems,
    )?;
    t.check_keys(&["at", "to", "folder"], problems);
    let at_expect = Expect {
        what: "a weekday and a time in quotes",
        example: "\"thu 16:00\"",
    };
    if t.get("at").is_none() {
        t.missing("at", at_expect, problems);
    }
    Some(RawReview {
        at_table: t.at(()),
        at: t.str("at", at_expect, problems),
        to: t.str_list(
            "to",
            Expect {
                what: "a list of e-mail addresses in quotes",
                example: "[\"lead@example.com\"]",
            },
            problems,
        ),
        folder: t.text(
            "folder",
            Expect {
                what: "a folder in quotes",
                example: "\"reviews\"",
            },
            problems,
        ),
    })
}

/// `"thu 16:00"` → (Thursday, 16:00).
pub(crate) fn parse_at(text: &str) -> Result<(Weekday, Time), String> {
    let hint = "write a weekday and a time, like \"thu 16:00\"";
    let mut parts = text.split_whitespace();
    let (Some(day), Some(time), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "`at = \"{text}\"` is not a weekday and a time; {hint}"
        ));
    };
    let weekday = parse_weekday(day).ok_or_else(|| format!("`{day}` is not a weekday; {hint}"))?;
    let at: Time = time
        .parse()
        .map_err(|_| format!("`{time}` is not a time of day (HH:MM); {hint}"))?;
    Ok((weekday, at))
}

/// Resolve `[review]`; mailing needs an SMTP server (`[reminders] email`), and a review must
/// go somewhere.
pub(crate) fn resolve(
    raw: Option<&RawReview>,
    base: &Path,
    can_mail: bool,
    problems: &mut Problems,
) -> Option<ReviewSettings> {
    let raw = raw?;
    let (weekday, at) = match raw.at.as_ref().map(|at| (at, parse_at(&at.value))) {
        Some((_, Ok(parsed))) => parsed,
        Some((at, Err(message))) => {
            problems.at(at, message);
            return None;
        }
        None => return None,
    };
    let mut to = Vec::new();
    for address in raw.to.iter().flat_map(|list| &list.value) {
        if address.value.contains('@') && !address.value.contains(char::is_whitespace) {
            to.push(address.value.clone());
        } else {
            problems.at(
                address,
                format!(
                    "`{}` is not an e-mail address; write one like \"lead@example.com\"",
                    address.value
                ),
            );
        }
    }
    if let Some(list) = &raw.to
        && !list.value.is_empty()
        && !can_mail
    {
        problems.at(
            list,
            "mailing the review needs an SMTP server: add email = { host = \"smtp.example.com\", \
             from = \"ops@example.com\" } under [reminders], or leave `to` out and set `folder`",
        );
    }
    let folder = raw.folder.as_ref().map(|f| base.join(&f.value));
    if raw.to.as_ref().is_none_or(|l| l.value.is_empty()) && folder.is_none() {
        problems.at(
            &raw.at_table,
            "the review goes nowhere: add to = [\"lead@example.com\"] or folder = \"reviews\" \
             under [review]",
        );
        return None;
    }
    Some(ReviewSettings {
        weekday,
        at,
        to,
        folder,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_is_a_weekday_and_a_time() {
        assert_eq!(
            parse_at("thu 16:00"),
            Ok((Weekday::Thursday, Time::constant(16, 0, 0, 0)))
        );
        assert_eq!(
            parse_at("Sunday 09:30"),
            Ok((Weekday::Sunday, Time::constant(9, 30, 0, 0)))
        );
        assert!(
            parse_at("16:00")
                .unwrap_err()
                .contains("like \"thu 16:00\"")
        );
        assert!(
            parse_at("thr 16:00")
                .unwrap_err()
                .contains("`thr` is not a weekday")
        );
        assert!(
            parse_at("thu 4pm")
                .unwrap_err()
                .contains("`4pm` is not a time")
        );
    }
}
