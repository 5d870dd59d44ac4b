"""The columns of every report table, shared by the pages (headers, sort keys) and the exports.

Every ratio's header says which kind it is (DESIGN.md rule 7): "Σ … ÷ Σ …" for an aggregate, "mean of
units" for a mean of unit ratios.
"""

from flask_babel import lazy_gettext as _l

from quotas.exports import Column
from quotas.filing.labels import quota_label
from shop.payments.models import LedgerKind

LEDGER_KINDS = {LedgerKind.payment: _l("Payment"), LedgerKind.refund: _l("Refund")}


def _named(attribute: str):
    def get(row):
        value = getattr(row, attribute, None)
        return None if value is None else str(quota_label(value))

    return get


def _yes_no(attribute: str):
    return lambda row: str(_l("Yes") if getattr(row, attribute) else _l("No"))


CODE = Column("code", _l("Code"))
NAME = Column("name", _l("Name"))

ACCOUNTS = (
    Column("units", _l("Budget units"), "int"),
    Column("units_opened", _l("Unit accounts opened"), "int"),
    Column("units_activated", _l("Unit accounts activated"), "int"),
    Column("purchasers_opened", _l("Purchaser accounts opened"), "int"),
    Column("purchasers_activated", _l("Purchaser accounts activated"), "int"),
)

FILING = (
    Column("must_file", _l("Units that must file"), "int"),
    Column("filed", _l("Units filed"), "int"),
    Column("not_filed", _l("Units not filed"), "int"),
    Column("no_canteen", _l("No canteen (counted apart)"), "int"),
    Column("shared", _l("Shared canteen (counted apart)"), "int"),
    Column("planned", _l("Planned farm-product purchasing"), "money"),
    Column("reserved", _l("Reserved share"), "money"),
    Column("ratio_aggregate", _l("Reserve ratio (Σreserved ÷ Σplanned)"), "ratio"),
    Column("ratio_mean", _l("Reserve ratio (mean of units)"), "ratio"),
    Column("below_minimum", _l("Units below the minimum ratio"), "int"),
)

#: Only on a unit's page, where a row may be one unit: its own filing.
UNIT_FILING = (
    Column("canteen", _l("Canteen"), get=_named("canteen")),
    Column("filing_status", _l("Filing status"), get=_named("filing_status")),
    Column("min_ratio", _l("Policy minimum ratio"), "ratio"),
)

EXECUTION = (
    Column("purchased", _l("Counted purchases"), "money"),
    Column("share_purchased", _l("Share purchased (Σpurchased ÷ Σplanned)"), "ratio"),
    Column("completion_aggregate", _l("Completion (Σpurchased ÷ Σreserved)"), "ratio"),
    Column("completion_mean", _l("Completion (mean of units)"), "ratio"),
    Column("at_or_above_target", _l("Units at or above target"), "int"),
    Column("reserved_but_nothing", _l("Reserved but bought nothing"), "int"),
    Column("behind_schedule", _l("Units behind schedule"), "int"),
    Column("schedule", _l("Straight-line schedule"), "money"),
    Column("projection", _l("Year-end projection"), "money"),
    Column("arrears_count", _l("Arrears (orders)"), "int"),
    Column("arrears_amount", _l("Arrears (amount)"), "money"),
    Column("arrears_oldest_days", _l("Oldest arrear (days)"), "int"),
    Column("grade", _l("Grade (on Σpurchased ÷ Σreserved)")),
)

GRADE_COUNTS = tuple(
    Column(f"grade_{name}", name, "int", get=lambda row, name=name: row.grades[name])
    for name in ("A+", "A", "B", "C", "D", "F")
)

#: The grades view: one row per child of the level.
GRADE_ROWS = (
    CODE,
    NAME,
    Column("with_reserve", _l("Units that reserved"), "int"),
    Column("completion_aggregate", _l("Completion (Σpurchased ÷ Σreserved)"), "ratio"),
    Column("grade", _l("Grade (on Σpurchased ÷ Σreserved)")),
    Column("completion_mean", _l("Completion (mean of units)"), "ratio"),
    *GRADE_COUNTS,
)

#: The grades view: one row per unit that reserved a share (``UnitLine``).
GRADE_UNITS = (
    CODE,
    NAME,
    Column("reserved", _l("Reserved share"), "money"),
    Column("purchased", _l("Counted purchases"), "money"),
    Column("completion", _l("Completion (purchased ÷ reserved)"), "ratio"),
    Column("grade", _l("Grade")),
    Column("share_purchased", _l("Share purchased (purchased ÷ planned)"), "ratio"),
    Column("ratio", _l("Target percentage (reserve ratio)"), "ratio"),
    Column("min_ratio", _l("Policy minimum ratio"), "ratio"),
)

SUPPLIERS = (
    Column("name", _l("Supplier")),
    Column("county_code", _l("County code")),
    Column("county_name", _l("County")),
    Column("is_poverty_county", _l("Poverty county"), get=_yes_no("is_poverty_county")),
    Column("households", _l("Linked households"), "int"),
    Column("orders", _l("Orders counted"), "int"),
    Column("amount", _l("Counted purchases"), "money"),
)

COUNTIES = (
    Column("code", _l("County code")),
    Column("name", _l("County")),
    Column("is_poverty_county", _l("Poverty county"), get=_yes_no("is_poverty_county")),
    Column("suppliers", _l("Suppliers"), "int"),
    Column("households", _l("Linked households"), "int"),
    Column("orders", _l("Orders counted"), "int"),
    Column("amount", _l("Counted purchases"), "money"),
)

COUNTED = (
    Column("number", _l("Order number")),
    Column("placed_on", _l("Placed on")),
    Column("supplier", _l("Supplier")),
    Column("kind", _l("Entry"), get=lambda row: str(LEDGER_KINDS.get(row.kind, row.kind))),
    Column("on", _l("Paid or refunded on")),
    Column("month", _l("Month counted"), "int"),
    Column("amount", _l("Amount counted"), "money"),
)


def level_columns(unit_level: bool) -> tuple[tuple[str, object, tuple[Column, ...]], ...]:
    """The groups of columns of a level's table: (key, title, columns), in page order."""
    filing = (*UNIT_FILING, *FILING) if unit_level else FILING
    return (
        ("accounts", _l("Accounts"), ACCOUNTS),
        ("filing", _l("Filing"), filing),
        ("execution", _l("Execution"), EXECUTION),
    )


def export_columns(unit_level: bool) -> tuple[Column, ...]:
    """All columns of a level's table in one row (the export)."""
    return (CODE, NAME, *(column for _key, _title, group in level_columns(unit_level) for column in group))


def level_sheets(summary, title: str, total_name) -> list:
    """A level's table as an export: every column, one row per child and the level's total last."""
    from quotas.exports import Sheet
    from quotas.reports.formatting import TotalRow

    unit_level = summary.unit is not None
    return [
        Sheet(title, export_columns(unit_level), summary.rows, total=TotalRow(summary, total_name)),
    ]
