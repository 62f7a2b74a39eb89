#!/usr/bin/env bash
# Benchmark: a full sync and a no-op sync of ~10,000 tasks (with 3 checklist entries each) to
# an Excel workbook, with the release binary; then the engine's calls per cycle against the
# fake connector (cargo bench --bench sync_fake).
#
#   bench/sync.sh [ITEMS]     (default 1283 items × 8 stages ≈ 10,000 tasks)
#
# Not a test: it asserts nothing. Targets (issue 3): no-op cycle under 0.5 s, full write under
# 3 s, under 300 MB.
set -euo pipefail
items="${1:-1283}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
. "$root/bench/lib.sh"
[[ -x /usr/bin/time ]] || { echo "GNU time is missing: apt-get install -y time" >&2; exit 1; }

python3 "$root/bench/generate.py" "$work" "$items" plan.xlsx
(cd "$root" && cargo build --release -q --bin throughline)
bin="$root/target/release/throughline"
"$bin" validate --config "$work/throughline.toml"
tasks=$("$bin" schedule --json --config "$work/throughline.toml" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["tasks"]), sum(len(t["checklist"]) for t in d["tasks"]))')
echo "deployment: $items items → $tasks (tasks, checklist entries)"

measure "full sync (first write)" "$bin" sync --config "$work/throughline.toml"
echo "workbook: $(du -h "$work/plan.xlsx" | cut -f1)"
for run in 1 2 3; do
  measure "no-op sync, run $run" "$bin" sync --config "$work/throughline.toml"
done
echo
(cd "$root" && cargo bench -q --bench sync_fake)
