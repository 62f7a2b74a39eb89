//! Shared by every fuzz property (the root crate's `tests/fuzz_*.rs` and the connector crates'
//! fuzz modules, which include this file by path): real inputs mutated the way damaged or
//! hostile files look, and a runner that counts and times the cases.
//!
//! The number of cases per property is `THROUGHLINE_FUZZ_CASES` (default 256, so that
//! `cargo test` stays quick); `scripts/fuzz` runs each property with 100,000.
#![allow(dead_code)]

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Cases per property: `THROUGHLINE_FUZZ_CASES`, else 256.
pub fn cases() -> u32 {
    std::env::var("THROUGHLINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(256)
}

/// Run one property over [`cases`] inputs and print `fuzz <name>: <n> cases in <s>s` (the line
/// `scripts/fuzz` collects). A panic inside `test` is a failure, shrunk to a minimal input.
pub fn run<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        // Shrinking a 100 kB input byte by byte takes longer than it helps.
        max_shrink_iters: 2048,
        ..Config::default()
    });
    let count = Cell::new(0u64);
    let started = Instant::now();
    let result = runner.run(&strategy, |input| {
        count.set(count.get() + 1);
        test(input)
    });
    let upstream = UPSTREAM_PANICS.swap(0, Ordering::Relaxed);
    let note = if upstream > 0 {
        format!(
            " ({upstream} of them stopped by calamine's overflow upstream, see UPSTREAM in tests/fuzz_support/mutate.rs)"
        )
    } else {
        String::new()
    };
    println!(
        "fuzz {name}: {} cases in {:.1}s{note}",
        count.get(),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("fuzz {name} failed: {e}");
    }
}

/// Texts that break parsers: quotes and brackets, numbers past every integer type, dates that
/// do not exist, Hebrew with and without direction marks, NUL, a BOM, invalid UTF-8.
pub const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'",
    b"'''",
    b"\"\"\"",
    b"[",
    b"]",
    b"[[",
    b"]]",
    b"{",
    b"}",
    b"=",
    b",",
    b":",
    b"#",
    b"\\",
    b"\\u",
    b"\\uD800",
    b"\n",
    b"\r\n",
    b"\r",
    b"\t",
    b" ",
    b"\0",
    b"null",
    b"true",
    b"-",
    b".",
    b"0",
    b"-0",
    b"99999999999999999999999999999999",
    b"-9223372036854775808",
    b"18446744073709551616",
    b"4294967296",
    b"1e308",
    b"-1e309",
    b"nan",
    b"inf",
    b"0x7fffffff",
    b"0000-00-00",
    b"0001-01-01",
    b"9999-12-31",
    b"2026-02-30",
    b"2026-13-01",
    b"1899-12-30",
    b"+275760-09-13",
    b"2026-12-10T25:61:61Z",
    b"2026-12-10T09:00:00+99:99",
    b"1000000",
    "\u{05e9}\u{05dc}\u{05d5}\u{05dd}".as_bytes(),
    "\u{05d4}\u{05e9}\u{05e7}\u{05d4} \u{05e7}\u{05de}\u{05e4}\u{05d9}\u{05d9}\u{05df}".as_bytes(),
    "\u{200f}".as_bytes(),
    "\u{200e}".as_bytes(),
    "\u{202e}".as_bytes(),
    "\u{2067}".as_bytes(),
    "\u{feff}".as_bytes(),
    "\u{0301}\u{0301}\u{0301}".as_bytes(),
    "\u{1f600}".as_bytes(),
    "\u{fffd}".as_bytes(),
    b"\xff",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xe2\x80",
    b"A1",
    b"XFD1048576",
    b"ZZZZ99999999",
    b"$",
    b"!",
    b"{item_title}",
    b"{",
    b"throughline:",
    b"env:",
    b"file:",
    b"../../",
    b"/",
    b"*",
    b"**/",
];

/// One change to a byte string. Positions are [`Index`]es, so one value fits any length.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip(Index, u8),
    Set(Index, u8),
    Truncate(Index),
    Delete(Index, usize),
    Insert(Index, usize),
    /// A slice of the input itself, copied elsewhere (spliced keys, repeated sections).
    Splice(Index, Index, usize),
    /// A short token repeated: deep nesting (`[[[[`), very long strings and numbers.
    Repeat(Index, usize, usize),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        2 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        6 => (any::<Index>(), 0..TOKENS.len()).prop_map(|(i, t)| Mutation::Insert(i, t)),
        3 => (any::<Index>(), any::<Index>(), 1usize..256)
            .prop_map(|(a, b, n)| Mutation::Splice(a, b, n)),
        1 => (
            any::<Index>(),
            0..TOKENS.len(),
            prop_oneof![12 => 1usize..64, 3 => 64usize..4096, 1 => 4096usize..200_000]
        )
            .prop_map(|(i, t, n)| Mutation::Repeat(i, t, n)),
    ]
}

/// Apply `m` to `data`.
pub fn apply(data: &mut Vec<u8>, m: &Mutation) {
    let len = data.len();
    let at = |i: &Index| if len == 0 { 0 } else { i.index(len + 1) };
    match m {
        Mutation::Flip(i, bit) if len > 0 => data[i.index(len)] ^= 1 << bit,
        Mutation::Set(i, b) if len > 0 => data[i.index(len)] = *b,
        Mutation::Flip(..) | Mutation::Set(..) => {}
        Mutation::Truncate(i) => data.truncate(at(i)),
        Mutation::Delete(i, n) => {
            let start = at(i).min(len);
            let end = (start + n).min(len);
            data.drain(start..end);
        }
        Mutation::Insert(i, t) => {
            let p = at(i);
            data.splice(p..p, TOKENS[*t].iter().copied());
        }
        Mutation::Splice(from, to, n) if len > 0 => {
            let start = from.index(len);
            let piece = data[start..(start + n).min(len)].to_vec();
            let p = at(to);
            data.splice(p..p, piece);
        }
        Mutation::Splice(..) => {}
        Mutation::Repeat(i, t, n) => {
            let p = at(i);
            let piece = TOKENS[*t].repeat(*n);
            data.splice(p..p, piece);
        }
    }
}

/// One of `seeds`, changed by 1 to 8 mutations; sometimes unchanged, so the seeds' own path
/// is exercised too.
pub fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    (0..n, proptest::collection::vec(mutation(), 0..8)).prop_map(move |(s, ms)| {
        let mut data = seeds[s].clone();
        for m in &ms {
            apply(&mut data, m);
        }
        data
    })
}

/// Text values worth putting in a generated document.
pub fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9_ -]{0,12}",
        2 => "[\u{05d0}-\u{05ea} ]{0,12}",
        1 => "[\u{200e}\u{200f}\u{202a}-\u{202e}\u{05d0}-\u{05ea}a-z]{0,12}",
        1 => ".{0,40}",
        1 => (0..TOKENS.len()).prop_map(|t| String::from_utf8_lossy(TOKENS[t]).into_owned()),
        1 => (1usize..100_000).prop_map(|n| "x".repeat(n)),
    ]
}

/// JSON documents built from `keys` (the names a decoder looks for), with values of every
/// type and odd text, nested up to a few levels.
pub fn json(keys: &'static [&'static str]) -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        odd_text().prop_map(Value::String),
    ];
    let key = prop_oneof![
        4 => proptest::sample::select(keys).prop_map(str::to_owned),
        1 => odd_text(),
    ];
    leaf.prop_recursive(5, 256, 12, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..12).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..12)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A byte string as text for a parser that takes `&str`: as is when it is UTF-8, else with
/// the broken sequences replaced (the reader of a file would have refused it earlier).
pub fn lossy(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Replace the `i`th node (pre-order) of `value` with `new`; `None` removes it from its array
/// or object instead (the root is then left alone).
fn replace_node(value: &mut serde_json::Value, i: Index, new: Option<serde_json::Value>) {
    fn count(v: &serde_json::Value) -> usize {
        1 + match v {
            serde_json::Value::Array(a) => a.iter().map(count).sum(),
            serde_json::Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(
        v: &mut serde_json::Value,
        target: &mut usize,
        new: &mut Option<Option<serde_json::Value>>,
    ) -> bool {
        if *target == 0 {
            if let Some(Some(n)) = new.take() {
                *v = n;
            }
            return true;
        }
        *target -= 1;
        let children: Vec<&mut serde_json::Value> = match v {
            serde_json::Value::Array(a) => a.iter_mut().collect(),
            serde_json::Value::Object(o) => o.values_mut().collect(),
            _ => return false,
        };
        let mut remove = None;
        for (k, child) in children.into_iter().enumerate() {
            let here = *target == 0 && matches!(new, Some(None));
            if here {
                remove = Some(k);
                break;
            }
            if walk(child, target, new) {
                return true;
            }
        }
        if let Some(k) = remove {
            match v {
                serde_json::Value::Array(a) => {
                    a.remove(k);
                }
                serde_json::Value::Object(o) => {
                    let key = o.keys().nth(k).cloned().unwrap();
                    o.remove(&key);
                }
                _ => {}
            }
            *new = None;
            return true;
        }
        false
    }
    let mut target = i.index(count(value));
    walk(value, &mut target, &mut Some(new));
}

/// One of `seeds` (JSON documents) with a few of its nodes replaced by generated values or
/// removed, then sometimes a few byte mutations of its text: most cases still decode, so the
/// code behind the decoder is reached too.
pub fn json_mutated(
    seeds: Vec<serde_json::Value>,
    keys: &'static [&'static str],
) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    let edit = (any::<Index>(), proptest::option::weighted(0.85, json(keys)));
    (
        0..n,
        proptest::collection::vec(edit, 0..6),
        prop_oneof![3 => Just(Vec::new()), 1 => proptest::collection::vec(mutation(), 1..3)],
    )
        .prop_map(move |(s, edits, bytes)| {
            let mut value = seeds[s].clone();
            for (i, new) in edits {
                replace_node(&mut value, i, new);
            }
            let mut data = serde_json::to_vec(&value).unwrap();
            for m in &bytes {
                apply(&mut data, m);
            }
            data
        })
}

/// JSON seeds damaged either as values ([`json_mutated`], three cases in four) or as bytes
/// ([`mutated`]).
pub fn json_body(seeds: &[&str], keys: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let values = seeds
        .iter()
        .map(|s| serde_json::from_str(s).expect("a seed is JSON"))
        .collect();
    let bytes = seeds.iter().map(|s| s.as_bytes().to_vec()).collect();
    prop_oneof![3 => json_mutated(values, keys), 1 => mutated(bytes)]
}

/// Panics a dependency is known to raise, by source file and line range, that are not this
/// project's to fix: calamine 0.38 reads a cell reference such as `A99999999999`
/// (`get_row_and_optional_column`) and a reversed sheet dimension such as `B2:A1`
/// (`get_dimension`) with unchecked arithmetic (xlsx/mod.rs). With overflow checks (debug
/// builds, tests) that panics; in a release build the numbers wrap, and the readers then refuse
/// the out-of-grid cell (a dimension is only a hint). Such a case counts as passed and is
/// reported in the run's line.
const UPSTREAM: &[(&str, std::ops::RangeInclusive<u32>)] = &[
    ("calamine-0.38.0/src/xlsx/mod.rs", 3083..=3115),
    ("calamine-0.38.0/src/xlsx/mod.rs", 3035..=3060),
];

static UPSTREAM_PANICS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static LAST_PANIC_UPSTREAM: Cell<bool> = const { Cell::new(false) };
}

fn is_upstream(location: Option<&panic::Location<'_>>) -> bool {
    location.is_some_and(|l| {
        UPSTREAM
            .iter()
            .any(|(file, lines)| l.file().ends_with(file) && lines.contains(&l.line()))
    })
}

/// Run `f`; a panic from a known upstream place (see [`UPSTREAM`]) is counted and passes, any
/// other panic goes on as a failure.
pub fn tolerating_upstream<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let upstream = is_upstream(info.location());
            LAST_PANIC_UPSTREAM.with(|c| c.set(upstream));
            if !upstream {
                default(info);
            }
        }));
    });
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(payload) => {
            if LAST_PANIC_UPSTREAM.with(|c| c.replace(false)) {
                UPSTREAM_PANICS.fetch_add(1, Ordering::Relaxed);
                None
            } else {
                panic::resume_unwind(payload)
            }
        }
    }
}
