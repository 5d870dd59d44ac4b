"""``flask ocds export``: the package written to a file or to stdout, valid; refusals write nothing."""

import json
from decimal import Decimal

from opendata.schema import validator
from tests.opendata.conftest import errors_of


def test_export_writes_a_valid_package_to_a_file(app, world, tmp_path):
    target = tmp_path / "ocds-2026.json"
    result = app.test_cli_runner().invoke(args=["ocds", "export", "--year", "2026", "--output", str(target)])
    assert result.exit_code == 0, result.output
    package = json.loads(target.read_text(encoding="utf-8"), parse_float=Decimal)
    assert errors_of(package) == []
    assert len(package["releases"]) == 4
    assert not (tmp_path / "ocds-2026.json.partial").exists()


def test_export_of_a_region_to_stdout(app, world):
    result = app.test_cli_runner().invoke(args=["ocds", "export", "--year", "2026", "--region", "141100"])
    assert result.exit_code == 0, result.output
    package = json.loads(result.stdout)
    assert not list(validator().iter_errors(package))
    assert {release["ocid"].rsplit("-", 1)[1] for release in package["releases"]} == {
        world.paid.number,
        world.unpaid.number,
        world.cancelled.number,
    }


def test_an_unknown_region_or_an_empty_year_writes_nothing(app, world, tmp_path):
    target = tmp_path / "out.json"
    runner = app.test_cli_runner()
    for args in (["--year", "2026", "--region", "999999"], ["--year", "2019"]):
        result = runner.invoke(args=["ocds", "export", *args, "--output", str(target)])
        assert result.exit_code == 1, result.output
        assert not target.exists()
