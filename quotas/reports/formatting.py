"""How report figures read on a page: ratios as percentages, grades as badges, totals as a row."""

from decimal import ROUND_HALF_UP, Decimal


def percent(value: Decimal | None, places: int = 1) -> str:
    """0.98204 → "98.2%"; None (no denominator) → "—"."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    return f"{(Decimal(value) * 100).quantize(quantum, ROUND_HALF_UP)}%"


def progress_width(value: Decimal | None) -> str:
    """The width of a progress bar for a completion rate, as a CSS percentage capped at 100."""
    if value is None:
        return "0%"
    return f"{min(max(Decimal(value), Decimal(0)), Decimal(1)) * 100:.1f}%"


class TotalRow:
    """A level's figures as the last row of its table (its code empty, its name e.g. "Total")."""

    def __init__(self, figures, name):
        self._figures = figures
        self.code = ""
        self.name = name
        self.line = None

    def __getattr__(self, attribute: str):
        return getattr(self._figures, attribute)


def register(blueprint) -> None:
    """Make the filters available to the blueprint's templates (and every other: they are app-wide)."""
    blueprint.add_app_template_filter(percent, "percent")
    blueprint.add_app_template_filter(progress_width, "progress_width")
