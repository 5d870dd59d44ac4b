"""Helpers of the budget-unit tests: rows and facts of new units, what the database holds."""

import csv
import io

from sqlalchemy import func, select

from accounts.models import AuditEntry, BudgetUnit, User
from accounts.units import UnitFacts
from shop.extensions import db
from tests.conftest import valid_credit_code

HEADERS = [
    "单位编码",
    "单位名称",
    "统一社会信用代码",
    "行政区划代码",
    "主管单位编码",
    "管理员用户名",
    "管理员姓名",
    "管理员手机号",
]


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(BudgetUnit.id))),
        db.session.scalar(select(func.count(User.id))),
    )


def unit_by_code(code: str) -> BudgetUnit | None:
    return db.session.scalar(select(BudgetUnit).where(BudgetUnit.code == code))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def row(code, name=None, credit=None, region_code="141123", parent="", username=None, phone="13800138000"):
    return [
        code,
        name or f"单位{code}",
        credit if credit is not None else valid_credit_code("11141100"),
        region_code,
        parent,
        username or f"mgr_{code.lower()}",
        "王五",
        phone,
    ]


def csv_upload(rows: list[list[str]], headers=HEADERS) -> dict:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return {"file": (io.BytesIO(text.getvalue().encode("utf-8-sig")), "units.csv")}


def facts(**changes) -> UnitFacts:
    data = {
        "code": "B001",
        "name": "兴县教育局",
        "credit_code": valid_credit_code("11141123"),
        "region_code": "141123",
        "parent_code": "",
        "manager_username": "xx_edu",
        "manager_name": "赵六",
        "manager_phone": "13912345678",
    }
    data.update(changes)
    return UnitFacts(**data)


def form_data(**changes) -> dict:
    return vars(facts(**changes))
