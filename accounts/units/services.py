"""Creating budget units with their manager accounts: one at a time, or from an uploaded sheet.

Both take explicit arguments, check every rule with ``rules.check_units``, audit, flush and raise; neither
commits. An import is all or nothing: any problem in any row refuses the whole file.
"""

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from accounts import audit, policy, services
from accounts.imports import ImportInvalid, RowError, Sheet, template_workbook
from accounts.models import BudgetUnit, Role, User
from accounts.units.rules import CHUNK, UnitError, UnitFacts, check_units
from shop.common import N_
from shop.extensions import db

#: Canonical import column -> the headers accepted for it. The first Chinese one is the template's.
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("单位编码", "编码"),
    "name": ("单位名称", "名称"),
    "credit_code": ("统一社会信用代码",),
    "region_code": ("行政区划代码",),
    "parent_code": ("主管单位编码",),
    "manager_username": ("管理员用户名",),
    "manager_name": ("管理员姓名",),
    "manager_phone": ("管理员手机号",),
}


#: What each column holds, in ``IMPORT_COLUMNS`` order (the template's second sheet).
COLUMN_NOTES = (
    N_("Required. 1 to 32 letters, digits, dots, dashes or underscores; unique."),
    N_("Required."),
    N_("Required. 18 characters with a correct check digit."),
    N_("Required. Six digits, a city or county within your jurisdiction."),
    N_("Optional. The code of an existing unit or of another unit in this file."),
    N_("Required. 3 to 64 letters, digits, dots, dashes or underscores."),
    N_("Required."),
    N_("Optional. A mobile number or a landline with its area code."),
)


class UnitImportRefused(ImportInvalid):
    """The sheet has problems; ``errors`` lists every one, by row and column, and nothing was created."""

    def __init__(self, errors: list[RowError]):
        super().__init__(
            N_("Nothing was imported: the file has %(count)d problems."), errors, count=len(errors)
        )


@dataclass
class ImportedUnit:
    """One created unit and its manager's initial password (to show once, never stored)."""

    row: int
    code: str
    name: str
    manager_username: str
    manager_name: str
    initial_password: str


def _refuse_unless_registrar(actor: User) -> None:
    if not policy.can_register_units(actor):
        raise UnitError(N_("Your account may not register budget units."))


def create_unit(actor: User, facts: UnitFacts) -> tuple[BudgetUnit, User, str]:
    """Register one budget unit and open its manager account; returns the unit, the manager and the
    manager's initial password (shown once). Audits ``unit.create`` (and ``account.create``).

    :raise UnitError: the actor may not register units, or a rule refuses the facts (``field`` names the
        form field; the first problem found is reported).
    """
    _refuse_unless_registrar(actor)
    errors, plan = check_units(actor, [(1, facts)])
    if errors:
        first = errors[0]
        raise UnitError(first.message, field=first.column, problems=errors, **first.params)
    unit = BudgetUnit(
        code=facts.code,
        name=facts.name,
        credit_code=facts.credit_code,
        region_id=plan.region_ids[facts.region_code],
        parent_id=plan.parent_ids.get(facts.parent_code),
    )
    _insert_or_refuse(lambda: db.session.add(unit))
    manager, initial = services.create_user(
        actor,
        username=facts.manager_username,
        name=facts.manager_name,
        role=Role.unit_manager,
        unit=unit,
        phone=facts.manager_phone or None,
    )
    audit.record(
        actor,
        "unit.create",
        unit,
        code=unit.code,
        name=unit.name,
        credit_code=unit.credit_code,
        region=facts.region_code,
        parent=facts.parent_code or None,
        manager=manager.username,
    )
    db.session.flush()
    return unit, manager, initial


def import_units(actor: User, sheet: Sheet, filename: str = "") -> list[ImportedUnit]:
    """Create every unit of ``sheet`` (read with ``IMPORT_COLUMNS``) and its manager account, supervising
    units before their subordinates; audits ``import.units`` with the count. Returns the created rows in
    file order with the managers' initial passwords (shown once).

    The database is read in a few set-based queries and written in a few multi-row inserts, so thousands
    of rows take seconds. Per-account audit entries are not written: the one ``import.units`` entry lists
    the unit codes and manager usernames it created.

    :raise UnitImportRefused: any row breaks a rule; ``errors`` names each row and column, nothing is created.
    :raise UnitError: the actor may not register units, the file has no rows, or another change created
        one of the codes or usernames meanwhile.
    """
    _refuse_unless_registrar(actor)
    rows = [(number, UnitFacts(**values)) for number, values in sheet.rows]
    if not rows:
        raise UnitError(N_("The file has no rows to import."))
    errors, plan = check_units(actor, rows)
    if errors:
        raise UnitImportRefused(
            [
                RowError(
                    error.row, sheet.headers.get(error.column, error.column), error.message, error.params
                )
                for error in errors
            ]
        )
    # Hashing is the slow part of a large import; it needs no database, so it is done before writing.
    passwords = [services.generate_initial_password() for _ in rows]
    password_hashes = [services.hash_initial_password(password) for password in passwords]
    created = {}

    def write() -> None:
        # Insert every unit first (multi-row inserts, supervising units first so ids follow the tree),
        # then link each to its supervising unit in one executemany: the statement count does not grow
        # with the depth of the tree, and no row refers to one not yet written.
        ordered = [facts for level in plan.levels for _number, facts in level]
        db.session.execute(
            insert(BudgetUnit),
            [
                {
                    "code": facts.code,
                    "name": facts.name,
                    "credit_code": facts.credit_code,
                    "region_id": plan.region_ids[facts.region_code],
                }
                for facts in ordered
            ],
        )
        unit_ids = dict(plan.parent_ids)
        unit_ids.update(_ids_by_code(facts.code for facts in ordered))
        links = [
            {"id": unit_ids[facts.code], "parent_id": unit_ids[facts.parent_code]}
            for facts in ordered
            if facts.parent_code
        ]
        if links:
            db.session.execute(update(BudgetUnit), links)
        db.session.execute(
            insert(User),
            [
                {
                    "username": facts.manager_username,
                    "name": facts.manager_name,
                    "role": Role.unit_manager,
                    "unit_id": unit_ids[facts.code],
                    "phone": facts.manager_phone or None,
                    "password_hash": password_hash,
                    "must_change_password": True,
                    "activated_at": None,
                }
                for (_number, facts), password_hash in zip(rows, password_hashes, strict=True)
            ],
        )
        for (number, facts), password in zip(rows, passwords, strict=True):
            created[number] = ImportedUnit(
                number, facts.code, facts.name, facts.manager_username, facts.manager_name, password
            )

    _insert_or_refuse(write)
    audit.record(
        actor,
        "import.units",
        None,
        count=len(rows),
        filename=filename,
        codes=[facts.code for _, facts in rows],
        managers=[facts.manager_username for _, facts in rows],
    )
    db.session.flush()
    return [created[number] for number, _ in rows]


def _ids_by_code(codes) -> dict[str, int]:
    """Unit code -> id, for units just inserted (a few chunked queries)."""
    found: dict[str, int] = {}
    codes = list(codes)
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        found.update(
            db.session.execute(select(BudgetUnit.code, BudgetUnit.id).where(BudgetUnit.code.in_(chunk))).all()
        )
    return found


def _insert_or_refuse(write) -> None:
    """Run ``write`` in a savepoint; a unique constraint that fires means a concurrent change won the race
    between our check and our insert (the constraint, not the check, is the final word)."""
    try:
        with db.session.begin_nested():
            write()
    except IntegrityError:
        raise UnitError(
            N_("Another change registered one of these codes or usernames meanwhile; nothing was saved.")
        ) from None


def import_template() -> bytes:
    """An empty .xlsx with the Chinese column headers (text-formatted, so codes keep their leading zeros)
    and a second sheet saying what each column holds."""
    headers = [accepted[0] for accepted in IMPORT_COLUMNS.values()]
    return template_workbook(
        "预算单位",
        headers,
        widths=[22] * len(headers),
        notes=[(header, gettext(note)) for header, note in zip(headers, COLUMN_NOTES, strict=True)],
        notes_headers=(gettext("Column"), gettext("What to enter")),
    )
