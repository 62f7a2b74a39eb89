#!/usr/bin/env bash
# Benchmark: `throughline report` over one year of status history for ~10,000 tasks, with the
# release binary.
#
#   bench/report.sh [ITEMS] [NOW]   (default 1250 items × 8 stages ≈ 10,000 tasks, go-lives
#                                    over 700 days from 2026-03-01; NOW default 2027-03-01:
#                                    a year of history and half the items still open)
#
# Not a test: it asserts nothing. Target (issue 15): under 1 s and 300 MB.
set -euo pipefail
items="${1:-1250}"
now="${2:-2027-03-01}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
. "$root/bench/lib.sh"
[[ -x /usr/bin/time ]] || { echo "GNU time is missing: apt-get install -y time" >&2; exit 1; }

python3 "$root/bench/generate.py" "$work" "$items"
(cd "$root" && cargo build --release -q --bin throughline)
bin="$root/target/release/throughline"
config="$work/throughline.toml"
"$bin" validate --config "$config" >/dev/null
# A sync without targets creates the state file; the history is then written into it.
"$bin" --now 2026-02-20 sync --config "$config" >/dev/null
"$bin" schedule --json --config "$config" >"$work/schedule.json"
python3 "$root/bench/history.py" "$work/schedule.json" "$work/throughline.db" "$now"

for run in 1 2 3; do
  measure "report, run $run" "$bin" --now "$now" report --since 2026-03-01 --config "$config"
done
measure "report --json" "$bin" --now "$now" report --json --since 2026-03-01 --config "$config"
echo "target: under 1 s and 300 MB"
