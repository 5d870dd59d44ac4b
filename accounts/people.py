"""A unit manager's purchaser accounts: open one or a sheet of them, deactivate, re-enable, reset.

Every function takes the acting manager explicitly, flushes and never commits; the view commits once. An
import validates every row before it writes anything and raises ``ImportInvalid`` with all the row errors,
so a sheet is imported whole or not at all. Initial passwords are returned to the caller to be shown once;
they are never stored in clear, logged or written to the audit log.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, func, select

from accounts import audit, imports, policy, services
from accounts.account_rules import account_problems, normalise_account
from accounts.imports import ImportRefused, RowError, Sheet, template_workbook
from accounts.labels import AccountStatus
from accounts.models import BudgetUnit, Role, User
from accounts.services import AccountError
from accounts.validators import is_valid_username
from shop.common import N_, utcnow
from shop.extensions import db

#: The columns of an import sheet and the headers accepted for each (the template uses the Chinese ones).
PURCHASER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "姓名"),
    "username": ("username", "用户名", "账号"),
    "phone": ("phone", "手机", "手机号", "联系电话"),
}
#: The headers of the downloadable template, in column order.
TEMPLATE_HEADERS = ("姓名", "用户名", "手机号")
#: Usernames looked up in the database per query (keeps the IN list well under every driver's limit).
LOOKUP_CHUNK = 500


class PurchaserRefused(AccountError):
    """One account's data breaks a rule; ``field`` names the form field it is about."""

    def __init__(self, field: str, message: str, **params):
        super().__init__(message, **params)
        self.field = field


class ImportInvalid(imports.ImportInvalid):
    """Some rows of an import sheet are invalid; ``errors`` lists every problem, and nothing was written."""

    def __init__(self, errors: list[RowError]):
        rows = len({error.row for error in errors})
        super().__init__(N_("%(rows)d rows have errors; no account was created."), errors, rows=rows)


class Opened(NamedTuple):
    """An account just opened or reset, as plain data to show once (safe to use after the commit)."""

    username: str
    name: str
    initial_password: str


# --- one account -------------------------------------------------------------------------------------------


def _require_manager(manager: User) -> BudgetUnit:
    if manager.role != Role.unit_manager or manager.unit_id is None:
        raise AccountError(N_("Only a unit manager opens and manages purchaser accounts."))
    return manager.unit


def _require_own_purchaser(manager: User, account: User) -> None:
    if not policy.can_manage_purchaser(manager, account):
        raise AccountError(N_("You may only manage the purchaser accounts of your own unit."))


def create_purchaser(manager: User, name: str, username: str, phone: str) -> tuple[User, str]:
    """Open an inactive purchaser account in the manager's unit; returns it and its initial password.

    The owner activates it by choosing a password at first login. Raises ``PurchaserRefused`` (naming the
    field) for missing or malformed data or a username already taken, ``AccountError`` if ``manager`` is
    not a unit manager.
    """
    unit = _require_manager(manager)
    name, username, phone = normalise_account(name, username, phone)
    for problem in account_problems(name, username, phone):
        raise PurchaserRefused(problem.field, problem.message, **problem.params)
    if services.username_taken(username):
        raise PurchaserRefused(
            "username", N_("The username %(username)s is already taken."), username=username
        )
    user, initial = services.create_user(
        manager, username=username, name=name, role=Role.purchaser, unit=unit, phone=phone
    )
    return user, initial


def reset_purchaser_password(manager: User, account: User) -> str:
    """Give one of the unit's purchaser accounts a new initial password (returned, shown once)."""
    _require_own_purchaser(manager, account)
    return services.reset_password(manager, account)


def set_purchaser_enabled(manager: User, account: User, enabled: bool) -> None:
    """Deactivate or re-enable one of the unit's purchaser accounts (a deactivated one cannot log in)."""
    _require_own_purchaser(manager, account)
    services.set_enabled(manager, account, enabled)


# --- import ------------------------------------------------------------------------------------------------


def _taken_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of these (lower-cased) usernames exist already, case-insensitively: one query per chunk."""
    wanted = sorted(set(usernames))
    taken: set[str] = set()
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        taken.update(
            db.session.scalars(select(func.lower(User.username)).where(func.lower(User.username).in_(chunk)))
        )
    return taken


def validate_purchaser_sheet(sheet: Sheet) -> list[RowError]:
    """Every problem of every row, in row order: missing or malformed values, a username repeated in the
    file (case-insensitively; reported on the later rows) or already taken in the database."""
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    usernames_to_check: dict[str, list[tuple[int, str]]] = {}
    for number, values in sheet.rows:
        name, username, phone = normalise_account(values["name"], values["username"], values["phone"])
        for problem in account_problems(name, username, phone):
            errors.append(RowError(number, sheet.headers[problem.field], problem.message, problem.params))
        if not is_valid_username(username):
            continue
        key = username.lower()
        if key in first_row_of:
            errors.append(
                RowError(
                    number,
                    sheet.headers["username"],
                    N_("The username %(username)s also appears in row %(row)d."),
                    {"username": username, "row": first_row_of[key]},
                )
            )
        else:
            first_row_of[key] = number
        usernames_to_check.setdefault(key, []).append((number, username))
    for key in _taken_usernames(usernames_to_check):
        for number, username in usernames_to_check[key]:
            errors.append(
                RowError(
                    number,
                    sheet.headers["username"],
                    N_("The username %(username)s is already taken."),
                    {"username": username},
                )
            )
    column_order = list(sheet.headers.values())
    errors.sort(key=lambda error: (error.row, column_order.index(error.column) if error.column else -1))
    return errors


def import_purchasers(manager: User, sheet: Sheet) -> list[Opened]:
    """Open one inactive purchaser account per row of ``sheet``, all or none; returns them in row order.

    Raises ``ImportRefused`` for a sheet without rows and ``ImportInvalid`` (listing every row error) if any
    row is invalid; then nothing is written. Audits ``import.purchasers`` with the count, beside the
    ``account.create`` entry of each account.
    """
    unit = _require_manager(manager)
    if not sheet.rows:
        raise ImportRefused(N_("The file names the columns but holds no accounts."))
    errors = validate_purchaser_sheet(sheet)
    if errors:
        raise ImportInvalid(errors)
    opened = []
    for _number, values in sheet.rows:
        name, username, phone = normalise_account(values["name"], values["username"], values["phone"])
        _user, initial = services.create_user(
            manager, username=username, name=name, role=Role.purchaser, unit=unit, phone=phone
        )
        opened.append(Opened(username, name, initial))
    audit.record(manager, "import.purchasers", unit, count=len(opened))
    db.session.flush()
    return opened


def import_template() -> bytes:
    """An empty workbook with the columns an import expects (cells formatted as text, so Excel keeps
    usernames of digits and phone numbers as typed)."""
    return template_workbook("采购人账号", TEMPLATE_HEADERS, widths=(16, 24, 18))


# --- reading -----------------------------------------------------------------------------------------------


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def status_condition(status: AccountStatus):
    """A where-clause selecting the accounts in ``status`` (the SQL form of ``labels.account_status``)."""
    if status == AccountStatus.deactivated:
        return User.enabled.is_(False)
    if status == AccountStatus.active:
        return User.enabled.is_(True) & User.activated_at.is_not(None)
    return User.enabled.is_(True) & User.activated_at.is_(None)


def purchasers_of(unit_id: int):
    """A select of the purchaser accounts of one unit."""
    return select(User).where(User.role == Role.purchaser, User.unit_id == unit_id)


class AccountCounts(NamedTuple):
    opened: int
    activated: int
    deactivated: int


def account_counts(unit_id: int) -> AccountCounts:
    """Purchaser accounts of the unit: opened, activated (owner chose a password), deactivated. One query."""
    opened, activated, deactivated = db.session.execute(
        select(
            func.count(User.id),
            func.count(User.activated_at),
            func.count(case((User.enabled.is_(False), 1))),
        ).where(User.role == Role.purchaser, User.unit_id == unit_id)
    ).one()
    return AccountCounts(opened, activated, deactivated)


def not_yet_activated(unit_id: int, limit: int = 5) -> tuple[int, list[User]]:
    """How many of the unit's enabled purchaser accounts still wait for their owner, and the oldest few."""
    condition = (
        (User.role == Role.purchaser)
        & (User.unit_id == unit_id)
        & status_condition(AccountStatus.not_activated)
    )
    count = db.session.scalar(select(func.count(User.id)).where(condition))
    first = (
        db.session.scalars(select(User).where(condition).order_by(User.id).limit(limit)).all()
        if count
        else []
    )
    return count, list(first)
