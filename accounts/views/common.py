"""What the account views share: showing a refusal beside its field, pages that carry an initial password,
and the sheet import (its form, its view, its blank template).

Initial passwords are shown once, on the page that answers the POST that made them (``shown_once`` marks it
``no-store``); they never go into a flash message, a URL, a log line or the audit log.
"""

import io
from collections.abc import Callable

from flask import current_app, flash, make_response, render_template, send_file
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
