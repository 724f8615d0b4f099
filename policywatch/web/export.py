"""The indicator explorer's table as CSV or XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ["zone", "year", "period", "metric", "label", "value", "unit", "growth_pct", "scope", "title",
           "published_at", "doc_id"]


def rows_for_export(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[r.get(c) for c in COLUMNS] for r in rows]


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese labels right."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    writer.writerows(rows_for_export(rows))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict[str, Any]], *, sheet: str = "indicators") -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.append(COLUMNS)
    for row in rows_for_export(rows):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
