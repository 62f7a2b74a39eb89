#!/usr/bin/env python3
"""Writes a year of status history for a benchmark deployment into its state file.

    bench/history.py SCHEDULE_JSON STATE_DB NOW_DATE

Every task due before NOW_DATE gets a "doing" on its start day and a "done" on its due day,
one in five of them 1-3 days late, as a workbook would report them; tasks that started but are
not due yet get their "doing". Rows go straight into `status_history` and `status` (the schema
is throughline's: a first `sync` created it). Used by bench/report.sh.
"""
import datetime, json, random, sqlite3, sys

schedule, db, now = sys.argv[1], sys.argv[2], datetime.date.fromisoformat(sys.argv[3])
tasks = json.load(open(schedule))["tasks"]
rng = random.Random(7)
utc = datetime.timezone.utc


def nanos(day, hour):
    t = datetime.datetime.combine(day, datetime.time(hour), tzinfo=utc)
    return int(t.timestamp()) * 1_000_000_000


rows = []
for t in tasks:
    start = datetime.date.fromisoformat(t["start"])
    due = datetime.date.fromisoformat(t["due"])
    if start >= now:
        continue
    rows.append((t["id"], "doing", "workbook", None, nanos(start, 9)))
    done = due + datetime.timedelta(days=rng.choice([0, 0, 0, 0, 1, 2, 3]))
    if done < now:
        rows.append((t["id"], "done", "workbook", None, nanos(done, 16)))
rows.sort(key=lambda r: r[4])
con = sqlite3.connect(db)
con.executemany(
    "INSERT INTO status_history (identity, state, source_target, source_person, at) "
    "VALUES (?, ?, ?, ?, ?)", rows)
con.executemany(
    "INSERT OR REPLACE INTO status (identity, state, source_target, source_person, at) "
    "VALUES (?, ?, ?, ?, ?)", rows)
con.commit()
print(f"history: {len(rows)} status records for {len(tasks)} tasks, up to {now}")
