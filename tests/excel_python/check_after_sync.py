"""After throughline wrote a workbook a person had edited: their work is still there.

Usage: python3 check_after_sync.py WORKBOOK.xlsx SHEET ORDER.json NEW_ID

Checks that the "Notes" column still holds each note on its own task's row (matched by ID),
the rows keep the order the person sorted them in (new rows only at the bottom, NEW_ID last),
and the "Budget" sheet still has its number, its formula, its formatting and merged title.
"""

import json
import sys

import openpyxl


def main():
    path, sheet, order_path, new_id = sys.argv[1:5]
    with open(order_path, encoding="utf-8") as f:
        order = json.load(f)
    wb = openpyxl.load_workbook(path)
    failures = []
    ws = wb[sheet]
    h = {cell.value: cell.column for cell in ws[1] if cell.value is not None}
    if "Notes" not in h:
        failures.append(f"the Notes column is gone; header: {list(h)}")
    else:
        for r in range(2, ws.max_row + 1):
            identity = ws.cell(r, h["ID"]).value
            note = ws.cell(r, h["Notes"]).value
            if identity and identity.count("/") == 1 and identity != new_id and note != f"note for {identity}":
                failures.append(f"row {r} ({identity}) has note {note!r}")
    ids = [ws.cell(r, h["ID"]).value for r in range(2, ws.max_row + 1)]
    ids = [i for i in ids if i]
    if ids[: len(order)] != order:
        failures.append(f"the person's sort order was not kept:\n  sorted {order}\n  now    {ids}")
    if new_id not in ids or ids.index(new_id) < len(order):
        failures.append(f"the new task {new_id} is not below the existing rows: {ids}")
    if "Budget" not in wb.sheetnames:
        failures.append(f"the Budget sheet is gone: {wb.sheetnames}")
    else:
        b = wb["Budget"]
        if b["B2"].value != 1250.5:
            failures.append(f"Budget!B2 is {b['B2'].value!r}")
        if b["B3"].value != "=B2*2":
            failures.append(f"Budget!B3 is {b['B3'].value!r}, not the formula =B2*2")
        a1 = b["A1"]
        if not (a1.font.b and (a1.font.color.rgb or "").endswith("C00000")):
            failures.append(f"Budget!A1 lost its bold red font: {a1.font}")
        if not (a1.fill.fill_type == "solid" and a1.fill.fgColor.rgb.endswith("FFFF00")):
            failures.append(f"Budget!A1 lost its yellow fill: {a1.fill}")
        if b["B2"].number_format != '#,##0.00 "₪"':
            failures.append(f"Budget!B2 number format is {b['B2'].number_format!r}")
        if "D1:F1" not in [str(m) for m in b.merged_cells.ranges]:
            failures.append(f"Budget merged cells: {b.merged_cells.ranges}")
        if abs((b.column_dimensions["A"].width or 0) - 30) > 1:
            failures.append(f"Budget column A width {b.column_dimensions['A'].width}")
    if "Notes" in h:
        highlighted = [r for r in range(2, ws.max_row + 1)
                       if ws.cell(r, h["Notes"]).fill.fill_type == "solid"
                       and ws.cell(r, h["Notes"]).fill.fgColor.rgb.endswith("C6EFCE")]
        if len(highlighted) != 1:
            failures.append(f"the highlighted note is not kept (highlighted rows: {highlighted})")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
