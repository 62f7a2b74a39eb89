#!/usr/bin/env bash
# Requests per sync cycle against the Trello emulator: 200 items × 6 stages; first push, no-op,
# 10 ticks pulled; next to the floor in docs/sync.md and a one-request-per-object approach.
set -euo pipefail
cd "$(dirname "$0")/../../.."
exec cargo run --quiet --release -p throughline-trello --example trello_bench
