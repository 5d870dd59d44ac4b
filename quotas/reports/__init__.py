"""The finance bureau's reports on reserved shares, and a unit's own completion figures.

``summarise(year, region, today=…)`` is the entry point (see ``quotas.reports.summary``); the arithmetic
(ratios, means, grades, schedule, projection) is in ``quotas.reports.figures``, the queries in
``quotas.reports.loading``. Purchases are read only from the maintained ledger totals, so a report costs
O(units) and a constant number of queries, whatever the number of orders.
"""

from quotas.reports.figures import GRADES, Figures, UnitLine, elapsed_fraction, grade
from quotas.reports.summary import Row, Summary, summarise, summarise_unit

__all__ = [
    "GRADES",
    "Figures",
    "Row",
    "Summary",
    "UnitLine",
    "elapsed_fraction",
    "grade",
    "summarise",
    "summarise_unit",
]
