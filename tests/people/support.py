"""Helpers of the purchaser-account tests: sheets to upload, what a page shows, what the database holds."""

import html
import io
import re

from openpyxl import Workbook
from sqlalchemy import func, select

from accounts.models import AuditEntry, Role, User
from shop.extensions import db

HEADER = ["姓名", "用户名", "手机号"]

VALID_ROWS = [
    ["王小明", "wangxm", "13800138001"],
    ["李 华", "lihua", "138 0013 8002"],  # spaces in a phone are forgiven
    ["张三", "zhangsan", "0358-4221234"],  # a landline with its area code
]


def secrets_in(response) -> list[str]:
    """The initial passwords a page shows (each in a ``secret`` span)."""
    return [html.unescape(s) for s in re.findall(r'<span class="secret">([^<]*)</span>', response.text)]


def error_rows(response) -> list[tuple[int, str]]:
    """(row, column) of each line of the import error table."""
    table = response.text.split('class="table import-errors"', 1)
    assert len(table) == 2, "no error table on the page"
    cells = re.findall(r'<tr data-row="\d+"><td class="num">(\d+)</td><td>([^<]*)</td>', table[1])
    return [(int(row), column) for row, column in cells]


def csv_bytes(rows, encoding="utf-8-sig", header=HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, filename: str, data: bytes):
    return client.post(
        "/people/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def purchaser_count() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role == Role.purchaser))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def account(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
