"""The rules a new budget unit must meet, checked for many rows at once.

One checker serves both the single-unit form and the CSV/XLSX import, so the two can never disagree. It
reads the database in a few set-based queries (chunked ``IN`` lists), never once per row, and reports every
problem it finds as a ``RowError`` keyed by canonical column name; callers decide how to show them.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from sqlalchemy import func, literal, select

from accounts import policy
from accounts.account_rules import account_problems, normalise_account
from accounts.imports import RowError
from accounts.models import BudgetUnit, Region, RegionLevel, User
from accounts.validators import is_valid_credit_code, is_valid_region_code
from shop.common import N_, DomainError
from shop.extensions import db

#: Values per ``IN (...)`` list: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 1000
_UNIT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,31}$")
#: The region levels a budget unit may sit at.
UNIT_LEVELS = (RegionLevel.city, RegionLevel.county)


class UnitError(DomainError):
    """A budget-unit or region rule refused the request. ``field`` names the form field at fault."""

    def __init__(
        self, message: str, field: str | None = None, problems: list[RowError] | None = None, **params
    ):
        super().__init__(message, **params)
        self.field = field
        #: Every problem found, when several fields are at fault (the message is the first of them).
        self.problems = problems or []


@dataclass
class UnitFacts:
    """One new budget unit and its manager account, as entered (``normalise`` tidies it)."""

    code: str
    name: str
    credit_code: str
    region_code: str
    parent_code: str = ""
    manager_username: str = ""
    manager_name: str = ""
    manager_phone: str = ""

    def normalise(self) -> "UnitFacts":
        for fact in fields(self):
            setattr(self, fact.name, (getattr(self, fact.name) or "").strip())
        # Codes are compared as written in upper case: people type them both ways.
        self.code = self.code.upper()
        self.credit_code = self.credit_code.upper()
        self.parent_code = self.parent_code.upper()
        self.manager_name, self.manager_username, self.manager_phone = normalise_account(
            self.manager_name, self.manager_username, self.manager_phone
        )
        return self


@dataclass
class Plan:
    """What the checker found out, for the caller that creates the units."""

    #: The rows in creation order: every supervising unit from the file comes before its subordinates.
    levels: list[list[tuple[int, UnitFacts]]] = field(default_factory=list)
    #: Region code -> region id, for every region named.
    region_ids: dict[str, int] = field(default_factory=dict)
    #: Unit code -> id of the existing (visible) supervising units named.
    parent_ids: dict[str, int] = field(default_factory=dict)


def check_units(actor: User, rows: list[tuple[int, UnitFacts]]) -> tuple[list[RowError], Plan]:
    """Check every row (``(row number, facts)``, facts normalised here) for ``actor`` to create.

    Returns every problem found (empty when all rows may be created) and the plan to create them.
    Rules: code, name, credit code (GB 32100 check digit) and manager username well-formed and unique in
    the file and in the database; the region exists, is a city or county and lies within the actor's
    jurisdiction; the supervising unit is a row of the file or an existing unit the actor may see, and the
    supervision does not loop; the manager's phone, if given, is valid.
    """
    for _number, facts in rows:
        facts.normalise()
    errors: list[RowError] = []
    for number, facts in rows:
        errors.extend(_format_problems(number, facts))
    errors.extend(_duplicates_in_file(rows))
    plan = Plan()
    errors.extend(_database_problems(actor, rows, plan))
    levels, loop_errors = _creation_order(rows)
    errors.extend(loop_errors)
    plan.levels = levels
    errors.sort(key=lambda error: (error.row, list(_COLUMN_ORDER).index(error.column)))
    return errors, plan


_COLUMN_ORDER = {fact.name: None for fact in fields(UnitFacts)}
#: The manager account's columns, by the field names of ``account_rules``.
_MANAGER_COLUMNS = {"name": "manager_name", "username": "manager_username", "phone": "manager_phone"}


def _format_problems(number: int, facts: UnitFacts) -> Iterable[RowError]:
    if not _UNIT_CODE.match(facts.code):
        yield RowError(
            number,
            "code",
            N_("The unit code %(code)s must be 1 to 32 letters, digits, dots, dashes or underscores."),
            {"code": facts.code},
        )
    if not facts.name or len(facts.name) > 128:
        yield RowError(number, "name", N_("Enter the unit's name (at most 128 characters)."))
    if not is_valid_credit_code(facts.credit_code):
        yield RowError(
            number,
            "credit_code",
            N_("The unified social credit code %(code)s is not valid (18 characters with a check digit)."),
            {"code": facts.credit_code},
        )
    if not is_valid_region_code(facts.region_code):
        yield RowError(
            number,
            "region_code",
            N_("The region code %(code)s must be six digits."),
            {"code": facts.region_code},
        )
    if facts.parent_code and facts.parent_code == facts.code:
        yield RowError(number, "parent_code", N_("A unit cannot supervise itself."))
    # The manager's account: the same checks and messages as a purchaser account's (its phone is optional).
    for problem in account_problems(
        facts.manager_name, facts.manager_username, facts.manager_phone, phone_required=False
    ):
        yield RowError(number, _MANAGER_COLUMNS[problem.field], problem.message, problem.params)


def _duplicates_in_file(rows: list[tuple[int, UnitFacts]]) -> Iterable[RowError]:
    """A value that must be unique and appears again: reported on each later row, naming the first."""
    checks = (
        ("code", "code", N_("The unit code %(code)s also appears in row %(row)d.")),
        ("credit_code", "code", N_("The unified social credit code %(code)s also appears in row %(row)d.")),
        ("manager_username", "username", N_("The username %(username)s also appears in row %(row)d.")),
    )
    for column, param, message in checks:
        first_row: dict[str, int] = {}
        for number, facts in rows:
            value = getattr(facts, column)
            key = value.lower() if column == "manager_username" else value
            if not key:
                continue
            if key in first_row:
                yield RowError(number, column, message, {param: value, "row": first_row[key]})
            else:
                first_row[key] = number


def _database_problems(actor: User, rows: list[tuple[int, UnitFacts]], plan: Plan) -> Iterable[RowError]:
    """Compare the rows with what exists: a handful of queries whatever the number of rows."""
    taken_codes = _existing(BudgetUnit.code, (facts.code for _, facts in rows))
    taken_credit_codes = _existing(BudgetUnit.credit_code, (facts.credit_code for _, facts in rows))
    taken_usernames = _existing(
        func.lower(User.username), (facts.manager_username.lower() for _, facts in rows)
    )
    regions = _regions(actor, {facts.region_code for _, facts in rows if facts.region_code})
    plan.region_ids = {code: region_id for code, (region_id, _level, _in_scope) in regions.items()}
    codes_in_file = {facts.code for _, facts in rows if facts.code}
    outside_parents = {
        facts.parent_code for _, facts in rows if facts.parent_code and facts.parent_code not in codes_in_file
    }
    plan.parent_ids = _visible_units(actor, outside_parents)

    problems = []
    for number, facts in rows:
        if facts.code in taken_codes:
            problems.append(
                RowError(
                    number,
                    "code",
                    N_("A budget unit with the code %(code)s already exists."),
                    {"code": facts.code},
                )
            )
        if facts.credit_code in taken_credit_codes:
            problems.append(
                RowError(
                    number,
                    "credit_code",
                    N_("A budget unit with the unified social credit code %(code)s already exists."),
                    {"code": facts.credit_code},
                )
            )
        if facts.manager_username.lower() in taken_usernames:
            problems.append(
                RowError(
                    number,
                    "manager_username",
                    N_("The username %(username)s is already taken."),
                    {"username": facts.manager_username},
                )
            )
        problems.extend(_region_problems(number, facts.region_code, regions))
        if facts.parent_code in outside_parents and facts.parent_code not in plan.parent_ids:
            # Same answer for a unit that does not exist and one outside the actor's view.
            problems.append(
                RowError(
                    number,
                    "parent_code",
                    N_("No budget unit you may see has the code %(code)s."),
                    {"code": facts.parent_code},
                )
            )
    return problems


def _region_problems(number: int, code: str, regions: dict[str, tuple[int, RegionLevel, bool]]):
    if not is_valid_region_code(code):
        return  # already reported as malformed
    if code not in regions:
        yield RowError(number, "region_code", N_("No region has the code %(code)s."), {"code": code})
        return
    _region_id, level, in_scope = regions[code]
    if not in_scope:
        yield RowError(
            number, "region_code", N_("The region %(code)s is outside your jurisdiction."), {"code": code}
        )
    elif level not in UNIT_LEVELS:
        yield RowError(
            number,
            "region_code",
            N_("A budget unit sits at a city or county region; %(code)s is a province."),
            {"code": code},
        )


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    distinct = sorted({value for value in values if value})
    for start in range(0, len(distinct), CHUNK):
        yield distinct[start : start + CHUNK]


def _existing(column, values: Iterable[str]) -> set[str]:
    """Which of ``values`` the column already holds."""
    found: set[str] = set()
    for chunk in _chunks(values):
        found.update(db.session.scalars(select(column).where(column.in_(chunk))))
    return found


def _regions(actor: User, codes: set[str]) -> dict[str, tuple[int, RegionLevel, bool]]:
    """Region code -> (id, level, within the actor's jurisdiction) for the codes that exist."""
    scope = policy.region_scope(actor)
    in_scope = scope if scope is not None else literal(True)
    found = {}
    for chunk in _chunks(codes):
        query = select(Region.code, Region.id, Region.level, in_scope.label("in_scope")).where(
            Region.code.in_(chunk)
        )
        for code, region_id, level, visible in db.session.execute(query):
            found[code] = (region_id, level, bool(visible))
    return found


def _visible_units(actor: User, codes: set[str]) -> dict[str, int]:
    """Unit code -> id for the codes naming units the actor may see."""
    scope = policy.unit_scope(actor)
    found = {}
    for chunk in _chunks(codes):
        query = select(BudgetUnit.code, BudgetUnit.id).where(BudgetUnit.code.in_(chunk))
        if scope is not None:
            query = query.where(scope)
        found.update(db.session.execute(query).all())
    return found


def _creation_order(
    rows: list[tuple[int, UnitFacts]],
) -> tuple[list[list[tuple[int, UnitFacts]]], list[RowError]]:
    """Group the rows by depth below units that already exist, and report supervision loops.

    Level 0 holds rows whose supervising unit is absent or already exists; level n+1 those supervised by a
    row of level n. Rows left over form (or hang below) a loop; each loop is reported on its rows.
    """
    row_of = {}
    for number, facts in rows:
        if facts.code:
            row_of.setdefault(facts.code, (number, facts))
    children: dict[str, list[tuple[int, UnitFacts]]] = {}
    level = []
    for number, facts in rows:
        if facts.parent_code and facts.parent_code == facts.code:
            continue  # supervises itself: reported by _format_problems
        if facts.parent_code in row_of:
            children.setdefault(facts.parent_code, []).append((number, facts))
        else:
            level.append((number, facts))
    levels, placed = [], set()
    while level:
        levels.append(level)
        placed.update(number for number, _ in level)
        level = [child for _, facts in level for child in children.pop(facts.code, [])]
    errors, reported = [], set()
    for number, facts in rows:
        if number in placed or facts.parent_code == facts.code:
            continue
        # Follow the supervising units upwards until one repeats: the repeated part is the loop.
        path, code = [], facts.code
        while code not in path and code in row_of:
            path.append(code)
            code = row_of[code][1].parent_code
        if code not in path:
            continue
        loop = sorted(row_of[member][0] for member in path[path.index(code) :])
        if loop[0] in reported:
            continue
        reported.update(loop)
        rows_text = ", ".join(str(member) for member in loop)
        errors.extend(
            RowError(
                member,
                "parent_code",
                N_("The supervising units in rows %(rows)s form a loop."),
                {"rows": rows_text},
            )
            for member in loop
        )
    return levels, errors
