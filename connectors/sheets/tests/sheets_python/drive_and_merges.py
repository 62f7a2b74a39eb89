"""A person using gspread's Drive side and merged cells, pointed at the emulator: opens the
tracker by its title, creates a spreadsheet of their own, merges cells in it the three ways
Google knows (as gspread's own test of merges does), reads the merges back, unmerges, and
deletes the spreadsheet again. Prints what they saw as JSON.

Usage: drive_and_merges.py BASE_URL TOKEN TRACKER_TITLE
"""

import json
import sys

import gspread

from emulator_client import client_for

BASE, TOKEN, TITLE = sys.argv[1:4]
gc = client_for(BASE, TOKEN)

tracker = gc.open(TITLE)
try:
    gc.open("No spreadsheet has this title")
    missing = "opened"
except gspread.SpreadsheetNotFound:
    missing = "not found"

mine = gc.create("Ben's scratch sheet")
listed = sorted(f["name"] for f in gc.list_spreadsheet_files())
ws = mine.sheet1
ws.resize(4, 4)
ws.update([["1", "", "2", "3"], ["", "x", "", ""], ["", "4", "", ""], ["", "5", "", ""]], "A1:D4")
ws.merge_cells("A1:B2", merge_type="MERGE_ALL")
ws.merge_cells("C1:D2", merge_type="MERGE_COLUMNS")
ws.merge_cells("B3:C4", merge_type="MERGE_ROWS")
sheet_meta = mine.fetch_sheet_metadata()["sheets"][0]
merged_values = ws.get_values("A1:D4")
combined = ws.get_values("A1:D4", combine_merged_cells=True)
ws.unmerge_cells("A1:D4")
after_unmerge = mine.fetch_sheet_metadata()["sheets"][0]
gc.del_spreadsheet(mine.id)
try:
    gc.open_by_key(mine.id)
    deleted = False
except gspread.SpreadsheetNotFound:
    deleted = True

print(
    json.dumps(
        {
            "opened": tracker.id,
            "missing": missing,
            "created": mine.id,
            "listed": listed,
            "merges": sheet_meta.get("merges"),
            "values": merged_values,
            "combined": combined,
            "merges_after_unmerge": after_unmerge.get("merges"),
            "deleted": deleted,
        }
    )
)
