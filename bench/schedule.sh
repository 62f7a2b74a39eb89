#!/usr/bin/env bash
# Benchmark: parse + validate + schedule for a large deployment, with the release binary.
#
#   bench/schedule.sh [ITEMS]        (default 10000 items × 8 stages, 3 checklist entries each)
#
# Generates the deployment into a temporary folder, builds `throughline` in release mode and
# runs `throughline schedule --json` under GNU time (apt package `time`), then prints the wall
# time and the peak memory. Not a test: it asserts nothing; the targets (under 1 s and 200 MB
# at 10,000 items) are printed next to the figures.
set -euo pipefail

items="${1:-10000}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ ! -x /usr/bin/time ]]; then
  echo "GNU time is missing: install it with 'apt-get install -y time'." >&2
  exit 1
fi

python3 "$root/bench/generate.py" "$work" "$items"

echo "deployment: $items items × 8 stages, 3 checklist entries per stage, in $work"
(cd "$root" && cargo build --release -q --bin throughline)
bin="$root/target/release/throughline"

# The model must be valid, else we would be timing an error message.
"$bin" validate --config "$work/throughline.toml" >/dev/null

"$bin" schedule --json --today 2026-01-01 --config "$work/throughline.toml" >"$work/out.json"
tasks=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["tasks"]), sum(len(t["checklist"]) for t in d["tasks"]), len(d["warnings"]))' "$work/out.json")
read -r ntasks nentries nwarnings <<<"$tasks"
echo "output: $ntasks tasks, $nentries checklist entries, $nwarnings warnings, $(du -h "$work/out.json" | cut -f1) of JSON"

. "$root/bench/lib.sh"
best_wall=""; best_mb=""
for run in 1 2 3; do
  measure "run $run" "$bin" schedule --json --today 2026-01-01 --config "$work/throughline.toml"
  if [[ -z "$best_wall" ]] || awk -v a="$MEASURED_SECS" -v b="$best_wall" 'BEGIN {exit !(a < b)}'; then
    best_wall=$MEASURED_SECS; best_mb=$MEASURED_MB
  fi
done
printf 'best: wall %.2f s, peak RSS %s MB  (target at 10,000 items: under 1 s and 200 MB)\n' "$best_wall" "$best_mb"
