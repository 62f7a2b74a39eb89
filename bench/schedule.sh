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

python3 - "$work" "$items" <<'PY'
import datetime, os, sys

work, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{work}/playbooks")
os.makedirs(f"{work}/items")

with open(f"{work}/throughline.toml", "w") as f:
    f.write('state = "throughline.db"\nplaybooks = ["playbooks/*.toml"]\nitems = ["items/*.toml"]\n')

roles = {
    "campaign": ("Campaign manager", 4, None),
    "writer": ("Content writer", 8, 6),
    "designer": ("Designer", 6, 5),
    "web": ("Web developer", 3, None),
    "social": ("Social media manager", 4, 8),
}
# id, name, owner, days, after
stages = [
    ("idea", "Idea and brief", "campaign", 2, []),
    ("copy", "Copy", "writer", 3, ["idea"]),
    ("design", "Design", "designer", 3, ["idea"]),
    ("landing", "Landing page", "web", 2, ["copy"]),
    ("approval", "Approval", "campaign", 1, ["copy", "design", "landing"]),
    ("scheduling", "Scheduling", "social", 1, ["approval"]),
    ("publish", "Published", "social", 0, ["scheduling"]),
    ("review", "Results review", "campaign", 1, ["publish"]),
]
with open(f"{work}/playbooks/bench.toml", "w") as f:
    f.write('[process]\nid = "bench"\nname = "Benchmark pipeline"\n'
            'timezone = "Asia/Jerusalem"\nworkweek = ["sun", "mon", "tue", "wed", "thu"]\n'
            'holidays = ["2026-04-02", "2026-04-22", "2026-09-21", "2026-09-22", "2026-09-30", '
            '"2027-04-22", "2027-10-11"]\n\n')
    for rid, (name, people, cap) in roles.items():
        f.write(f'[roles.{rid}]\nname = "{name}"\n')
        f.write("people = [" + ", ".join(f'"{rid}{i}@example.com"' for i in range(people)) + "]\n")
        f.write(f'backup = "{rid}-backup@example.com"\n')
        f.write(f'away = [{{ who = "{rid}0@example.com", from = 2026-08-02, to = 2026-08-20 }}]\n')
        if cap:
            f.write(f"max_parallel = {cap}\n")
        f.write("\n")
    for sid, name, owner, days, after in stages:
        f.write(f'[[stage]]\nid = "{sid}"\nname = "{name}"\nowner = "{owner}"\ndays = {days}\n')
        f.write("after = [" + ", ".join(f'"{a}"' for a in after) + "]\n")
        f.write("checklist = [\n")
        f.write(f'  "Read the brief for {name.lower()} and note open questions",\n')
        f.write(f'  {{ id = "{sid}-files", text = "Files for {name.lower()} are in the shared folder" }},\n')
        f.write(f'  {{ id = "{sid}-ok", text = "Campaign manager agreed", role = "campaign" }},\n')
        f.write("]\n\n")

start = datetime.date(2026, 3, 1)
per_file = 1000
for k in range(0, n, per_file):
    with open(f"{work}/items/items-{k // per_file:03}.toml", "w") as f:
        for i in range(k, min(n, k + per_file)):
            golive = start + datetime.timedelta(days=(i * 7) % 700)
            f.write(f'[[item]]\nid = "post-{i:06}"\nprocess = "bench"\n'
                    f'title = "Post {i}: a piece of content"\ngolive = {golive.isoformat()}\n')
            if i % 3 == 0:
                f.write(f'people = {{ writer = "writer{i % 8}@example.com" }}\n')
            if i % 5 == 0:
                f.write('skip = ["landing"]\n')
            f.write("\n")
PY

echo "deployment: $items items × 8 stages, 3 checklist entries per stage, in $work"
(cd "$root" && cargo build --release -q --bin throughline)
bin="$root/target/release/throughline"

# The model must be valid, else we would be timing an error message.
"$bin" validate --config "$work/throughline.toml" >/dev/null

"$bin" schedule --json --today 2026-01-01 --config "$work/throughline.toml" >"$work/out.json"
tasks=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["tasks"]), sum(len(t["checklist"]) for t in d["tasks"]), len(d["warnings"]))' "$work/out.json")
read -r ntasks nentries nwarnings <<<"$tasks"
echo "output: $ntasks tasks, $nentries checklist entries, $nwarnings warnings, $(du -h "$work/out.json" | cut -f1) of JSON"

best_wall=""; best_rss=""
for run in 1 2 3; do
  /usr/bin/time -v -o "$work/time.txt" \
    "$bin" schedule --json --today 2026-01-01 --config "$work/throughline.toml" >/dev/null
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
  secs=$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }')
  printf 'run %d: wall %.2f s, peak RSS %.1f MB\n' "$run" "$secs" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')"
  if [[ -z "$best_wall" ]] || awk -v a="$secs" -v b="$best_wall" 'BEGIN {exit !(a < b)}'; then
    best_wall=$secs; best_rss=$rss
  fi
done
printf 'best: wall %.2f s, peak RSS %.1f MB  (target at 10,000 items: under 1 s and 200 MB)\n' \
  "$best_wall" "$(awk -v k="$best_rss" 'BEGIN {print k / 1024}')"
