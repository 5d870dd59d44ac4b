"""The payment, refund and flag forms, and the names of the payment methods.

The forms only bound lengths: every rule (required fields, formats, amounts, dates) is the service's, whose
refusal names the field, so the page and the service never disagree.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from shop.payments.models import PaymentMethod

METHOD_LABELS = {
    PaymentMethod.official_card: _l("Official card"),
    PaymentMethod.bank_transfer: _l("Bank transfer"),
}


def method_label(method: PaymentMethod | str) -> str:
    """The translated name of a payment method (公务卡 / 对公转账)."""
    return str(METHOD_LABELS.get(method, method))


def parse_date(text: str | None) -> date | None:
    """A date as an ``<input type="date">`` sends it (YYYY-MM-DD), or None (the service then names the
    field)."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


class PaymentForm(FlaskForm):
    method = RadioField(
        _l("Paid by"),
        choices=[SelectChoice(method.value, label) for method, label in METHOD_LABELS.items()],
        validate_choice=False,
    )
    payer_account = StringField(_l("Paying card or account number"), validators=[Optional(), Length(max=40)])
    reference = StringField(_l("Bank reference"), validators=[Optional(), Length(max=64)])
    amount = StringField(_l("Amount paid (yuan)"), validators=[Optional(), Length(max=20)])
    paid_on = StringField(_l("Date paid"), validators=[Optional(), Length(max=10)])


class RefundForm(FlaskForm):
    reference = StringField(_l("Bank reference"), validators=[Optional(), Length(max=64)])
    amount = StringField(_l("Amount refunded (yuan)"), validators=[Optional(), Length(max=20)])
    settled_on = StringField(_l("Date refunded"), validators=[Optional(), Length(max=10)])


class FlagForm(FlaskForm):
    note = TextAreaField(_l("What is wrong"), validators=[Optional(), Length(max=500)])


class ConfirmForm(FlaskForm):
    """A button only (its CSRF token)."""
