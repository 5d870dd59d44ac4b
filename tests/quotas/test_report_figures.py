"""The reports' arithmetic, without a database: grades by the SBA bands, the two completions (aggregate and
mean of the units') and how they relate, and the elapsed fraction of the year."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quotas.models import CanteenStatus
from quotas.reports.figures import Figures, UnitLine, elapsed_fraction, grade


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("1.2", "A+"),
        ("3", "A+"),
        ("1.1999", "A"),
        ("1", "A"),
        ("0.9999", "B"),
        ("0.9", "B"),
        ("0.8999", "C"),
        ("0.8", "C"),
        ("0.7999", "D"),
        ("0.7", "D"),
        ("0.6999", "F"),
        ("0", "F"),
    ],
)
def test_grades_follow_the_sba_bands(completion, expected):
    assert grade(Decimal(completion)) == expected


def test_no_reserve_no_grade():
    assert grade(None) is None


money = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(money.filter(lambda amount: amount > 0), money), min_size=1, max_size=30))
def test_the_aggregate_completion_lies_between_the_units_and_grades_are_monotonic(pairs):
    lines = [
        UnitLine(
            index,
            f"U{index}",
            "单位",
            1,
            None,
            canteen=CanteenStatus.own,
            planned=reserved * 3,
            reserved=reserved,
            purchased=purchased,
        )
        for index, (reserved, purchased) in enumerate(pairs)
    ]
    figures = Figures().add_up(lines, Decimal(1))
    completions = [purchased / reserved for reserved, purchased in pairs]
    slack = Decimal("0.0001")
    assert min(completions) - slack <= figures.completion_aggregate <= max(completions) + slack
    assert min(completions) - slack <= figures.completion_mean <= max(completions) + slack
    assert sum(figures.grades.values()) == figures.with_reserve == len(pairs)
    assert figures.ratio_aggregate == figures.ratio_mean == Decimal("0.3333")
    order = ["F", "D", "C", "B", "A", "A+"]
    ranked = sorted(lines, key=lambda line: line.purchased / line.reserved)
    assert [order.index(line.grade) for line in ranked] == sorted(order.index(line.grade) for line in ranked)


@given(st.lists(money, min_size=1, max_size=20), money.filter(lambda amount: amount > 0))
def test_with_equal_reserves_both_completions_agree(purchases, reserved):
    lines = [
        UnitLine(
            i,
            "U",
            "单位",
            1,
            None,
            canteen=CanteenStatus.own,
            planned=reserved,
            reserved=reserved,
            purchased=purchased,
        )
        for i, purchased in enumerate(purchases)
    ]
    figures = Figures().add_up(lines, Decimal(1))
    assert abs(figures.completion_aggregate - figures.completion_mean) <= Decimal("0.0001")


@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2040, 12, 31)))
def test_the_elapsed_fraction(today):
    fraction = elapsed_fraction(today.year, today)
    assert 0 < fraction <= 1
    assert (fraction == 1) == (today.month == 12 and today.day == 31)
    assert elapsed_fraction(today.year - 1, today) == 1 and elapsed_fraction(today.year + 1, today) == 0
