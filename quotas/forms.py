"""Forms of the reserved-share pages. They parse input; the services check the rules (and name the field
in their refusals), so amounts and percentages stay text here."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from quotas.filing.figures import PLANNED_LABEL, RESERVED_LABEL, FilingInput
from quotas.filing.labels import quota_label
from quotas.filing.review import REASON_MAX
from quotas.models import CanteenStatus, QuotaFiling
from quotas.policies import MIN_RATIO_LABEL, PolicyInput


class PolicyForm(FlaskForm):
    """A region's policy for a year. ``region_code`` is the operator's (finance sets its own region's)."""

    region_code = StringField(_l("Region code"), validators=[Optional(), Length(max=6)])
    year = IntegerField(_l("Year"), validators=[DataRequired(_l("Enter the year."))])
    min_ratio_percent = StringField(
        _l(MIN_RATIO_LABEL), validators=[DataRequired(_l("Enter the minimum ratio."))]
    )
    filing_deadline = DateField(
        _l("Filing deadline"), validators=[DataRequired(_l("Enter the filing deadline as a date."))]
    )
    not_below_last_year = BooleanField(_l("The reserved amount may not fall below last year's"))

    def data_in(self) -> PolicyInput:
        return PolicyInput(
            year=self.year.data,
            min_ratio_percent=self.min_ratio_percent.data or "",
            filing_deadline=self.filing_deadline.data,
            not_below_last_year=self.not_below_last_year.data,
        )


class FilingForm(FlaskForm):
    canteen_status = RadioField(_l("Canteen"), validate_choice=False, default=CanteenStatus.own.value)
    shared_with_code = StringField(
        _l("Unit code of the unit whose canteen is shared"), validators=[Optional(), Length(max=32)]
    )
    planned_total = StringField(_l(PLANNED_LABEL), validators=[Length(max=32)])
    reserved_amount = StringField(_l(RESERVED_LABEL), validators=[Length(max=32)])
    #: The newest version number the page was made from (0: none), to refuse a save over a newer one.
    based_on = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.canteen_status.choices = [(status.value, quota_label(status)) for status in CanteenStatus]

    def prefill(self, filing: QuotaFiling | None) -> None:
        """Show ``filing``'s figures (the draft being edited, or the version being refiled)."""
        if filing is None:
            return
        self.canteen_status.data = filing.canteen_status.value
        self.shared_with_code.data = filing.shared_with.code if filing.shared_with is not None else ""
        if filing.canteen_status in (CanteenStatus.own, CanteenStatus.outsourced):
            self.planned_total.data = f"{filing.planned_total:.2f}"
            self.reserved_amount.data = f"{filing.reserved_amount:.2f}"

    def data_in(self) -> FilingInput:
        return FilingInput(
            canteen_status=self.canteen_status.data or "",
            shared_with_code=self.shared_with_code.data or "",
            planned_total=self.planned_total.data or "",
            reserved_amount=self.reserved_amount.data or "",
        )

    def based_on_version(self) -> int | None:
        value = (self.based_on.data or "").strip()
        return int(value) if value.isdigit() else None


class ReturnForm(FlaskForm):
    # Checked by the service (empty, too long), whose refusal names the field.
    reason = TextAreaField(
        _l("Reason for returning"), validators=[Optional()], render_kw={"rows": 3, "maxlength": REASON_MAX}
    )


class DecisionForm(FlaskForm):
    """Approve: no fields beyond the CSRF token."""
