"""Exact JSON for open data: decimals as numbers with their own digits, never through a float; settings
checked at start-up."""

import json
from decimal import Decimal

import pytest

from opendata import encoding
from shop.config import ConfigError


def test_decimals_are_written_as_the_numbers_they_are():
    value = {
        "a": Decimal("667.24"),
        "b": [Decimal("12.50"), Decimal("1E+2"), Decimal("-0.01")],
        "c": "小米\n",
    }
    text = encoding.dumps(value)
    assert text == '{"a":667.24,"b":[12.50,100,-0.01],"c":"小米\\n"}'
    assert json.loads(text, parse_float=Decimal) == {
        "a": Decimal("667.24"),
        "b": [Decimal("12.50"), 100, Decimal("-0.01")],
        "c": "小米\n",
    }
    assert encoding.dumps([None, True, False, 3, ()]) == "[null,true,false,3,[]]"


@pytest.mark.parametrize("value", [1.5, Decimal("NaN"), Decimal("Infinity"), {1: "a"}, object()])
def test_floats_and_other_types_are_refused(value):
    with pytest.raises(TypeError):
        encoding.dumps(value)


def test_a_malformed_ocid_prefix_stops_the_start(tmp_path):
    from shop.app import create_app

    with pytest.raises(ConfigError):
        create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "OCDS_OCID_PREFIX": "cgfp"}
        )
