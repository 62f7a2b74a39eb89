#!/usr/bin/env bash
# Benchmark: how long a tick made in one tool takes to be visible in the three others while the
# daemon runs with push signals (Trello and Asana webhooks, a Drive channel on the sheet, the
# workbook file watched), against polling every 5 minutes. Release build, in-process daemon with
# the real connectors, the Trello, Asana and Google Sheets emulators on 127.0.0.1, and an Excel
# workbook edited with openpyxl.
#
#   bench/latency.sh [TICKS] [POLL_SECONDS]     (default 100, 300; PACE=seconds between ticks, 5)
#
# Prints p50, p95 and max per source tool, cycles per tick, and the daemon's requests per tick
# by target (reads/writes, from its own counts: the harness's own look-ups are not counted).
# The polling columns are computed, not waited for (100 × 5 minutes per tool would take 33
# hours): a tick waits for the next poll, uniformly within the period, then one cycle, whose
# time is measured here. Not a test: it asserts nothing. Needs python3 with openpyxl
# (scripts/test installs it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
TICKS="${1:-100}" POLL="${2:-300}" PACE="${PACE:-5}" \
  cargo test --release -q -p throughline --test it realtime_bench::latency -- --ignored --nocapture 2>&1 \
  | grep -vE '^(running|test |$)|test result'
