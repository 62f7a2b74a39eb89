#!/usr/bin/env bash
# Scale-out benchmark (docs/scale-out.md): DEPLOYMENTS deployments of TASKS tasks each (an Excel
# target per deployment, so only this machine is involved), their states in one PostgreSQL
# database (a schema each), run by REPLICAS daemons started on the same folder.
#
# Prints: cycles per minute (all deployments), the p95 delay of a scheduled cycle behind its
# schedule (cron "* * * * *": each minute's boundary), the failover time p95 over KILLS kill -9s
# of a leading replica (until every deployment has a leader again), and the database's growth
# per 10,000 cycles (after the first cycles, which make the links).
#
#   bench/scale.sh                      # 50 deployments x 200 tasks, 3 replicas, 20 kills
#   DEPLOYMENTS=5 KILLS=3 RUN_SECONDS=90 PROFILE=debug bench/scale.sh
#   THROUGHLINE_BIN=target/release/throughline bench/scale.sh   # without building
#
# Needs PostgreSQL's initdb and postgres (Debian's postgresql package). Everything it starts
# listens on 127.0.0.1 and is stopped at the end; its files are in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

DEPLOYMENTS=${DEPLOYMENTS:-50}
ITEMS=${ITEMS:-50}            # x 4 stages = 200 tasks
REPLICAS=${REPLICAS:-3}
KILLS=${KILLS:-20}
RUN_SECONDS=${RUN_SECONDS:-180}
LEASE=${LEASE:-3s}
PROFILE=${PROFILE:-release}

if [ -n "${THROUGHLINE_BIN:-}" ]; then   # a binary built already
  bin=$THROUGHLINE_BIN
elif [ "$PROFILE" = release ]; then
  cargo build -q --release -p throughline --bin throughline
  bin=target/release/throughline
else
  cargo build -q -p throughline --bin throughline
  bin=target/debug/throughline
fi
bin=$(readlink -f "$bin")

pgbin=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")")
work=$(mktemp -d /tmp/throughline-scale-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  if [ -n "${pg_pid:-}" ]; then kill -INT "$pg_pid" 2>/dev/null || true; wait "$pg_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: then as the postgres account (or nobody).
as_pg=()
if [ "$(id -u)" = 0 ]; then
  user=postgres; id postgres >/dev/null 2>&1 || user=nobody
  as_pg=(setpriv --reuid="$(id -u $user)" --regid="$(id -g $user)" --clear-groups)
  mkdir "$work/pg" && chown "$user" "$work/pg"
else
  mkdir "$work/pg"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
"${as_pg[@]}" "$pgbin/postgres" -D "$work/pg/data" -p "$port" -k "$work/pg" \
  -c listen_addresses=127.0.0.1 -c max_connections=500 >"$work/pg.log" 2>&1 &
pg_pid=$!
for _ in $(seq 100); do "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" && break; sleep 0.2; done
psql() { "$pgbin/psql" -q -h 127.0.0.1 -p "$port" -U postgres "$@"; }
psql -c "CREATE DATABASE bench" postgres

echo "==> $DEPLOYMENTS deployments x $((ITEMS * 4)) tasks, $REPLICAS replicas ($bin, lease $LEASE)"
python3 - "$work/deployments" "$DEPLOYMENTS" "$ITEMS" "$port" <<'PY'
import os, sys
root, n, items, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
playbook = """[process]
id = "content"
name = "Content"
timezone = "UTC"

[roles.writer]
name = "Writer"
people = ["dana@example.com"]
"""
for i, stage in enumerate(["brief", "copy", "review", "publish"]):
    playbook += f'\n[[stage]]\nid = "{stage}"\nname = "{stage.title()}"\nowner = "writer"\ndays = {i + 1}\n'
for d in range(n):
    name = f"client{d:02}"
    folder = os.path.join(root, name)
    os.makedirs(os.path.join(folder, "playbooks"))
    os.makedirs(os.path.join(folder, "items"))
    open(os.path.join(folder, "playbooks", "content.toml"), "w").write(playbook)
    with open(os.path.join(folder, "items", "posts.toml"), "w") as f:
        for i in range(items):
            f.write(f'[[item]]\nid = "post-{i:03}"\nprocess = "content"\ntitle = "Post {i}"\n'
                    f'golive = 2027-{1 + i % 12:02}-{10 + i % 15:02}\n\n')
    open(os.path.join(folder, "throughline.toml"), "w").write(
        f'state = "postgres://postgres@127.0.0.1:{port}/bench?options=-csearch_path%3D{name}"\n'
        'playbooks = ["playbooks/*.toml"]\nitems = ["items/*.toml"]\n\n'
        '[sync]\ncron = "* * * * *"\n\n'
        '[[target]]\nid = "plan"\nkind = "excel"\npath = "plan.xlsx"\n')
PY
for d in $(seq 0 $((DEPLOYMENTS - 1))); do printf 'CREATE SCHEMA client%02d;\n' "$d"; done | psql bench

start_replica() { # $1: index
  RUST_LOG=info "$bin" daemon --config "$work/deployments" --listen 127.0.0.1:0 \
    --lease "$LEASE" --log-format json >>"$work/replica$1.log" 2>&1 &
  pids[$1]=$!
}
front() { # the address replica $1's front answers on (none while its log is being moved)
  [ -f "$work/replica$1.log" ] || return 0
  python3 - "$work/replica$1.log" 2>/dev/null <<'PY'
import json, sys
addr = ""
for line in open(sys.argv[1]):
    try: v = json.loads(line)
    except ValueError: continue
    if "several deployments started" in v.get("message", ""): addr = v["listen"]
print(addr)
PY
}
leaders() { # "<replica> <deployments it leads>" for each live replica
  for r in $(seq 0 $((REPLICAS - 1))); do
    a=$(front "$r"); [ -n "$a" ] || continue
    n=$(curl -s --max-time 2 "http://$a/metrics" | grep -c '^throughline_leader.* 1$' || true)
    echo "$r $n"
  done
}
led_total() { leaders | awk '{s += $2} END {print s + 0}'; }

for r in $(seq 0 $((REPLICAS - 1))); do start_replica "$r"; done
until [ "$(led_total)" -ge "$DEPLOYMENTS" ]; do sleep 1; done
echo "    every deployment has a leader: $(leaders | tr '\n' ' ')"
sleep 70   # the first cycles make every link
size0=$(psql -At -c "SELECT pg_database_size('bench')" bench)
t0=$(date +%s.%N)
sleep "$RUN_SECONDS"
t1=$(date +%s.%N)
size1=$(psql -At -c "SELECT pg_database_size('bench')" bench)

echo "==> $KILLS failovers (kill -9 of a leading replica; restarted after)"
: >"$work/failover.txt"
for k in $(seq 1 "$KILLS"); do
  victim=$(leaders | awk '$2 > 0 {print $1; exit}')
  kill -9 "${pids[$victim]}"; wait "${pids[$victim]}" 2>/dev/null || true
  # Its log moves aside (still counted), so that its next start line is the only one.
  mv "$work/replica$victim.log" "$work/replica$victim.before-kill-$k.log"
  killed=$(date +%s.%N)
  until [ "$(led_total)" -ge "$DEPLOYMENTS" ]; do sleep 0.1; done
  awk -v now="$(date +%s.%N)" -v then="$killed" 'BEGIN { print now - then }' >>"$work/failover.txt"
  start_replica "$victim"
  until [ -n "$(front "$victim")" ]; do sleep 0.2; done
done

python3 - "$work" "$REPLICAS" "$t0" "$t1" "$size0" "$size1" "$LEASE" <<'PY'
import glob, json, sys
from datetime import datetime
work, replicas, t0, t1, size0, size1, lease = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
ended, delays = 0, []
for path in glob.glob(f"{work}/replica*.log"):
    for line in open(path):
        try: v = json.loads(line)
        except ValueError: continue
        ts = v.get("timestamp")
        if not ts: continue
        t = datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
        if not (t0 <= t <= t1): continue
        msg = v.get("message", "")
        if msg == "cycle ended": ended += 1
        if msg == "cycle started" and v.get("trigger") == "schedule": delays.append(t % 60)
def p95(xs):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(0.95 * len(xs)))] if xs else float("nan")
minutes = (t1 - t0) / 60
fail = [float(x) for x in open(f"{work}/failover.txt")]
print(f"cycles per minute:            {ended / minutes:.1f}  ({ended} cycles in {minutes:.1f} min)")
print(f"p95 delay behind schedule:    {p95(delays):.2f} s  ({len(delays)} scheduled cycles)")
print(f"failover time p95:            {p95(fail):.2f} s  (lease {lease}; {len(fail)} kills; max {max(fail) if fail else float('nan'):.2f} s)")
growth = (size1 - size0) / ended * 10000 if ended else float("nan")
print(f"database growth:              {growth / 1e6:.2f} MB per 10,000 cycles  ({size0 / 1e6:.1f} -> {size1 / 1e6:.1f} MB)")
PY
