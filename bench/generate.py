#!/usr/bin/env python3
"""Writes a large benchmark deployment: one 8-stage playbook with checklists and N items.

    bench/generate.py DIR ITEMS [WORKBOOK]

With WORKBOOK, the deployment gets an Excel target writing that file (relative to DIR).
Used by bench/schedule.sh and bench/sync.sh.
"""
import datetime, os, sys

work, n = sys.argv[1], int(sys.argv[2])
excel = sys.argv[3] if len(sys.argv) > 3 else None
os.makedirs(f"{work}/playbooks")
os.makedirs(f"{work}/items")

with open(f"{work}/throughline.toml", "w") as f:
    f.write('state = "throughline.db"\nplaybooks = ["playbooks/*.toml"]\nitems = ["items/*.toml"]\n')
    # 8 stages an item: past 625 items the playbook needs a higher limit than the default 5,000.
    f.write(f'\n[limits]\ntasks_per_playbook = {max(5000, 8 * n)}\n')
    if excel:
        f.write(f'\n[[target]]\nid = "workbook"\nkind = "excel"\npath = "{excel}"\n')

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
