"""The categories and poverty counties the catalogue is filtered by: every catalogue view lists them."""

from typing import NamedTuple

from sqlalchemy import String, cast, literal, select, text, union_all

from accounts.models import Region, RegionLevel
from shop.catalogue.models import Category
from shop.extensions import db

# The tables' columns, as in ``shop.catalogue.browse``: the rows are plain values.
_REGION, _CATEGORY = Region.__table__, Category.__table__


class Choice(NamedTuple):
    id: int
    name: str


def filter_choices() -> tuple[list[Choice], list[Choice]]:
    """The categories (in menu order) and the poverty counties (by code) to filter by, in one query."""
    choices = {"category": [], "county": []}
    for kind, choice_id, name, _position, _sort_key in db.session.execute(_CHOICES):
        choices[kind].append(Choice(choice_id, name))
    return choices["category"], choices["county"]


_CHOICES = union_all(
    select(
        literal("category").label("kind"),
        _CATEGORY.c.id,
        _CATEGORY.c.name,
        _CATEGORY.c.position.label("position"),
        _CATEGORY.c.name.label("sort_key"),
    ),
    select(literal("county"), _REGION.c.id, _REGION.c.name, literal(0), cast(_REGION.c.code, String)).where(
        _REGION.c.level == RegionLevel.county, _REGION.c.is_poverty_county.is_(True)
    ),
).order_by(text("kind"), text("position"), text("sort_key"))
