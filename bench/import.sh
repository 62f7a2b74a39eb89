#!/usr/bin/env bash
# Benchmark: the whole `throughline import` of a 100,000-row content calendar (read, detect,
# dates, ids, TOML, the check that the files load as a deployment, and writing them), against
# pandas doing the same job -- read the sheet, make the same items file, a starter playbook
# and a throughline.toml, and write them -- once with openpyxl and once with python-calamine.
#
#   bench/import.sh [ROWS]          (default 100000)
#
# Needs python3 with openpyxl, pandas and python-calamine (pip install openpyxl pandas
# python-calamine) and farm-bench, which runs the two commands of a pair in turn (A B A B ...)
# and takes their ratio pair by pair, so a machine that slows down mid-run moves both sides.
# Not a test: it asserts nothing. The goals (at least 8x faster than pandas+openpyxl, 2x
# faster than pandas+python-calamine, under 1.5 s and 250 MB) are printed beside the figures.
set -euo pipefail

rows="${1:-100000}"
runs="${RUNS:-5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v farm-bench >/dev/null || {
  echo "farm-bench is missing (it times whole processes, interleaved)." >&2
  exit 1
}
python3 -c 'import openpyxl, pandas, python_calamine' 2>/dev/null || {
  echo "openpyxl, pandas and python-calamine are missing: pip install openpyxl pandas python-calamine" >&2
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

# The same job in pandas: read the sheet, slug the titles into unique ids, write the items
# file, a starter playbook and throughline.toml as TOML text.
cat >"$work/pandas_import.py" <<'PY'
import os, re, sys, unicodedata
import pandas as pd

engine, src, out = sys.argv[1], sys.argv[2], sys.argv[3]
df = pd.read_excel(src, engine=engine, header=2)

def slug(text):
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return re.sub(r"[^\w]+", "-", text).strip("-")

def q(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'

seen = {}
lines = ["# Imported from " + os.path.basename(src), ""]
for title, golive, channel, owner, notes in zip(
    df["Title"], pd.to_datetime(df["Publish date"]), df["Channel"], df["Owner"], df["Notes"]
):
    base = slug(title)
    n = seen.get(base, 0) + 1
    seen[base] = n
    ident = base if n == 1 else f"{base}-{n}"
    lines.append("[[item]]")
    lines.append(f"id = {q(ident)}")
    lines.append('process = "content"')
    lines.append(f"title = {q(title)}")
    lines.append(f"golive = {golive.date().isoformat()}")
    lines.append(f"channel = {q(channel)}")
    lines.append(f"people = {{ owner = {q(owner)} }}")
    if isinstance(notes, str):
        lines.append(f"notes = {q(notes)}")
    lines.append("")
os.makedirs(os.path.join(out, "items"), exist_ok=True)
os.makedirs(os.path.join(out, "playbooks"), exist_ok=True)
with open(os.path.join(out, "items", "calendar.toml"), "w", encoding="utf-8") as f:
    f.write("\n".join(lines))
owners = sorted(set(df["Owner"]))
with open(os.path.join(out, "playbooks", "content.toml"), "w", encoding="utf-8") as f:
    f.write('[process]\nid = "content"\nname = "Content"\ntimezone = "UTC"\n'
            'workweek = ["mon", "tue", "wed", "thu", "fri"]\n\n[roles.owner]\nname = "Owner"\n'
            "people = [" + ", ".join(q(o) for o in owners) + ']\n\n[[stage]]\nid = "publish"\n'
            'name = "Publish"\nowner = "owner"\ndays = 0\n')
with open(os.path.join(out, "throughline.toml"), "w", encoding="utf-8") as f:
    f.write('state = "throughline.db"\nplaybooks = ["playbooks/*.toml"]\nitems = ["items/*.toml"]\n')
PY

(cd "$root" && cargo build --release -q --bin throughline)
bin="$root/target/release/throughline"

# Each side writes into a folder of its own, replacing what the run before wrote.
ours=("$bin" import "$work/calendar.xlsx" --out "$work/ours" --force)
"${ours[@]}" >"$work/report.txt"
grep -E '^Rows:' "$work/report.txt"
python3 "$work/pandas_import.py" openpyxl "$work/calendar.xlsx" "$work/theirs"
echo "items written: throughline $(grep -c '^\[\[item\]\]' "$work/ours/items/calendar.toml"), pandas $(grep -c '^\[\[item\]\]' "$work/theirs/items/calendar.toml")"

for engine in openpyxl calamine; do
  echo
  echo "== throughline import (A) vs pandas + $engine writing the same TOML (B), interleaved =="
  farm-bench -n "$runs" --timeout 900 \
    --vs "python3 $work/pandas_import.py $engine $work/calendar.xlsx $work/theirs" \
    -- "${ours[@]}"
done
echo
echo "goals: A/B at most 0.125 against openpyxl (8x) and 0.5 against calamine (2x);"
echo "       throughline under 1.5 s wall and 250 MB peak at 100,000 rows"
