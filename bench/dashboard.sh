#!/usr/bin/env bash
# Benchmark: the dashboard's pages at ~10,000 tasks with a year of status history, served by
# `throughline serve` (release binary). Each page is asked for 1 + RUNS times; the first (which
# loads the files) is reported apart, then the median and the slowest of the others. Times are
# the server's own (the `Server-Timing` header: building the page, the state store read
# included), and the whole request as curl saw it.
#
#   bench/dashboard.sh [ITEMS] [NOW] [RUNS]   (default 1250 items × 8 stages ≈ 10,000 tasks,
#                                             NOW 2027-03-01, RUNS 10)
#
# Not a test: it asserts nothing. Target (issue 18): every page under 300 ms server time.
set -euo pipefail
items="${1:-1250}"
now="${2:-2027-03-01}"
runs="${3:-10}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
server=""
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
command -v curl >/dev/null || { echo "curl is missing: apt-get install -y curl" >&2; exit 1; }

python3 "$root/bench/generate.py" "$work" "$items"
# THROUGHLINE_BIN: a release binary built elsewhere (else this tree's, built now).
bin="${THROUGHLINE_BIN:-$root/target/release/throughline}"
[[ -n "${THROUGHLINE_BIN:-}" ]] || (cd "$root" && cargo build --release -q --bin throughline)
config="$work/throughline.toml"
"$bin" --now 2026-02-20 sync --config "$config" >/dev/null
"$bin" schedule --json --config "$config" >"$work/schedule.json"
python3 "$root/bench/history.py" "$work/schedule.json" "$work/throughline.db" "$now"
tasks=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tasks"]))' "$work/schedule.json")

"$bin" --now "$now" serve --listen 127.0.0.1:0 --config "$config" >"$work/serve.out" &
server=$!
for _ in $(seq 100); do grep -q "http://" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$work/serve.out")
# `head` closes the pipe early; with pipefail that would end the script.
item=$(curl -s "$base/" | grep -o 'href="/item/[^"]*"' | head -1 | cut -d'"' -f2 || true)

echo "dashboard at $tasks tasks ($items items), history to $now; $runs runs per page after the first"
printf '%-12s %10s %12s %12s %12s %10s\n' page "first ms" "median ms" "slowest ms" "curl med ms" "KB"
for page in / "$item" /process /people /sync /review /report; do
  server_ms=(); curl_ms=(); first=""
  for run in $(seq 0 "$runs"); do
    out=$(curl -s -D - -o "$work/page.html" -w 'TOTAL %{time_total}\n' "$base$page")
    ms=$(printf '%s\n' "$out" | tr -d '\r' | awk -F'dur=' 'tolower($0) ~ /^server-timing:/ {print $2}')
    total=$(printf '%s\n' "$out" | awk '/^TOTAL/ {printf "%.1f", $2 * 1000}')
    if [[ $run == 0 ]]; then first=$ms; continue; fi
    server_ms+=("$ms"); curl_ms+=("$total")
  done
  kb=$(( $(stat -c %s "$work/page.html") / 1024 ))
  med=$(printf '%s\n' "${server_ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  max=$(printf '%s\n' "${server_ms[@]}" | sort -n | tail -1)
  cmed=$(printf '%s\n' "${curl_ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  name=$page; [[ $page == /item/* ]] && name=/item/…
  printf '%-12s %10s %12s %12s %12s %10s\n' "$name" "$first" "$med" "$max" "$cmed" "$kb"
done
echo "target: every page under 300 ms server time"
