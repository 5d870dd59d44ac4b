"""The reserved shares' part of the demo city: a complete year of filings and paid orders calibrated to the
city report, and the current year in progress (``quotas.demo_year``)."""


def register() -> None:
    """Append the quotas step to the demo loader's steps (idempotent)."""
    from accounts.demo.load import register_step
    from quotas.demo_year import add_demo_year

    register_step(add_demo_year)
