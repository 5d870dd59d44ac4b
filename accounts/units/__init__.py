"""Regions and budget units: the region tree, registering units (one by one or from a sheet) with their
manager accounts, and reading them within the viewer's scope.

``rules`` checks new units, ``services`` creates them, ``regions`` keeps the region tree, ``queries`` reads.
Access decisions stay in ``accounts.policy``.
"""

from accounts.units.regions import create_region, region_tree, set_poverty_county
from accounts.units.rules import UnitError, UnitFacts, check_units
from accounts.units.services import (
    IMPORT_COLUMNS,
    ImportedUnit,
    UnitImportRefused,
    create_unit,
    import_template,
    import_units,
)

__all__ = [
    "IMPORT_COLUMNS",
    "ImportedUnit",
    "UnitError",
    "UnitFacts",
    "UnitImportRefused",
    "check_units",
    "create_region",
    "create_unit",
    "import_template",
    "import_units",
    "region_tree",
    "set_poverty_county",
]
