"""What the account views share: showing a refusal beside its field, pages that carry an initial password,
and the sheet import (its form, its view, its blank template).

Initial passwords are shown once, on the page that answers the POST that made them (``shown_once`` marks it
``no-store``); they never go into a flash message, a URL, a log line or the audit log.
"""

import io
from collections.abc import Callable

from flask import current_app, flash, make_response, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from accounts.imports import XLSX_MIMETYPE, ImportInvalid, RowError, Sheet, read_sheet
from shop.common import DomainError
from shop.extensions import db


def show_error(form: FlaskForm, error: DomainError, default_field: str | None = None) -> None:
    """Flash the refusal and put it beside the field(s) it names.

    A refusal may list several ``problems`` (``RowError``s keyed by field name); otherwise its ``field``,
    or ``default_field``, gets the message.
    """
    message = error.translated()
    flash(message, "error")
    problems: list[RowError] = getattr(error, "problems", None) or []
    if problems:
        marks = [(problem.column, problem.translated()) for problem in problems]
    else:
        marks = [(getattr(error, "field", None) or default_field, message)]
    for field, text in marks:
        if field and field in form:
            form[field].errors = [*form[field].errors, text]


def shown_once(html: str):
    """A page carrying a password: never kept by the browser or a proxy."""
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


class ImportForm(FlaskForm):
    # The type is checked by read_sheet, which names the accepted types in its message.
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file to upload."))])


def import_sheet(
    columns: dict[str, tuple[str, ...]], create: Callable[[Sheet, str], list], page: str, done_page: str
):
    """The body of an import view: read the uploaded sheet with ``columns`` and ``create(sheet, filename)``.

    GET shows ``page``. A refused upload shows ``page`` again (400) with every row error (``ImportInvalid``)
    or the reason beside the file field; nothing is kept. A good one is committed and ``done_page`` shows
    what ``create`` returned (as ``created``) once.
    """
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template(page, form=form, errors=None), (400 if form.is_submitted() else 200)
    upload = form.file.data
    try:
        sheet = read_sheet(upload.filename, upload.read(), columns, current_app.config["IMPORT_MAX_ROWS"])
        created = create(sheet, upload.filename or "")
    except ImportInvalid as error:
        db.session.rollback()
        flash(error.translated(), "error")
        return render_template(page, form=form, errors=error.errors), 400
    except DomainError as error:
        db.session.rollback()
        show_error(form, error, default_field="file")
        return render_template(page, form=form, errors=None), 400
    db.session.commit()
    return shown_once(render_template(done_page, created=created))


def send_workbook(data: bytes, download_name: str):
    """An .xlsx file as a download."""
    return send_file(
        io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=download_name
    )


def reset_and_show(account, reset: Callable[[], str], template: str, back: str):
    """Give ``account`` a new initial password with ``reset()`` and show it once (``template``), or flash the
    refusal and go back to ``back`` (an endpoint). Commits once."""
    from accounts.people import Opened

    try:
        initial = reset()
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
        return redirect(url_for(back))
    opened = Opened(account.username, account.name, initial)
    db.session.commit()
    return shown_once(render_template(template, opened=opened, heading=_("Password reset")))


def enable_and_return(account, set_enabled: Callable[[], None], enabled: bool, back: str):
    """Deactivate or re-enable ``account`` with ``set_enabled()``, say what happened, go back to ``back``.
    Commits once."""
    try:
        set_enabled()
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        username = account.username
        db.session.commit()
        if enabled:
            flash(_("The account %(username)s can log in again.", username=username), "success")
        else:
            flash(
                _("The account %(username)s is deactivated and can no longer log in.", username=username),
                "success",
            )
    return redirect(url_for(back))
