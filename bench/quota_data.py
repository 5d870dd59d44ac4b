"""The data of ``bench/quota_report.py``: budget units with their accounts and filings, and paid orders of one
line with their payments, ledger entries and the units' maintained totals, COPYed straight into PostgreSQL.

Only for a throwaway database that ``flask db upgrade`` has just created: rows get explicit ids (COPY returns
none) and the id sequences are moved past them at the end. Each order's product, quantity and dates follow
from its id, so two million orders stream through COPY without a plan held in memory.
"""

import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import quotas.models  # noqa: F401 - the models, for their tables' Python-side defaults
import shop.payments.models  # noqa: F401

YEAR = 2025
#: Received, never paid: arrears (one order in this many).
ARREARS_EVERY = 2000
_STAMP = datetime(2024, 12, 1, 2, 0)


def _text(value) -> str:
    """A value in COPY's text format (the generated strings hold no tab, newline or backslash)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return str(value)


def _copy_lines(cursor, table: str, columns: list[str], lines) -> int:
    """COPY pre-formatted text ``lines`` (each ends with a newline) into ``table``; the model's Python-side
    defaults of the columns not given are appended (so that a column added later does not break this)."""
    import province

    extra = province._defaults(table, columns)
    tail = "".join("\t" + _text(value) for value in extra.values())
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join([*columns, *extra])}) FROM STDIN") as copy:
        chunk = []
        for line in lines:
            chunk.append(line[:-1] + tail + "\n" if tail else line)
            if len(chunk) == 5000:
                copy.write("".join(chunk))
                count += len(chunk)
                chunk = []
        copy.write("".join(chunk))
        count += len(chunk)
    return count


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


NULL = "\\N"


def _row(*values) -> str:
    """One line of COPY text."""
    return "\t".join(map(str, values)) + "\n"


def _columns(names: str) -> list[str]:
    return names.split()


ORDER_COLUMNS = _columns(
    "id number unit_id purchaser_id supplier_id status payment_status total delivery_address delivery_contact"
    " delivery_phone note checkout_token placed_at shipped_at carrier tracking_number received_at"
    " acceptance_note closed_at cancelled_at cancel_reason paid_at fiscal_year"
)
LINE_COLUMNS = _columns(
    "id order_id product_id product_name spec unit unit_price quantity amount returned_quantity"
)
PAYMENT_COLUMNS = _columns(
    "id order_id method payer_account reference amount paid_on fiscal_year recorded_by_id recorded_at"
    " disputed_at dispute_note"
)
LEDGER_COLUMNS = _columns("id unit_id year month order_id kind amount payment_id refund_id at")
USER_COLUMNS = _columns(
    "id username name role unit_id password_hash enabled activated_at must_change_password created_at"
    " failed_logins"
)


class Loader:
    """Adds units and their orders with explicit ids (COPY returns none), remembering where it is."""

    def __init__(self, password_hash: str, rng: random.Random):
        self.password_hash, self.rng = password_hash, rng
        self.unit_id = self.user_id = self.order_id = self.filing_id = 0
        self.days = [date(YEAR, 1, 2) + timedelta(days=n) for n in range(360)]

    def units(self, cursor, regions: list[tuple[int, str]], count: int) -> list[tuple[int, int]]:
        """``count`` units over ``regions`` ((id, code)), every twentieth a department supervising the next
        nineteen; each with a manager and a purchaser (activated) and an approved filing. Returns (unit id,
        purchaser id) per unit."""
        import province

        rng = self.rng
        units, users, filings, made = [], [], [], []
        parent = None
        for n in range(count):
            self.unit_id += 1
            uid = self.unit_id
            region_id, code = regions[n // 20 % len(regions)]
            parent = None if n % 20 == 0 else parent
            units.append(
                {
                    "id": uid,
                    "code": f"{code}{uid:07d}",
                    "name": f"预算单位{uid}",
                    "credit_code": f"12{uid:016d}",
                    "region_id": region_id,
                    "parent_id": parent,
                    "created_at": _STAMP,
                }
            )
            parent = parent or uid
            manager, purchaser = self.user_id + 1, self.user_id + 2
            self.user_id += 2
            for user_id, role in ((manager, "unit_manager"), (purchaser, "purchaser")):
                values = (user_id, f"b{user_id}", f"用户{user_id}", role, uid, self.password_hash)
                users.append(dict(zip(USER_COLUMNS, (*values, True, _STAMP, False, _STAMP, 0), strict=True)))
            roll = rng.random()
            canteen = "own" if roll < 0.8 else "none" if roll < 0.9 or parent == uid else "shared"
            planned = rng.randrange(50_000, 500_000) * 100 if canteen == "own" else 0
            self.filing_id += 1
            filings.append(
                {
                    "id": self.filing_id,
                    "unit_id": uid,
                    "year": YEAR,
                    "version": 1,
                    "canteen_status": canteen,
                    "shared_with_id": parent if canteen == "shared" else None,
                    "planned_total": _yuan(planned),
                    "reserved_amount": _yuan(planned * rng.randint(30, 45) // 100),
                    "status": "approved",
                    "min_ratio": "0.3000",
                    "late": False,
                    "created_by_id": manager,
                    "created_at": _STAMP,
                    "submitted_at": _STAMP,
                    "approved_at": _STAMP,
                }
            )
            made.append((uid, purchaser))
        province._copy(cursor, "budget_unit", units)
        province._copy(cursor, "user_account", users)
        province._copy(cursor, "quota_filing", filings)
        return made

    def orders(self, cursor, units: list[tuple[int, int]], count: int, products: list[tuple]) -> None:
        """``count`` orders of ``units`` (round robin), one line each: paid (payment, ledger entry) and
        closed, except one in ``ARREARS_EVERY``, received and unpaid; then the units' year and month totals.
        Each order's product, quantity and day follow from its id (no plan held in memory)."""
        first, stamp = self.order_id + 1, [day.isoformat() for day in self.days]
        self.order_id += count

        def each():
            for n in range(count):
                oid = first + n
                unit, purchaser = units[n % len(units)]
                product = products[oid * 2654435761 % len(products)]
                quantity, day = 2 + oid * 40503 % 59, oid * 7919 % 340
                yield oid, unit, purchaser, product, quantity, day, n % ARREARS_EVERY != 0

        def orders():
            for oid, unit, purchaser, product, quantity, day, paid in each():
                placed, total = stamp[day], _yuan(product[5] * quantity)
                yield _row(
                    oid, f"DD{placed.replace('-', '')}{oid:08d}", unit, purchaser, product[1],
                    "closed" if paid else "received", "paid" if paid else "unpaid", total,
                    f"吕梁市离石区滨河北路{unit % 300}号", "王师傅", "13800138000", NULL, f"bench-{oid}",
                    f"{placed} 01:30:00", f"{stamp[day + 1]} 06:00:00", "顺丰速运", f"SF{oid:012d}",
                    f"{stamp[day + 3]} 02:00:00", "验收合格", f"{stamp[day + 5]} 03:00:00" if paid else NULL,
                    NULL, NULL, f"{stamp[day + 8]} 02:00:00" if paid else NULL, YEAR if paid else NULL,
                )  # fmt: skip

        def lines():
            for oid, _unit, _purchaser, product, quantity, _day, _paid in each():
                pid, _supplier, name, spec, unit_name, price = product
                amount = _yuan(price * quantity)
                yield _row(oid, oid, pid, name, spec, unit_name, _yuan(price), quantity, amount, 0)

        def payments():
            import province

            paying_account = province.encrypted("6222000011112222")  # one token serves every row
            for oid, _unit, purchaser, product, quantity, day, paid in each():
                if paid:
                    amount, paid_on = _yuan(product[5] * quantity), stamp[day + 8]
                    yield _row(
                        oid, oid, "bank_transfer", paying_account, f"BP{oid:012d}", amount, paid_on, YEAR,
                        purchaser, f"{paid_on} 02:00:00", NULL, NULL,
                    )  # fmt: skip

        years: dict[int, list[int]] = {}
        months: dict[tuple[int, int], int] = {}

        def ledger():
            for oid, unit, _purchaser, product, quantity, day, paid in each():
                if paid:
                    fen, month = product[5] * quantity, self.days[day + 8].month
                    total = years.setdefault(unit, [0, 0])
                    total[0], total[1] = total[0] + fen, total[1] + 1
                    months[unit, month] = months.get((unit, month), 0) + fen
                    at = f"{stamp[day + 8]} 02:00:00"
                    yield _row(oid, unit, YEAR, month, oid, "payment", _yuan(fen), oid, NULL, at)

        _copy_lines(cursor, "purchase_order", ORDER_COLUMNS, orders())
        _copy_lines(cursor, "order_line", LINE_COLUMNS, lines())
        _copy_lines(cursor, "payment", PAYMENT_COLUMNS, payments())
        _copy_lines(cursor, "purchase_ledger", LEDGER_COLUMNS, ledger())
        _copy_lines(
            cursor,
            "unit_year_purchase",
            ["unit_id", "year", "amount", "entries"],
            (_row(unit, YEAR, _yuan(fen), entries) for unit, (fen, entries) in years.items()),
        )
        _copy_lines(
            cursor,
            "unit_month_purchase",
            ["unit_id", "year", "month", "amount"],
            (_row(unit, YEAR, month, _yuan(fen)) for (unit, month), fen in months.items()),
        )


def _finish(url: str) -> None:
    """Move the id sequences past the explicit ids; refresh the planner's statistics (as autovacuum would)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for table in (
            "budget_unit",
            "user_account",
            "quota_filing",
            "quota_policy",
            "purchase_order",
            "order_line",
            "payment",
            "purchase_ledger",
        ):
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        connection.execute("VACUUM ANALYZE")


def load_part(loader: Loader, url: str, regions, units: int, orders: int, products) -> dict:
    """One part (the city, or the rest of the province) in one transaction, FK checks off (the rows are
    consistent by construction; a throwaway cluster's superuser may do that)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        try:
            cursor.execute("SET session_replication_role = replica")
        except psycopg.Error:
            connection.rollback()
        made = loader.units(cursor, regions, units)
        loader.orders(cursor, made, orders, products)
        # Flushed before the VACUUM that follows, so that it can mark the pages all-visible (see province.py).
        cursor.execute("SET LOCAL synchronous_commit = on")
        connection.commit()
    _finish(url)
    return {"units": units, "orders": orders, "seconds": round(time.perf_counter() - started, 1)}
