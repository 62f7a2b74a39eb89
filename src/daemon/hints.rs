//! Early cycles: the signals that ask for one (a webhook, a Drive notification, the
//! dashboard's "sync now", a workbook saved), coalesced per target, with the echoes of the
//! daemon's own writes told apart and dropped.
//!
//! Every write the daemon makes to Trello, Asana or a sheet comes back to it as a signal. Taken
//! at face value, each tick would cost two cycles: the one that pushes it, and one more that
//! reads back what the first wrote. A signal about a target the daemon wrote to is weighed
//! against that write ([`Writes`]):
//!
//! | the signal | is |
//! |---|---|
//! | asked for (dashboard, a workbook saved), or naming no object (a Drive notification, a Trello action on the board itself) | a cycle |
//! | a delivery with no event (Asana's heartbeat) | nothing |
//! | events (Trello, Asana), each made by the target's own account about an object the write touched, arriving from the write's start to [`OBJECT_ECHO`] after its end | an echo |
//! | anything else | a cycle |
//!
//! The account is the one the target's credentials act as ([`Hints::set_account`], learned
//! when the daemon makes sure of the webhook); until it is known nothing is an echo. A signal
//! that arrived before the write started is never its echo: a person's change made while the
//! cycle was reading still gets the next cycle. Taking a person's change for an echo (one made
//! through the daemon's own account, to the very card it had just written) only delays it to
//! the periodic cycle, as a lost delivery would: nothing is lost. Drive never says what changed, and delivers late
//! enough that no time window tells its echoes apart: a sheet's echo costs a cycle, which reads
//! the sheet and writes nothing (the workbook's own saves are told apart by content, in
//! [`super::workbooks`]).
//!
//! However many signals arrive, a target is pending at most once, so a flood costs at most one
//! extra cycle at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use throughline_connector::settings::WebhookEvent;
use tokio::sync::Notify;

use crate::engine::Writes;

/// How long after a write a signal about the objects it wrote is taken for its echo. Trello
/// and Asana usually deliver within seconds; a later echo costs one cycle, no more.
pub const OBJECT_ECHO: Duration = Duration::from_secs(15);

/// Past this many events pending for a target, their objects are no longer kept: the target
/// gets its cycle whatever the daemon wrote.
const MAX_EVENTS: usize = 1_000;

/// What a signal says changed in its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// Anything may have: a person asked, or the signal names nothing the daemon can weigh.
    Anything,
    /// These events (a webhook body). No event: nothing changed.
    Events(Vec<WebhookEvent>),
}

impl Signal {
    /// A webhook body as its kind's reader saw it (`None`: it names nothing).
    pub fn from_events(events: Option<Vec<WebhookEvent>>) -> Signal {
        events.map_or(Signal::Anything, Signal::Events)
    }
}

/// What became of a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The target is now pending.
    Fresh,
    /// The target was already pending.
    Pending,
    /// The echo of the daemon's own write: no cycle.
    OwnWrite,
    /// It says nothing changed.
    Nothing,
}

impl Taken {
    /// The metrics' `result` label for a webhook taken this way.
    pub fn label(self) -> &'static str {
        match self {
            Taken::Fresh | Taken::Pending => "accepted",
            Taken::OwnWrite => "own_write",
            Taken::Nothing => "heartbeat",
        }
    }
}

/// One event pending, with when it came.
type Event = (Instant, WebhookEvent);

/// The signals pending for a target.
#[derive(Debug, Default)]
struct Pending {
    /// A signal that wants a cycle whatever the daemon wrote.
    firm: bool,
    events: Vec<Event>,
}

/// What the daemon last wrote to a target, and the account it wrote as.
#[derive(Debug)]
struct Written {
    writes: Writes,
    account: String,
}

/// Whether `event`, arrived `at`, is the echo of the write `w`.
fn echo(w: &Written, at: Instant, event: &WebhookEvent) -> bool {
    event.actor.as_deref() == Some(w.account.as_str())
        && w.writes.started <= at
        && at <= w.writes.ended + OBJECT_ECHO
        && event.objects.iter().any(|o| w.writes.objects.contains(o))
}

#[derive(Debug, Default)]
struct Inner {
    pending: BTreeMap<String, Pending>,
    /// The account each target's credentials act as.
    accounts: BTreeMap<String, String>,
    /// Each target's last write by the daemon, when its account is known.
    written: BTreeMap<String, Written>,
}

/// Targets that asked for an early cycle, and what the daemon last wrote to each.
#[derive(Debug, Default)]
pub struct Hints {
    inner: Mutex<Inner>,
    notify: Notify,
    /// Every signal that counted, fresh or not: the loop waits for it to stop moving (a burst
    /// has settled) before it starts the cycle.
    count: AtomicU64,
}

impl Hints {
    /// Ask for an early cycle for `target`, whatever the daemon wrote (the dashboard, a saved
    /// workbook). Returns false when it was already pending.
    pub fn hint(&self, target: &str) -> bool {
        self.signal(target, Signal::Anything, Instant::now()) == Taken::Fresh
    }

    /// A tool's signal about `target`, arrived `at`.
    pub fn signal(&self, target: &str, signal: Signal, at: Instant) -> Taken {
        let mut inner = self.lock();
        let written = inner.written.get(target);
        let (firm, events): (bool, Vec<Event>) = match signal {
            Signal::Anything => (true, Vec::new()),
            Signal::Events(events) if events.is_empty() => return Taken::Nothing,
            Signal::Events(events) => (
                false,
                events
                    .into_iter()
                    .filter(|e| !written.is_some_and(|w| echo(w, at, e)))
                    .map(|e| (at, e))
                    .collect(),
            ),
        };
        if !firm && events.is_empty() {
            return Taken::OwnWrite;
        }
        self.count.fetch_add(1, Ordering::SeqCst);
        let fresh = !inner.pending.contains_key(target);
        let pending = inner.pending.entry(target.to_string()).or_default();
        pending.firm |= firm;
        pending.events.extend(events);
        if pending.events.len() > MAX_EVENTS {
            pending.firm = true;
            pending.events = Vec::new();
        }
        drop(inner);
        if fresh {
            self.notify.notify_one();
            Taken::Fresh
        } else {
            Taken::Pending
        }
    }

    /// The daemon wrote to `target`: signals pending for it that are echoes of the write are
    /// dropped (the target stays pending only for what else came), and later ones are weighed
    /// against it. Returns how many pending events were echoes.
    pub fn wrote(&self, target: &str, writes: Writes) -> usize {
        let mut inner = self.lock();
        let Some(account) = inner.accounts.get(target).cloned() else {
            return 0;
        };
        let written = Written { writes, account };
        let mut echoes = 0;
        if let Some(p) = inner.pending.get_mut(target) {
            let before = p.events.len();
            p.events.retain(|(at, e)| !echo(&written, *at, e));
            echoes = before - p.events.len();
            if !p.firm && p.events.is_empty() {
                inner.pending.remove(target);
            }
        }
        inner.written.insert(target.to_string(), written);
        echoes
    }

    /// The account `target`'s credentials act as: events by it may be the daemon's echoes.
    pub fn set_account(&self, target: &str, account: String) {
        self.lock().accounts.insert(target.to_string(), account);
    }

    /// Whether the account of `target` is known.
    pub fn knows_account(&self, target: &str) -> bool {
        self.lock().accounts.contains_key(target)
    }

    /// The pending targets; none is pending afterwards.
    pub fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut self.lock().pending)
            .into_keys()
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().pending.is_empty()
    }

    /// Resolves once a hint has arrived since the last [`Hints::take`] (at once if one has).
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if !self.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// How many signals counted so far, pending or not.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Wake a waiter without a hint (a stored secret to persist, a shutdown).
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The account the daemon's targets act as in these tests.
    const DAEMON: &str = "member-daemon";

    fn writes(objects: &[&str], started: Instant, took: Duration) -> Writes {
        Writes {
            objects: objects.iter().map(|o| o.to_string()).collect(),
            started,
            ended: started + took,
        }
    }

    /// Events made by `actor`, each about these objects.
    fn by(actor: &str, v: &[&[&str]]) -> Signal {
        Signal::Events(
            v.iter()
                .map(|e| WebhookEvent {
                    actor: Some(actor.to_string()),
                    objects: e.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
        )
    }

    fn events(v: &[&[&str]]) -> Signal {
        by(DAEMON, v)
    }

    /// Hints for targets whose account is known.
    fn hints() -> Hints {
        let hints = Hints::default();
        for t in ["studio", "plan", "tasks"] {
            hints.set_account(t, DAEMON.to_string());
        }
        hints
    }

    #[test]
    fn hints_coalesce() {
        let hints = Hints::default();
        assert!(hints.hint("studio"));
        for _ in 0..1000 {
            assert!(!hints.hint("studio"));
        }
        assert!(hints.hint("tasks"));
        assert_eq!(
            hints.take().into_iter().collect::<Vec<_>>(),
            ["studio", "tasks"]
        );
        assert!(hints.is_empty());
        assert!(hints.hint("studio"));
    }

    // The decision table, row by row, for a signal about a target the daemon wrote to.
    #[test]
    fn a_signal_about_a_written_target() {
        let t0 = Instant::now();
        let start = t0 + Duration::from_millis(10);
        let end = start + Duration::from_millis(300);
        let w = || writes(&["card-1", "card-2"], start, end - start);
        let soon = end + Duration::from_secs(1);
        let rows: [(Signal, Instant, Taken); 9] = [
            // Asked for: a cycle whatever was written.
            (Signal::Anything, soon, Taken::Fresh),
            // A heartbeat: nothing.
            (events(&[]), soon, Taken::Nothing),
            // Every event by the daemon's account about a written object, in time: an echo.
            (events(&[&["card-1"], &["card-2"]]), soon, Taken::OwnWrite),
            // A story on a written task (its parent is the task): an echo.
            (events(&[&["story-9", "card-1"]]), soon, Taken::OwnWrite),
            // One event about another object: a cycle.
            (events(&[&["card-1"], &["card-3"]]), soon, Taken::Fresh),
            // A person's account, on the very card just written: a cycle.
            (by("member-dana", &[&["card-1"]]), soon, Taken::Fresh),
            // The tool's own event (no actor): a cycle.
            (
                Signal::Events(vec![WebhookEvent {
                    actor: None,
                    objects: vec!["card-1".into()],
                }]),
                soon,
                Taken::Fresh,
            ),
            // Too late for an echo.
            (
                events(&[&["card-1"]]),
                end + OBJECT_ECHO + Duration::from_millis(1),
                Taken::Fresh,
            ),
            // Before the write started: a change the cycle may not have read.
            (events(&[&["card-1"]]), t0, Taken::Fresh),
        ];
        for (i, (signal, at, want)) in rows.into_iter().enumerate() {
            let hints = hints();
            hints.wrote("studio", w());
            assert_eq!(hints.signal("studio", signal, at), want, "row {i}");
            assert_eq!(hints.is_empty(), want != Taken::Fresh, "row {i}");
        }
    }

    #[test]
    fn nothing_is_an_echo_until_the_account_is_known() {
        let t0 = Instant::now();
        let hints = Hints::default();
        hints.wrote("studio", writes(&["card-1"], t0, Duration::ZERO));
        let taken = hints.signal("studio", events(&[&["card-1"]]), t0);
        assert_eq!(taken, Taken::Fresh);
        assert!(!hints.knows_account("studio"));
    }

    #[test]
    fn only_the_written_target_echoes() {
        let t0 = Instant::now();
        let hints = hints();
        hints.wrote("studio", writes(&["card-1"], t0, Duration::ZERO));
        let taken = hints.signal("tasks", events(&[&["card-1"]]), t0);
        assert_eq!(taken, Taken::Fresh, "another target's objects are its own");
    }

    #[test]
    fn echoes_pending_when_the_write_ends_are_dropped() {
        let t0 = Instant::now();
        let during = t0 + Duration::from_millis(100);
        let hints = hints();
        // Signals that came while the cycle was writing: its echoes, and others.
        assert_eq!(
            hints.signal("studio", events(&[&["card-1"]]), during),
            Taken::Fresh
        );
        assert_eq!(hints.signal("plan", Signal::Anything, during), Taken::Fresh);
        assert_eq!(
            hints.signal("tasks", events(&[&["task-7"]]), during),
            Taken::Fresh
        );
        let took = Duration::from_millis(200);
        assert_eq!(hints.wrote("studio", writes(&["card-1"], t0, took)), 1);
        assert_eq!(hints.wrote("plan", writes(&["row-1"], t0, took)), 0);
        assert_eq!(hints.wrote("tasks", writes(&["task-1"], t0, took)), 0);
        assert_eq!(
            hints.take().into_iter().collect::<Vec<_>>(),
            ["plan", "tasks"],
            "what names no object, and the change to another task, are left"
        );
    }

    #[test]
    fn a_signal_before_the_write_or_asked_for_stays_pending() {
        let t0 = Instant::now();
        let hints = hints();
        hints.signal("studio", events(&[&["card-1"]]), t0);
        hints.hint("plan");
        let later = t0 + Duration::from_millis(50);
        hints.wrote("studio", writes(&["card-1"], later, Duration::ZERO));
        hints.wrote("plan", writes(&[], later, Duration::ZERO));
        assert_eq!(
            hints.take().into_iter().collect::<Vec<_>>(),
            ["plan", "studio"]
        );
    }

    #[test]
    fn a_flood_is_one_pending_target_and_stops_weighing_objects() {
        let t0 = Instant::now();
        let hints = hints();
        for i in 0..=MAX_EVENTS {
            hints.signal("studio", events(&[&[&format!("card-{i}")]]), t0);
        }
        // Past the cap the target wants its cycle, even if every object was written.
        let all: Vec<String> = (0..=MAX_EVENTS).map(|i| format!("card-{i}")).collect();
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        hints.wrote("studio", writes(&all, t0, Duration::ZERO));
        assert_eq!(hints.take().len(), 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn wait_returns_when_a_hint_is_pending() {
        let hints = std::sync::Arc::new(Hints::default());
        hints.hint("studio");
        hints.wait().await;
        hints.take();
        let h = hints.clone();
        let waiter = tokio::spawn(async move { h.wait().await });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        hints.hint("studio");
        waiter.await.unwrap();
    }
}
