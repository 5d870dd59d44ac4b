"""The reserved shares' part of the demo city (filled in by the demo-year work)."""


def register() -> None:
    """Append the quotas step to the demo loader's steps (idempotent)."""
