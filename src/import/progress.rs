//! A one-line progress bar on standard error, shown only on a terminal and only for work big
//! enough to notice.

use std::cell::Cell;
use std::io::Write;
use std::time::{Duration, Instant};

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
        let bar = self.make(label, 1, big);
        if bar.active {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{label}…");
            let _ = err.flush();
            bar.drawn.set(true);
        }
        bar
    }

    fn make(&self, label: &str, total: u64, big: bool) -> Bar {
        Bar {
            active: self.enabled && big && total > 0,
            label: label.to_string(),
            total,
            last_draw: Cell::new(None),
            drawn: Cell::new(false),
        }
    }
}

pub struct Bar {
    active: bool,
    label: String,
    total: u64,
    last_draw: Cell<Option<Instant>>,
    drawn: Cell<bool>,
}

const WIDTH: u64 = 30;

impl Bar {
    pub fn set(&self, done: u64) {
        if !self.active {
            return;
        }
        let now = Instant::now();
        if self
            .last_draw
            .get()
            .is_some_and(|t| now - t < Duration::from_millis(80))
            && done < self.total
        {
            return;
        }
        self.last_draw.set(Some(now));
        let done = done.min(self.total);
        let filled = done * WIDTH / self.total;
        let bar: String = (0..WIDTH)
            .map(|i| if i < filled { '#' } else { '-' })
            .collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{bar}] {:>3}%",
            self.label,
            done * 100 / self.total
        );
        let _ = err.flush();
        self.drawn.set(true);
    }

    /// Clear the line so the report starts on a clean one.
    pub fn finish(&self) {
        if self.drawn.get() {
            let width = self.label.chars().count() + WIDTH as usize + 8;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(width));
            let _ = err.flush();
            self.drawn.set(false);
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}
