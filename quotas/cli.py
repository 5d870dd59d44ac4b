"""``flask quotas …``: reports and the ledger check.

- ``flask quotas report --year Y [--region CODE] [--format csv|xlsx|json] [--output FILE]``: the report of a
  year for a region's subtree (or the whole platform), its rows and its total; CSV and XLSX as the report
  pages export them, JSON with every figure (amounts and ratios as decimal strings, exactly).
- ``flask quotas verify [--year Y]``: recompute every maintained purchase total from the ledger and from the
  orders; prints each difference and exits with status 1 if there is any.
"""

import json
import sys
from dataclasses import fields
from datetime import date
from decimal import Decimal

import click
from flask.cli import AppGroup
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import BudgetUnit, Region
from quotas.exports import csv_bytes, xlsx_bytes
from quotas.reports import Figures, summarise
from quotas.reports.columns import level_sheets
from quotas.verify import verify
from shop.common import beijing_today
from shop.extensions import db
from shop.replica import reads_from_reports

quotas_cli = AppGroup("quotas", help="Reserved shares: reports and the purchase-ledger check.")

#: Summary attributes written to JSON besides the figures of ``Figures``.
_FIGURE_NAMES = [item.name for item in fields(Figures)]


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if hasattr(value, "value"):  # an enumeration member
        return value.value
    return value


def summary_json(summary) -> dict:
    """Every figure of ``summary`` and of its rows, JSON-ready (Decimals as strings)."""
    region = summary.region
    return {
        "year": summary.year,
        "today": summary.today.isoformat(),
        "region": {"code": region.code, "name": region.name} if region is not None else None,
        "elapsed_fraction": str(summary.fraction.quantize(Decimal("0.0001"))),
        "arrears_days": summary.arrears_days,
        "summary": {name: _plain(getattr(summary, name)) for name in _FIGURE_NAMES},
        "monthly": _plain(summary.monthly),
        "rows": [
            {
                "kind": row.kind,
                "code": row.code,
                "name": row.name,
                **{name: _plain(getattr(row, name)) for name in _FIGURE_NAMES},
            }
            for row in summary.rows
        ],
    }


@quotas_cli.command("report")
@click.option("--year", type=int, required=True, help="The year reported.")
@click.option("--region", "region_code", help="A region code (GB/T 2260); the whole platform without it.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="-", help="A file; - for stdout.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Report as of this Beijing date.")
def report(year: int, region_code: str | None, fmt: str, output: str, today) -> None:
    """The reserved-share report of a year: one row per child region or unit, and the total."""
    region = None
    if region_code:
        region = db.session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            raise click.BadParameter(f"no region has the code {region_code}", param_hint="--region")
    as_of: date = today.date() if today else beijing_today()
    with reads_from_reports():  # the replica when REPORTS_DATABASE_URL is set
        summary = summarise(year, region, today=as_of)
    with force_locale("zh"):  # no request: the file's words are Chinese, as the pages' exports are
        title = f"{region.name if region else gettext('Whole platform')} {year}"
    if fmt == "json":
        data = (json.dumps(summary_json(summary), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    elif fmt == "xlsx":
        data = xlsx_bytes(level_sheets(summary, title, _l("Total")))
    else:
        data = csv_bytes(level_sheets(summary, title, _l("Total"))[0])
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with open(output, "wb") as file:
            file.write(data)
        click.echo(f"{len(summary.rows)} rows written to {output}", err=True)


@quotas_cli.command("verify")
@click.option("--year", type=int, help="Only this year's totals.")
def verify_command(year: int | None) -> None:
    """Recompute every unit-year and unit-month purchase total from the ledger and from the orders."""
    result = verify(year)
    codes = {}
    if result.differences:
        ids = {difference.unit_id for difference in result.differences}
        codes = dict(
            db.session.execute(select(BudgetUnit.id, BudgetUnit.code).where(BudgetUnit.id.in_(ids))).all()
        )
    for difference in result.differences:
        period = f"{difference.year}" + (f"-{difference.month:02d}" if difference.month else "")
        click.echo(
            f"unit {codes.get(difference.unit_id, difference.unit_id)} {period} {difference.what}: "
            f"stored {difference.stored}, ledger {difference.ledger}, orders "
            f"{'-' if difference.orders is None else difference.orders}"
        )
    click.echo(
        f"{result.unit_years} unit-year and {result.unit_months} unit-month totals checked, "
        f"{len(result.differences)} differences."
    )
    if not result.ok:
        sys.exit(1)
