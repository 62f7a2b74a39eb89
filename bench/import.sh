#!/usr/bin/env bash
# Benchmark: `throughline import --dry-run` of a 100,000-row content calendar, against pandas
# reading the same file with openpyxl, in the same run.
#
#   bench/import.sh [ROWS]          (default 100000)
#
# Needs python3 with openpyxl and pandas (pip install openpyxl pandas) and GNU time
# (apt-get install -y time). Generates the workbook with openpyxl in write-only mode, builds the
# release binary, and prints wall time and peak memory of each side and their ratio. Not a test:
# it asserts nothing; the target (under 2 s, and at least 5x faster than pandas) is printed
# next to the figures. The dry run does the whole import (read, header and column detection,
# dates, ids, TOML) and loads the result as a deployment to check it; only writing is skipped.
set -euo pipefail

rows="${1:-100000}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

if [[ ! -x /usr/bin/time ]]; then
  echo "GNU time is missing: install it with 'apt-get install -y time'." >&2
  exit 1
fi
python3 -c 'import openpyxl, pandas' 2>/dev/null || {
  echo "openpyxl and pandas are missing: pip install openpyxl pandas" >&2
  exit 1
}

python3 - "$work/calendar.xlsx" "$rows" <<'PY'
import datetime, sys
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

path, n = sys.argv[1], int(sys.argv[2])
wb = Workbook(write_only=True)
ws = wb.create_sheet("Calendar")
ws.append(["Content calendar 2026-2030"])
ws.append([])
ws.append(["Title", "Publish date", "Channel", "Owner", "Notes", "Status"])
channels = ["Instagram", "Facebook", "Blog", "Newsletter", "LinkedIn"]
start = datetime.date(2026, 1, 1)
for i in range(n):
    date = WriteOnlyCell(ws, value=start + datetime.timedelta(days=i % 1500))
    date.number_format = "yyyy-mm-dd"
    ws.append([
        f"Post {i}: a piece of content",
        date,
        channels[i % len(channels)],
        f"writer{i % 8}@example.com",
        "Check the brief" if i % 4 == 0 else None,
        "Planned",
    ])
wb.save(path)
PY
echo "workbook: $rows rows, $(du -h "$work/calendar.xlsx" | cut -f1)"

(cd "$root" && cargo build --release -q --bin throughline)
bin="$root/target/release/throughline"

# The import must succeed, else we would be timing an error message.
"$bin" import "$work/calendar.xlsx" --out "$work/out" --dry-run >"$work/report.txt"
grep -E '^Rows:' "$work/report.txt"

best_ours=""; best_ours_mb=""
for run in 1 2 3; do
  measure "throughline import (run $run)" "$bin" import "$work/calendar.xlsx" --out "$work/out" --dry-run
  if [[ -z "$best_ours" ]] || awk -v a="$MEASURED_SECS" -v b="$best_ours" 'BEGIN {exit !(a < b)}'; then
    best_ours=$MEASURED_SECS; best_ours_mb=$MEASURED_MB
  fi
done

cat >"$work/pandas_read.py" <<'PY'
import sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_excel(sys.argv[1], engine="openpyxl", header=2)
print(f"pandas read_excel alone: {time.perf_counter() - t:.2f} s, {len(df)} rows", file=sys.stderr)
PY
best_pandas=""; best_pandas_mb=""
for run in 1 2; do
  measure "pandas + openpyxl (run $run)" python3 "$work/pandas_read.py" "$work/calendar.xlsx"
  if [[ -z "$best_pandas" ]] || awk -v a="$MEASURED_SECS" -v b="$best_pandas" 'BEGIN {exit !(a < b)}'; then
    best_pandas=$MEASURED_SECS; best_pandas_mb=$MEASURED_MB
  fi
done

ratio=$(awk -v a="$best_pandas" -v b="$best_ours" 'BEGIN {printf "%.1f", a / b}')
printf '\nbest throughline import: %.2f s, %s MB peak\n' "$best_ours" "$best_ours_mb"
printf 'best pandas + openpyxl: %.2f s, %s MB peak\n' "$best_pandas" "$best_pandas_mb"
printf 'throughline is %sx faster  (target: under 2 s, and at least 5x faster than pandas)\n' "$ratio"
