#!/usr/bin/env bash
# Benchmark: how long a tick made in one tool takes to show in another while `throughline
# daemon` runs, by polling alone and with a (signed) Trello webhook. In-process, release build:
# a Trello stand-in board and a real Excel workbook.
#
#   bench/daemon.sh [SAMPLES] [EVERY_SECONDS] [ITEMS]     (default 6, 10, 50)
#
# Not a test: it prints figures and asserts nothing. Expect polling ≈ half the cycle period on
# average (at most one period) plus one cycle; a webhook ≈ [daemon] webhook_delay (1 s) plus
# one cycle, whatever the period.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
SAMPLES="${1:-6}" EVERY="${2:-10}" ITEMS="${3:-50}" \
  cargo test --release -q --test it daemon_bench:: -- --ignored --nocapture 2>&1 \
  | grep -E '^(tick|  )'
