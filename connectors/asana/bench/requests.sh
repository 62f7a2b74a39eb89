#!/usr/bin/env bash
# Requests per sync cycle for the Asana connector against its emulator (200 items × 6 stages),
# compared with the floor in docs/sync.md and with one request per object.
set -euo pipefail
cd "$(dirname "$0")/../../.."
exec cargo run --quiet --release -p throughline-asana --features emulator --example asana_bench
