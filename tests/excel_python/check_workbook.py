"""Independent check of a workbook written by throughline's Excel connector.

Usage: python3 check_workbook.py WORKBOOK.xlsx EXPECTED.json

EXPECTED.json (written by the Rust test that made the workbook):
  {"sheets": {"<sheet name>": {"rtl": bool, "tasks": [
      {"id": str, "title": str, "due": "YYYY-MM-DD" | null, "status": str, "done": str,
       "entry": bool}]}}}

Checks what a person opening the file in Excel would rely on: the header row is frozen and
filtered, titles that look like formulas are plain text, dates are real dates, the status column
is a dropdown and the done column a tick list, overdue rows are coloured by a TODAY() rule,
checklist rows are indented, Hebrew sheets are right to left, and throughline's bookkeeping
sheet is very hidden. Exits non-zero with every failure listed.
"""

import datetime
import json
import sys

import openpyxl
from openpyxl.utils import get_column_letter

failures = []


def check(ok, message):
    if not ok:
        failures.append(message)


def main():
    path, expected_path = sys.argv[1], sys.argv[2]
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    wb = openpyxl.load_workbook(path)

    check("throughline" in wb.sheetnames, "no bookkeeping sheet 'throughline'")
    if "throughline" in wb.sheetnames:
        check(wb["throughline"].sheet_state == "veryHidden",
              f"bookkeeping sheet is {wb['throughline'].sheet_state}, not veryHidden")

    for name, spec in expected["sheets"].items():
        check(name in wb.sheetnames, f"sheet {name!r} missing; sheets: {wb.sheetnames}")
        if name not in wb.sheetnames:
            continue
        ws = wb[name]
        where = f"sheet {name!r}"
        check(ws.sheet_state == "visible", f"{where} is {ws.sheet_state}")
        check(ws.freeze_panes == "A2", f"{where}: freeze panes {ws.freeze_panes!r}, expected 'A2'")
        check(bool(ws.auto_filter.ref) and ws.auto_filter.ref.startswith("A1:"),
              f"{where}: autofilter {ws.auto_filter.ref!r}")
        check(bool(ws.sheet_view.rightToLeft) == spec["rtl"],
              f"{where}: rightToLeft {ws.sheet_view.rightToLeft!r}, expected {spec['rtl']}")

        header = {cell.value: cell.column for cell in ws[1] if cell.value is not None}
        titles = ("ID", "Task", "Due", "Status", "Done") if not spec["rtl"] else \
            ("מזהה", "משימה", "תאריך יעד", "סטטוס", "בוצע")
        check(all(t in header for t in titles), f"{where}: header {list(header)} lacks one of {titles}")
        if not all(t in header for t in titles):
            continue
        id_col, task_col, due_col, status_col, done_col = (header[t] for t in titles)

        id_letter = get_column_letter(id_col)
        width = ws.column_dimensions[id_letter].width
        hidden = ws.column_dimensions[id_letter].hidden
        check(hidden or (width is not None and width <= 8),
              f"{where}: the ID column is neither narrow nor hidden (width {width})")

        rows = {}
        for r in range(2, ws.max_row + 1):
            v = ws.cell(r, id_col).value
            if v:
                rows[v] = r
        for task in spec["tasks"]:
            tid = task["id"]
            if tid not in rows:
                failures.append(f"{where}: no row with ID {tid!r}")
                continue
            r = rows[tid]
            title = ws.cell(r, task_col)
            check(title.value == task["title"], f"{where} {tid}: title {title.value!r} != {task['title']!r}")
            check(title.data_type == "s", f"{where} {tid}: title cell type {title.data_type!r}, expected text 's'")
            if task["entry"]:
                check((title.alignment.indent or 0) >= 1,
                      f"{where} {tid}: checklist row is not indented ({title.alignment.indent})")
            due = ws.cell(r, due_col)
            if task["due"] is None:
                check(due.value is None, f"{where} {tid}: due {due.value!r}, expected empty")
            else:
                want = datetime.date.fromisoformat(task["due"])
                check(isinstance(due.value, datetime.datetime) and due.value.date() == want,
                      f"{where} {tid}: due {due.value!r} is not the date {want}")
                check(due.is_date, f"{where} {tid}: due cell has no date format ({due.number_format!r})")
            status = ws.cell(r, status_col).value or ""
            check(status == task["status"], f"{where} {tid}: status {status!r} != {task['status']!r}")
            done = ws.cell(r, done_col).value or ""
            check(done == task["done"], f"{where} {tid}: done {done!r} != {task['done']!r}")

        letter = lambda c: get_column_letter(c)
        dvs = ws.data_validations.dataValidation
        status_dv = [dv for dv in dvs if dv.type == "list" and letter(status_col) in str(dv.sqref)]
        check(len(status_dv) == 1, f"{where}: no dropdown on the status column ({[str(d.sqref) for d in dvs]})")
        if status_dv:
            words = status_dv[0].formula1 or ""
            want = ("To do", "In progress", "Done") if not spec["rtl"] else ("לביצוע", "בתהליך", "בוצע")
            check(all(w in words for w in want), f"{where}: status dropdown offers {words!r}")
        done_dv = [dv for dv in dvs if dv.type == "list" and letter(done_col) in str(dv.sqref)]
        check(len(done_dv) == 1 and "✓" in (done_dv[0].formula1 or ""),
              f"{where}: no tick list on the done column")

        rules = [rule for cf in ws.conditional_formatting for rule in cf.rules]
        check(any(rule.type == "expression" and any("TODAY()" in f for f in rule.formula) for rule in rules),
              f"{where}: no overdue rule using TODAY()")

    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
