//! Progress on standard error (`indicatif`), shown only on a terminal and only for work big
//! enough to notice: bars for reading rows, a spinner line for work that counts no rows of its
//! own (checking the files `import` wrote, each target of a sync). Nothing is drawn when
//! standard error is not a terminal, or when the caller asked for none (`--json`).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// Decides whether bars are drawn at all.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
    /// Rows (or bytes, for text files) below which no bar is shown.
    threshold: u64,
}

impl Progress {
    /// Bars on standard error when `enabled` (the caller checks it is a terminal).
    pub fn new(enabled: bool) -> Self {
        Progress {
            enabled,
            threshold: 5_000,
        }
    }

    pub fn hidden() -> Self {
        Progress {
            enabled: false,
            threshold: u64::MAX,
        }
    }

    /// A bar over `total` rows; it draws nothing for a small sheet.
    pub fn bar(&self, label: &str, total: u64) -> Bar {
        self.make(label, total, total >= self.threshold)
    }

    /// A bar over `total` bytes of a text file (a few thousand rows is a few hundred kB).
    pub fn bar_bytes(&self, label: &str, total: u64) -> Bar {
        self.make(label, total, total >= self.threshold.saturating_mul(100))
    }

    /// A line saying what is happening, for work that reports no progress of its own; it is
    /// cleared when the returned value is dropped.
    pub fn status(&self, label: &str, big: bool) -> Bar {
        let bar = self.spinner(big && self.enabled);
        bar.0.set_message(label.to_string());
        bar
    }

    /// `total` steps of work that report no progress inside a step (a target's reads, then
    /// its writes): a spinner, the step count, what is being done and the time so far.
    pub fn steps(&self, total: u64) -> Bar {
        let bar = self.spinner(self.enabled && total > 0);
        bar.0.set_length(total);
        bar.0.set_style(
            ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} ({elapsed})")
                .expect("a valid template"),
        );
        bar
    }

    fn spinner(&self, active: bool) -> Bar {
        let bar = Bar(hidden_unless(active, ProgressBar::new_spinner()));
        bar.0
            .set_style(ProgressStyle::with_template("{spinner} {msg}…").expect("a valid template"));
        if active {
            bar.0.enable_steady_tick(Duration::from_millis(120));
        }
        bar
    }

    fn make(&self, label: &str, total: u64, big: bool) -> Bar {
        let active = self.enabled && big && total > 0;
        let bar = hidden_unless(active, ProgressBar::new(total));
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {percent:>3}%")
                .expect("a valid template")
                .progress_chars("#-"),
        );
        bar.set_message(label.to_string());
        Bar(bar)
    }
}

/// Drawn on standard error when `active`; the line is cleared once the last handle goes.
fn hidden_unless(active: bool, bar: ProgressBar) -> ProgressBar {
    let bar = bar.with_finish(ProgressFinish::AndClear);
    bar.set_draw_target(if active {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    bar
}

/// One bar or status line; cleared from the terminal when finished or when its last clone is
/// dropped.
#[derive(Clone)]
pub struct Bar(ProgressBar);

impl Bar {
    pub fn set(&self, done: u64) {
        self.0.set_position(done);
    }

    /// One more step done.
    pub fn inc(&self) {
        self.0.inc(1);
    }

    /// What is being done now.
    pub fn say(&self, text: String) {
        self.0.set_message(text);
    }

    /// Clear the line so the report starts on a clean one.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }

    /// Drawn on the terminal (false when hidden).
    pub fn is_drawn(&self) -> bool {
        !self.0.is_hidden()
    }
}
