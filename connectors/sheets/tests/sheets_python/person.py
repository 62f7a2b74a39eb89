"""A person editing throughline's tracker tab with gspread, pointed at the emulator.

Usage: person.py BASE_URL TOKEN SPREADSHEET_ID PLAN_JSON

PLAN_JSON: {"tab": ..., "tick": identity, "type_done": [identity, word], "tick_entry": identity,
            "insert_at": row} — ticks a task's checkbox, types a word in another task's status
cell, ticks a checklist entry, adds a "Notes" column with a formula, sorts the rows by task
title (Z to A) and inserts a row of the person's own in the middle. Prints the tab's values
(formulas as written) as JSON.
"""

import json
import sys

import gspread

from emulator_client import client_for

BASE, TOKEN, SPREADSHEET, PLAN = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])

gc = client_for(BASE, TOKEN)
ws = gc.open_by_key(SPREADSHEET).worksheet(PLAN["tab"])
header = ws.row_values(1)
col = {name: i + 1 for i, name in enumerate(header)}


def row_of(identity):
    return ws.col_values(col[PLAN["id"]]).index(identity) + 1


# Tick a task's checkbox (the status cell still says "to do").
ws.update_cell(row_of(PLAN["tick"]), col[PLAN["done"]], True)
# Type the done word in another task's status cell; its checkbox stays unticked.
identity, word = PLAN["type_done"]
ws.update_cell(row_of(identity), col[PLAN["status"]], word)
# Tick a checklist entry.
ws.update_cell(row_of(PLAN["tick_entry"]), col[PLAN["done"]], True)
# A column of the person's own, with a formula next to a task of throughline's.
ws.add_cols(1)
notes = ws.col_count
ws.update_cell(1, notes, "Notes")
ws.update_cell(row_of(PLAN["tick"]), notes, '=%s%d&" (checked)"' % (
    gspread.utils.rowcol_to_a1(1, col[PLAN["task"]]).rstrip("1"), row_of(PLAN["tick"])))
# Sort the whole tab (below the frozen header) by task title, Z to A.
ws.sort((col[PLAN["task"]], "des"))
# A row of the person's own in the middle.
ws.insert_row(["", "", "", "Call the printer", "", "", "", "", "", ""], index=PLAN["insert_at"])

print(json.dumps(ws.get_all_values(value_render_option="FORMULA"), ensure_ascii=False))
