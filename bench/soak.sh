#!/usr/bin/env bash
# Soak: `throughline daemon` (release build) runs CYCLES cycles, one a second, against the
# Trello emulator (`throughline emulate trello`) and two Excel workbooks while faults are
# injected in turn, and reports the resident memory after the first cycle and at the end, and
# how every cycle ended.
#
#   bench/soak.sh [CYCLES] [ITEMS]        (default 500 cycles, 40 items ≈ 120 tasks per tool)
#
# Faults, each for a few cycles, every 25 cycles in turn:
#   - a workbook open in Excel (its `~$` lock file): the daemon must not write it;
#   - a workbook damaged (garbage bytes): it cannot be read; restored afterwards;
#   - a broken edit of throughline.toml: reported, the last good model keeps running;
#   - a valid edit (an item added, later removed): reloaded;
#   - a person ticking tasks in one workbook: they must reach the other;
#   - the Trello emulator gone (connection refused), then back as a fresh one whose key the
#     daemon does not have yet (401: refused credentials), then the new key and token written
#     to the secret files and the target pointed at the new board (reloaded, no restart).
# Not a test: it prints figures. It fails (exit 1) only if the daemon dies, a cycle neither
# completes nor fails cleanly, a tick is lost, or a workbook ends with duplicate rows.
set -euo pipefail
cycles="${1:-500}"
items="${2:-40}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pid=""
emu=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  [[ -n "$emu" ]] && kill "$emu" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$root" && cargo build --release -q --bin throughline)
bin="$root/target/release/throughline"

mkdir -p "$work/playbooks" "$work/items"
cat >"$work/playbooks/content.toml" <<'TOML'
[process]
id = "content"
name = "Content pipeline"
timezone = "Asia/Jerusalem"
workweek = ["sun", "mon", "tue", "wed", "thu"]

[roles.writer]
name = "Writer"
people = ["dana@example.com"]

[roles.designer]
name = "Designer"
people = ["avi@example.com"]

[[stage]]
id = "copy"
name = "Copy"
owner = "writer"
days = 2
checklist = ["Draft", "Proofread"]

[[stage]]
id = "design"
name = "Design"
owner = "designer"
days = 1
after = []

[[stage]]
id = "publish"
name = "Publish"
owner = "writer"
days = 0
after = ["copy", "design"]
TOML
python3 - "$work/items/many.toml" "$items" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        f.write(f'[[item]]\nid = "post-{i}"\nprocess = "content"\ntitle = "Post {i}"\ngolive = 2027-02-{1 + i % 28:02}\n\n')
PY
emu_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Start the Trello emulator; sets `emu` and writes board, key and token to $work/trello-*.new.
start_emulator() {
  "$bin" emulate trello --listen "127.0.0.1:$emu_port" >"$work/emulator.out" 2>&1 &
  emu=$!
  until grep -q TRELLO_KEY= "$work/emulator.out" 2>/dev/null; do sleep 0.05; done
  sed -n 's/.*board = "\(.*\)".*/\1/p' "$work/emulator.out" | head -1 >"$work/trello-board.new"
  sed -n 's/.*TRELLO_KEY=\([^ ]*\).*/\1/p' "$work/emulator.out" >"$work/trello-key.new"
  sed -n 's/.*TRELLO_TOKEN=\([^ ]*\).*/\1/p' "$work/emulator.out" >"$work/trello-token.new"
}
generation=1
# The deployment, with the Trello target on the emulator's current board.
write_config() {
  cat >"$work/throughline.toml" <<TOML
state = "throughline.db"
playbooks = ["playbooks/*.toml"]
items = ["items/*.toml"]

[sync]
every = "1s"

[daemon]
max_backoff = "4s"

[[target]]
id = "studio-$generation"
kind = "trello"
board = "$(cat "$work/trello-board")"
base_url = "http://127.0.0.1:$emu_port/1"
credentials = { key = "file:trello-key", token = "file:trello-token" }
people = { "dana@example.com" = "dana", "avi@example.com" = "yossi" }

[[target]]
id = "writers"
kind = "excel"
path = "writers.xlsx"

[[target]]
id = "managers"
kind = "excel"
path = "managers.xlsx"
TOML
}
start_emulator
for f in board key token; do mv "$work/trello-$f.new" "$work/trello-$f"; done
write_config

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" daemon --config "$work/throughline.toml" --listen "127.0.0.1:$port" --log-format json \
  2>"$work/daemon.log" &
pid=$!

# Cycles ended so far (any result), from /metrics.
cycles_done() {
  curl -sf "127.0.0.1:$port/metrics" 2>/dev/null \
    | awk '/^throughline_cycles_total/ {s += $2} END {print s + 0}'
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
wait_cycles() {
  while [[ $(cycles_done) -lt $1 ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "the daemon died; log:"; tail -20 "$work/daemon.log"; exit 1; }
    sleep 0.1
  done
}
# A person ticks a task in a workbook (the Excel connector, as another process would).
tick() {
  python3 - "$1" "$2" <<'PY' 2>/dev/null || true
import sys, openpyxl
path, ident = sys.argv[1], sys.argv[2]
wb = openpyxl.load_workbook(path)
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
idc, done = head.index("ID") + 1, head.index("Done") + 1
for row in range(2, ws.max_row + 1):
    if ws.cell(row=row, column=idc).value == ident:
        ws.cell(row=row, column=done, value="✓")
wb.save(path)
PY
}

wait_cycles 1
rss_first=$(rss_kb)
echo "after cycle 1: RSS $((rss_first / 1024)) MB"
ticked=()
have_openpyxl=$(python3 -c 'import openpyxl' 2>/dev/null && echo yes || echo no)
n=1
while [[ $n -lt $cycles ]]; do
  step=$(( (n / 25) % 6 ))
  if (( n % 25 == 0 )); then
    case $step in
      0) touch "$work/~\$managers.xlsx" ;;                         # open in Excel
      1) cp "$work/writers.xlsx" "$work/writers.keep"; head -c 4096 /dev/urandom >"$work/writers.xlsx" ;;
      2) cp "$work/throughline.toml" "$work/toml.keep"; echo 'every = = "oops"' >>"$work/throughline.toml" ;;
      3) printf '[[item]]\nid = "extra"\nprocess = "content"\ntitle = "Extra"\ngolive = 2027-03-04\n' >"$work/items/extra.toml" ;;
      4) if [[ $have_openpyxl == yes ]]; then
           id="post-$(( (n / 25) % items ))/design"; tick "$work/writers.xlsx" "$id"; ticked+=("$id")
         fi ;;
      5) kill "$emu"; wait "$emu" 2>/dev/null || true; emu="" ;;  # Trello is gone
    esac
  fi
  if (( step == 5 && n % 25 == 4 )); then start_emulator; fi      # back, with another key
  if (( step == 5 && n % 25 == 8 )); then                         # the operator updates it
    for f in board key token; do mv "$work/trello-$f.new" "$work/trello-$f"; done
    generation=$((generation + 1))
    write_config
  fi
  if (( n % 25 == 6 )); then                                      # the fault ends
    case $step in
      0) rm -f "$work/~\$managers.xlsx" ;;
      1) mv "$work/writers.keep" "$work/writers.xlsx" ;;
      2) mv "$work/toml.keep" "$work/throughline.toml" ;;
      3) rm -f "$work/items/extra.toml" ;;
    esac
  fi
  n=$((n + 1))
  wait_cycles "$n"
  if (( n % 100 == 0 )); then echo "after cycle $n: RSS $(( $(rss_kb) / 1024 )) MB"; fi
done
rss_last=$(rss_kb)
metrics=$(curl -sf "127.0.0.1:$port/metrics")
kill -TERM "$pid"
code=0; wait "$pid" || code=$?
pid=""

echo
echo "cycles: $cycles, $items items ($(( (items) * 3 )) tasks per workbook)"
echo "RSS after the first cycle: $((rss_first / 1024)) MB ($rss_first kB); after cycle $cycles: $((rss_last / 1024)) MB ($rss_last kB)"
echo "$metrics" | grep -E '^throughline_(cycles_total|config_reloads_total|target_consecutive_failures|auth_failures_total|rate_limited_total|requests_total)' | sed 's/^/  /'
echo "$metrics" | awk '/^throughline_cycle_duration_seconds_(sum|count)/ {v[$1]=$2} END {printf "  mean cycle: %.3f s\n", v["throughline_cycle_duration_seconds_sum"] / v["throughline_cycle_duration_seconds_count"]}'
echo "exit code after SIGTERM: $code"
panics=$(grep -c -i 'panicked' "$work/daemon.log" || true)
echo "panics in the log: $panics"
fail=0
[[ $code -eq 0 && $panics -eq 0 ]] || fail=1
# Every cycle ended as ok, partial or failed (cleanly): none vanished.
ended=$(echo "$metrics" | awk '/^throughline_cycles_total/ {s += $2} END {print s}')
[[ $ended -ge $cycles ]] || { echo "only $ended cycles ended"; fail=1; }
# Settle with one sync, then: no duplicates, the workbooks agree, every tick is there.
"$bin" sync --config "$work/throughline.toml" >/dev/null || true
if [[ $have_openpyxl == yes ]]; then
  python3 - "$work/writers.xlsx" "$work/managers.xlsx" "${ticked[@]}" <<'PY' || fail=1
import sys, collections, openpyxl
def rows(path):
    ws = openpyxl.load_workbook(path).worksheets[0]
    head = [c.value for c in ws[1]]
    i, d = head.index("ID"), head.index("Done")
    return [(r[i], bool(r[d])) for r in ws.iter_rows(min_row=2, values_only=True) if r[i]]
w, m = rows(sys.argv[1]), rows(sys.argv[2])
dup = [k for k, n in collections.Counter(k for k, _ in w + m).items() if n > 2]
lost = [t for t in sys.argv[3:] if (t, True) not in w or (t, True) not in m]
print(f"rows: writers {len(w)}, managers {len(m)}; duplicates: {len(dup)}; ticks kept: {len(sys.argv) - 3 - len(lost)} of {len(sys.argv) - 3}")
sys.exit(1 if dup or lost or sorted(w) != sorted(m) else 0)
PY
fi
# The Trello board of the last generation: every task once.
python3 - "$emu_port" "$(cat "$work/trello-board")" "$(cat "$work/trello-key")" "$(cat "$work/trello-token")" "$items" <<'PY' || fail=1
import sys, json, urllib.request, collections
port, board, key, token, items = sys.argv[1:6]
url = f"http://127.0.0.1:{port}/1/boards/{board}/cards?key={key}&token={token}"
cards = json.load(urllib.request.urlopen(url))
marks = [c["desc"].strip().splitlines()[-1].split(" ·")[0] for c in cards if "throughline:" in c["desc"]]
dup = [m for m, n in collections.Counter(marks).items() if n > 1]
print(f"Trello board: {len(marks)} cards with a marker (expected {int(items) * 3}), duplicates: {len(dup)}")
sys.exit(1 if dup or len(marks) != int(items) * 3 else 0)
PY
exit $fail
