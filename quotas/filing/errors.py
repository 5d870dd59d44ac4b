"""The one refusal type of quotas, carrying the form field at fault and translated at display time."""

import enum

from shop.common import DomainError


class QuotaError(DomainError):
    """A reserved-share rule refused the request; nothing changed.

    ``field`` names the form field at fault, if one is. Params stay plain until shown (services also run
    outside a request, in commands and tests): a canteen or filing status is named in the user's language
    by ``translated``, and so is ``field_name``, the English msgid of a field's label.
    """

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field

    def translated(self) -> str:
        from flask_babel import gettext

        from quotas.filing.labels import quota_label

        params = {}
        for key, value in self.params.items():
            if isinstance(value, enum.Enum):
                value = str(quota_label(value))
            elif key == "field_name":
                value = gettext(value)
            params[key] = value
        return gettext(self.message, **params)
