"""The demo year's policies and filing versions as row dicts for a bulk insert (no database here).

Each unit's filing history follows its story (``shares.COMPLETE_STORIES``, ``shares.CURRENT_STORIES``):
drafted and submitted before the deadline (or late), endorsed by the supervising unit's manager when the unit
has one, approved by the finance user of its region, or returned with a reason and refiled as version 2.
"""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from quotas.demo_year.orders import utc
from quotas.demo_year.shares import HUNDRED, Share
from quotas.models import CanteenStatus, FilingStatus

RETURN_REASONS = (
    "预留比例计算有误，请核对拟采购农副产品总额后重新填报。",
    "食堂情况填写与实际不符，请更正后重新提交。",
    "拟采购农副产品总额明显低于上年，请核实后重新填报。",
)


def policy_rows(
    year: int, region_ids: dict[str, int], rules: dict[str, tuple[str, date, bool]], finance: dict[str, int]
) -> list[dict]:
    """One policy per region of ``rules`` (code -> (min ratio, deadline, not below last year))."""
    return [
        {
            "region_id": region_ids[code],
            "year": year,
            "min_ratio": Decimal(ratio),
            "filing_deadline": deadline,
            "not_below_last_year": not_below,
            "updated_by_id": finance[code],
            "updated_at": utc(date(year, 1, 8), 10),
        }
        for code, (ratio, deadline, not_below) in rules.items()
    ]


class _Clock:
    """Steps forward some days at a time from a start, never past ``now``."""

    def __init__(self, start: datetime, now: datetime, rng: random.Random):
        self.at, self.now, self.rng = start, now, rng

    def after(self, low: int, high: int) -> datetime:
        self.at = min(
            self.now, self.at + timedelta(days=self.rng.randint(low, high), hours=self.rng.uniform(0, 6))
        )
        return self.at


def _version(share: Share, year: int, version: int, status: FilingStatus, scale: float = 1.0) -> dict:
    unit = share.unit
    planned, reserved = share.planned, share.reserved
    if scale != 1.0 and reserved:
        reserved = max(HUNDRED, (reserved * Decimal(scale) / HUNDRED).quantize(Decimal(1)) * HUNDRED)
        planned = max(reserved, (planned * Decimal(scale) / HUNDRED).quantize(Decimal(1)) * HUNDRED)
    return {
        "unit_id": unit.id,
        "year": year,
        "version": version,
        "canteen_status": unit.canteen,
        "shared_with_id": unit.shared_with if unit.canteen == CanteenStatus.shared else None,
        "planned_total": planned if share.reserves else Decimal("0.00"),
        "reserved_amount": reserved if share.reserves else Decimal("0.00"),
        "status": status,
        "min_ratio": None if status == FilingStatus.draft else share.min_ratio,
        "late": False,
        "created_by_id": unit.manager_id,
        "created_at": None,
        "submitted_at": None,
        "endorsed_by_id": None,
        "endorsed_at": None,
        "approved_by_id": None,
        "approved_at": None,
        "returned_by_id": None,
        "returned_at": None,
        "return_reason": None,
    }


def _review(row: dict, share: Share, clock: _Clock, until: FilingStatus) -> None:
    """Submit ``row`` and take it through review up to ``until`` (submitted, endorsed or approved)."""
    row["submitted_at"] = clock.after(0, 6)
    if until == FilingStatus.submitted:
        return
    if share.unit.endorser_id is not None:
        row["endorsed_by_id"], row["endorsed_at"] = share.unit.endorser_id, clock.after(1, 6)
    if until == FilingStatus.endorsed and share.unit.endorser_id is not None:
        return
    row["approved_by_id"], row["approved_at"] = share.unit.approver_id, clock.after(1, 10)


def filing_rows(
    shares: list[Share], story: dict[int, str], year: int, deadline, now: datetime, rng: random.Random
) -> list[dict]:
    """Every filing version of ``year``; ``deadline(unit)`` is the unit's effective filing deadline."""
    rows = []
    for share in shares:
        kind = story[share.unit.id]
        if kind == "unfiled":
            continue
        due = deadline(share.unit)
        opened = utc(due - timedelta(days=rng.randint(12, 60)), rng.uniform(8.5, 17))
        clock = _Clock(min(opened, now), now, rng)
        first = _version(share, year, 1, FilingStatus.approved, 1.05 if kind == "changed" else 1.0)
        first["created_at"] = clock.at
        rows.append(first)
        if kind == "draft":
            first["status"], first["min_ratio"] = FilingStatus.draft, None
            continue
        if kind == "late":
            clock.at = min(now, utc(due + timedelta(days=rng.randint(3, 30)), rng.uniform(8.5, 17)))
            first["late"] = True
        if kind in ("submitted", "endorsed"):
            status = FilingStatus.endorsed if share.unit.endorser_id else FilingStatus.submitted
            if kind == "submitted":
                status = FilingStatus.submitted
            first["status"] = status
            _review(first, share, clock, status)
            continue
        if kind in ("returned", "refiled"):
            first["status"] = FilingStatus.returned
            first["submitted_at"] = clock.after(0, 6)
            by_supervisor = share.unit.endorser_id is not None and rng.random() < 0.5
            first["returned_by_id"] = share.unit.endorser_id if by_supervisor else share.unit.approver_id
            first["returned_at"], first["return_reason"] = clock.after(2, 8), rng.choice(RETURN_REASONS)
            if kind == "returned":
                continue
            second = _version(share, year, 2, FilingStatus.approved)
            second["created_at"] = clock.after(1, 5)
            _review(second, share, clock, FilingStatus.approved)
            rows.append(second)
            continue
        _review(first, share, clock, FilingStatus.approved)
        if kind in ("changed", "change_pending"):
            second = _version(share, year, 2, FilingStatus.approved)
            second["created_at"] = clock.after(20, 60)
            if kind == "change_pending":
                # The change waits for review: the approved version 1 still counts (its amounts).
                second["status"] = FilingStatus.submitted
                _review(second, share, clock, FilingStatus.submitted)
                first.update(_amounts(_version(share, year, 1, FilingStatus.approved)))
                second.update(_amounts(_version(share, year, 2, FilingStatus.submitted, 1.1)))
            else:
                _review(second, share, clock, FilingStatus.approved)
            rows.append(second)
    return rows


def _amounts(row: dict) -> dict:
    return {"planned_total": row["planned_total"], "reserved_amount": row["reserved_amount"]}
