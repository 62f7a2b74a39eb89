"""Edit a throughline workbook the way a person would, with openpyxl, then save it.

Usage: python3 person_edits.py WORKBOOK.xlsx EDITS.json ORDER_OUT.json

EDITS.json: {"sheet": "<English sheet>", "hebrew_sheet": "<Hebrew sheet>",
             "tick": [ids], "status": {id: word}, "hebrew_status": {id: word}}

Ticks "done" for the `tick` ids, types the given status words, adds a "Notes" column with a
note on every task row, sorts the English sheet's rows by due date (latest first, the way
Data > Sort moves whole rows), and adds a "Budget" sheet with a number, a formula, formatting and a merged title. Writes the
ID order of the sorted sheet to ORDER_OUT.json.
"""

import copy
import json
import sys

import openpyxl


def header(ws):
    return {cell.value: cell.column for cell in ws[1] if cell.value is not None}


def row_of(ws, id_col, identity):
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, id_col).value == identity:
            return r
    raise SystemExit(f"no row {identity!r} in {ws.title!r}")


def main():
    path, edits_path, order_path = sys.argv[1:4]
    with open(edits_path, encoding="utf-8") as f:
        edits = json.load(f)
    wb = openpyxl.load_workbook(path)

    for sheet_key, id_title, status_title, done_title, status_key in (
        ("sheet", "ID", "Status", "Done", "status"),
        ("hebrew_sheet", "מזהה", "סטטוס", "בוצע", "hebrew_status"),
    ):
        ws = wb[edits[sheet_key]]
        h = header(ws)
        for identity in edits["tick"]:
            try:
                ws.cell(row_of(ws, h[id_title], identity), h[done_title]).value = "✓"
            except SystemExit:
                pass
        for identity, word in edits.get(status_key, {}).items():
            ws.cell(row_of(ws, h[id_title], identity), h[status_title]).value = word

    ws = wb[edits["sheet"]]
    h = header(ws)
    id_col, due_col = h["ID"], h["Due"]
    notes_col = ws.max_column + 1
    ws.cell(1, notes_col).value = "Notes"
    for r in range(2, ws.max_row + 1):
        identity = ws.cell(r, id_col).value
        if identity and identity.count("/") == 1:
            ws.cell(r, notes_col).value = f"note for {identity}"

    # Data > Sort: whole rows move, values and formats together.
    width = ws.max_column
    rows = []
    for r in range(2, ws.max_row + 1):
        cells = [ws.cell(r, c) for c in range(1, width + 1)]
        rows.append([(c.value, c.data_type, copy.copy(c._style)) for c in cells])
    rows.sort(key=lambda row: (row[due_col - 1][0] is not None, row[due_col - 1][0]), reverse=True)
    for i, row in enumerate(rows):
        for c, (value, data_type, style) in enumerate(row, start=1):
            cell = ws.cell(i + 2, c)
            # Keep the type as it was: text that starts with "=" stays text, as in Excel's sort
            # (assigning `cell.value` would turn it into a formula).
            cell._value = value
            cell.data_type = data_type
            cell._style = style
    order = [row[id_col - 1][0] for row in rows]

    budget = wb.create_sheet("Budget")
    budget["A1"] = "Item"
    budget["B1"] = "Cost"
    budget["A2"] = "Print run"
    budget["B2"] = 1250.5
    budget["B3"] = "=B2*2"
    # Their formatting: a bold header on yellow, money with a shekel sign, a merged title.
    from openpyxl.styles import Font, PatternFill
    budget["A1"].font = Font(bold=True, color="C00000")
    budget["A1"].fill = PatternFill("solid", fgColor="FFFF00")
    budget["B2"].number_format = '#,##0.00 "₪"'
    budget["D1"] = "Q1 plan"
    budget.merge_cells("D1:F1")
    budget.column_dimensions["A"].width = 30
    # A highlighted note in their own column.
    ws.cell(2, notes_col).fill = PatternFill("solid", fgColor="C6EFCE")

    wb.save(path)
    with open(order_path, "w", encoding="utf-8") as f:
        json.dump(order, f, ensure_ascii=False)
    print("ok")


if __name__ == "__main__":
    main()
