"""Reading the audit log: a filtered list for operators and finance, and its CSV export.

Finance reads only its region's subtree (``policy.audit_scope``); the operator reads everything. Nothing
here writes to the log except the record that an export was taken.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import aliased, joinedload
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from accounts import audit, policy
from accounts.labels import label
from accounts.models import AuditEntry, RegionLevel, Role, SupplierKind, SupplierStatus, User
from accounts.views.audit_names import object_names
from shop.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
#: The most rows one export holds; narrow the filters for more (the newest come first).
EXPORT_MAX_ROWS = 50_000
EXPORT_BATCH = 1000

#: Known actions and their names; an action missing here is shown as it is stored.
ACTION_LABELS = {
    "account.create": _l("Account created"),
    "account.activate": _l("Account activated"),
    "account.login": _l("Logged in"),
    "account.login_failed": _l("Login failed"),
    "account.logout": _l("Logged out"),
    "account.password_change_failed": _l("Password change refused"),
    "account.lock": _l("Account locked after failed logins"),
    "account.password_change": _l("Password changed"),
    "account.reset_password": _l("Password reset"),
    "account.enable": _l("Account enabled"),
    "account.deactivate": _l("Account deactivated"),
    "supplier.apply": _l("Supplier applied"),
    "supplier.resubmit": _l("Supplier resubmitted its application"),
    "supplier.recommend": _l("Supplier recommended"),
    "supplier.admit": _l("Supplier admitted"),
    "supplier.reject": _l("Supplier rejected"),
    "supplier.suspend": _l("Supplier suspended"),
    "supplier.reinstate": _l("Supplier reinstated"),
    "unit.create": _l("Budget unit created"),
    "import.units": _l("Budget units imported"),
    "import.purchasers": _l("Purchaser accounts imported"),
    "region.create": _l("Region created"),
    "region.poverty_flag": _l("Poverty county flag changed"),
    "audit.export": _l("Audit log exported"),
    "audit.seal": _l("Unsealed audit entries sealed"),
    "demo.load": _l("Demo city loaded"),
}

#: Names of the object types (table names) the log refers to.
OBJECT_LABELS = {
    "user_account": _l("Account"),
    "budget_unit": _l("Budget unit"),
    "supplier": _l("Supplier"),
    "region": _l("Region"),
}


#: The action filter's groups: a prefix ending in a dot matches every action that starts with it.
ACTION_GROUPS = {
    "account.": _l("Every account action"),
    "supplier.": _l("Every supplier action"),
    "unit.": _l("Every budget-unit action"),
    "region.": _l("Every region action"),
    "import.": _l("Every import"),
    "audit.": _l("Every audit-log action"),
}

#: Names of the detail keys the services write; a key missing here is shown as it is stored.
DETAIL_LABELS = {
    "username": _l("Username"),
    "role": _l("Role"),
    "name": _l("Name"),
    "code": _l("Code"),
    "credit_code": _l("Unified social credit code"),
    "county": _l("County"),
    "region": _l("Region"),
    "parent": _l("Parent"),
    "manager": _l("Manager"),
    "managers": _l("Managers"),
    "codes": _l("Codes"),
    "level": _l("Level"),
    "poverty": _l("Poverty county"),
    "from_status": _l("Previous status"),
    "to_status": _l("New status"),
    "reason": _l("Reason"),
    "changed": _l("Changed fields"),
    "count": _l("Count"),
    "filename": _l("File"),
    "filters": _l("Filters"),
    "max_rows": _l("At most"),
}

#: Detail keys whose values are enumeration members, stored as their code values.
DETAIL_ENUMS = {
    "role": Role,
    "from_status": SupplierStatus,
    "to_status": SupplierStatus,
    "level": RegionLevel,
    "kind": SupplierKind,
}


def register_labels(
    actions: dict | None = None, groups: dict | None = None, objects: dict | None = None
) -> None:
    """Packages above accounts (shop, quotas) name their own actions, action groups and object types here;
    the composition root imports their label modules, so accounts never imports them."""
    ACTION_LABELS.update(actions or {})
    ACTION_GROUPS.update(groups or {})
    OBJECT_LABELS.update(objects or {})


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_label(object_type: str | None) -> str:
    return str(OBJECT_LABELS.get(object_type, object_type or ""))


def detail_items(details: dict | None, translate: bool = False) -> list[tuple[str, str]]:
    """The details as (key, value) text pairs; nested values compact JSON, empty values left out.

    ``translate``: keys by their names, role, status and level values by their labels, yes/no for flags
    (the page); otherwise as stored (the CSV export, which programs read).
    """
    items = []
    for key, value in (details or {}).items():
        if value is None or value == "":
            continue
        if translate:
            value = _detail_value(key, value)
            key = DETAIL_LABELS.get(key, key)
        if isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        items.append((str(key), str(value)))
    return items


def _detail_value(key: str, value):
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    kind = DETAIL_ENUMS.get(key)
    if kind is not None and value in kind.__members__:
        return label(kind(value))
    return value


# --- filters -----------------------------------------------------------------------------------------------


class _NumberAtLeast(NumberRange):
    """``NumberRange`` that leaves text that is not a number to the field's own message (one message)."""

    def __call__(self, form, field) -> None:
        if field.data is not None:
            super().__call__(form, field)


class AuditFilterForm(FlaskForm):
    """The list's filters, read from the query string.

    A FlaskForm so that WTForms' own messages ("Not a valid integer value.") come in the user's language;
    a GET form changes nothing, so it carries no CSRF token. The drop-down lists offer the known actions
    and object types; a value from a link that is not among them (an action no label names yet) is kept
    and offered as it is.
    """

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional(), Length(max=64)], validate_choice=False)
    actor = StringField(_l("Username"), validators=[Optional(), Length(max=64)])
    object_type = SelectField(
        _l("Object type"), validators=[Optional(), Length(max=32)], validate_choice=False
    )
    object_id = IntegerField(_l("Object ID"), validators=[Optional(), _NumberAtLeast(min=1)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = _choices(
            [("", _("All actions"))]
            + [(prefix, str(name)) for prefix, name in ACTION_GROUPS.items()]
            + [(action, str(name)) for action, name in ACTION_LABELS.items()],
            self.action.data,
        )
        self.object_type.choices = _choices(
            [("", _("All object types"))] + [(kind, str(name)) for kind, name in OBJECT_LABELS.items()],
            self.object_type.data,
        )

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date is before the start date."))

    def values(self) -> dict[str, str]:
        """The filters as they were typed, to carry over into paging and export links."""
        return {name: request.args.get(name, "").strip() for name in self._fields if request.args.get(name)}


def _choices(choices: list[tuple[str, str]], current: str | None) -> list[tuple[str, str]]:
    """``choices``, plus the value in use if it is not among them (so the list shows what is filtered)."""
    if current and current not in {value for value, _name in choices}:
        choices = [*choices, (current, current)]
    return choices


def day_start_utc(day: date, zone: str) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, as the naive UTC the log stores."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def filtered_query(user: User, form: AuditFilterForm) -> Select:
    """The entries ``user`` may read that match the (validated) filters, newest first."""
    query = select(AuditEntry)
    scope = policy.audit_scope(user)
    if scope is not None:
        query = query.where(scope)
    action = (form.action.data or "").strip()
    if action.endswith((".", "*")):
        # "supplier." (or "supplier.*") means every supplier action.
        query = query.where(AuditEntry.action.startswith(action.rstrip("*"), autoescape=True))
    elif action:
        query = query.where(AuditEntry.action == action)
    username = (form.actor.data or "").strip()
    if username:
        actor_ids = select(User.id).where(func.lower(User.username) == username.lower())
        query = query.where(AuditEntry.actor_id.in_(actor_ids))
    object_type = (form.object_type.data or "").strip()
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if form.object_id.data:
        query = query.where(AuditEntry.object_id == form.object_id.data)
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if form.date_from.data:
        query = query.where(AuditEntry.at >= day_start_utc(form.date_from.data, zone))
    if form.date_to.data:
        query = query.where(AuditEntry.at < day_start_utc(form.date_to.data + timedelta(days=1), zone))
    return query.order_by(AuditEntry.id.desc())


def _form() -> tuple[AuditFilterForm, bool]:
    form = AuditFilterForm(formdata=request.args)
    # Blank fields are fine; only what was typed is checked.
    return form, form.validate()


# --- views -------------------------------------------------------------------------------------------------


@bp.route("/")
@policy.roles(Role.operator, Role.finance)
def index():
    """The log, newest first, 50 a page (``before=<id>`` for older), filtered by the query string."""
    form, valid = _form()
    entries, next_before = [], None
    if valid:
        query = filtered_query(current_user, form).options(joinedload(AuditEntry.actor))
        before = request.args.get("before", type=int)
        if before:
            query = query.where(AuditEntry.id < before)
        rows = db.session.scalars(query.limit(PAGE_SIZE + 1)).all()
        entries = rows[:PAGE_SIZE]
        next_before = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    return render_template(
        "accounts/audit/index.html",
        form=form,
        filters=form.values(),
        entries=entries,
        names=object_names(current_user, entries),
        next_before=next_before,
        action_label=action_label,
        object_label=object_label,
        detail_items=detail_items,
    ), (200 if valid else 400)


@bp.route("/export.csv")
@policy.roles(Role.operator, Role.finance)
def export():
    """The filtered log as CSV (UTF-8 with a BOM, so that Excel reads Chinese), newest first.

    At most ``EXPORT_MAX_ROWS`` rows; a last line says so when there were more. The export itself is
    recorded in the log, with its filters, before any row leaves.
    """
    form, valid = _form()
    if not valid:
        return index()
    query = filtered_query(current_user, form)
    audit.record(current_user, "audit.export", None, filters=form.values(), max_rows=EXPORT_MAX_ROWS)
    db.session.commit()

    # An alias: the scope's subqueries select from user_account and must not correlate with this join.
    actor = aliased(User)
    rows = query.outerjoin(actor, AuditEntry.actor_id == actor.id).with_only_columns(
        AuditEntry.id,
        AuditEntry.at,
        actor.username,
        actor.name,
        AuditEntry.action,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.details,
        AuditEntry.ip,
    )
    filename = f"audit-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(_csv_lines(_batches(rows))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _batches(query: Select) -> Iterator[Row]:
    """The rows of ``query`` (ordered by id, newest first), ``EXPORT_MAX_ROWS + 1`` at most.

    Read in short keyset batches, each its own transaction: no transaction (on SQLite: no write lock)
    stays open while a slow client downloads.
    """
    remaining, before = EXPORT_MAX_ROWS + 1, None
    while remaining > 0:
        size = min(EXPORT_BATCH, remaining)
        batch_query = query if before is None else query.where(AuditEntry.id < before)
        batch = db.session.execute(batch_query.limit(size)).all()
        db.session.rollback()  # ends the read; nothing was written
        yield from batch
        if len(batch) < size:
            return
        remaining -= size
        before = batch[-1].id


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A leading = + - @ makes a spreadsheet run the cell as a formula; details hold what users typed.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def _csv_lines(rows: Iterator[Row]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    buffer.write("\ufeff")
    header = [_("ID"), _("Time"), _("Username"), _("Name"), _("Action"), _("Action name")]
    header += [_("Object type"), _("Object ID"), _("Details"), _("IP address")]
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        if count > EXPORT_MAX_ROWS:
            writer.writerow([_("Only the newest %(count)d entries are exported.", count=EXPORT_MAX_ROWS)])
            break
        details = "; ".join(f"{key}: {value}" for key, value in detail_items(row.details))
        at = format_datetime(row.at, "yyyy-MM-dd HH:mm:ss")
        cells = [row.id, at, row.username, row.name, row.action, action_label(row.action)]
        cells += [row.object_type, row.object_id, details, row.ip]
        writer.writerow([_cell(cell) for cell in cells])
        if count % 500 == 0:
            yield flush()
    yield flush()
