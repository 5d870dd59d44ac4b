"""``flask ocds export --year Y [--region CODE] [--output FILE]``: the release package of a year's orders
(of the budget units of a region's subtree, or of the whole platform), written release by release to FILE
or to standard output. Exits with status 1, writing nothing, for an unknown region or a year without orders
(a package must hold at least one release).
"""

import itertools
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from accounts.models import Region
from opendata.package import iter_releases, package_metadata, settings, write_releases
from shop.common import utcnow
from shop.extensions import db

ocds_cli = AppGroup("ocds", help="Open data: the orders as Open Contracting (OCDS 1.1) release packages.")


@ocds_cli.command("export")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="Beijing calendar year placed.")
@click.option("--region", "region_code", help="Administrative division code (6 digits): its units only.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout).")
def export(year: int, region_code: str | None, output: str | None) -> None:
    """Write the OCDS release package of the orders placed in YEAR."""
    region = None
    if region_code is not None:
        region = db.session.scalar(select(Region).where(Region.code == region_code.strip()))
        if region is None:
            raise click.ClickException(f"no region with code {region_code!r}")
    config = settings()
    releases = iter_releases(year, region, config=config)
    first = next(releases, None)
    if first is None:
        raise click.ClickException(
            f"no orders placed in {year}{f' in region {region.code}' if region else ''}"
        )
    metadata = package_metadata(
        year, region, published=utcnow(), uri_base=current_app.config["PUBLIC_URL"], config=config
    )
    everything = itertools.chain([first], releases)
    if output is None:
        count = write_releases(sys.stdout, metadata, everything)
    else:
        # Written beside the target and moved over it at the end: a reader never sees half a package.
        partial = f"{output}.partial"
        try:
            with open(partial, "w", encoding="utf-8") as out:
                count = write_releases(out, metadata, everything)
            os.replace(partial, output)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    click.echo(f"{count} releases", err=True)
