"""Invoices, credit notes and order documents: issuing them from the order page, downloading the PDFs (each
download access-checked and audited), the list of documents, a finance bureau's ZIP of a month, and the
public verification page.

Who may see which document is ``shop.policy.invoice_scope`` / ``can_view_invoice``; which order,
``shop.policy.can_view_order``. PDFs are made by ``shop.invoices.render`` from plain data.
"""

import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import exists, func, select

from accounts import audit, policy
from accounts.home import Panel, home_panel
from accounts.models import BudgetUnit, Region, RegionLevel, Role, User
from shop import policy as shop_policy
from shop.aftersales.models import Refund, RefundStatus
from shop.common import DomainError, beijing_today
from shop.extensions import db
from shop.invoices import archive, render, services
from shop.invoices.documents import order_document
from shop.invoices.models import Invoice, InvoiceKind
from shop.orders.models import Order, OrderStatus, PaymentStatus

bp = Blueprint("invoices", __name__)

KIND_LABELS = {InvoiceKind.invoice: _l("Invoice"), InvoiceKind.credit_note: _l("Credit note")}


@bp.app_template_global("invoice_kind_label")
def kind_label(kind: InvoiceKind | str) -> str:
    """The translated name of a document kind."""
    return str(KIND_LABELS[InvoiceKind(kind)])


BUYERS = (Role.purchaser, Role.unit_manager)
#: The order's sides: who opens the order page and its delivery note and acceptance certificate.
SIDES = (*BUYERS, Role.supplier)
#: Who downloads invoices: the sides, and the finance bureaus and the operator who oversee them.
READERS = (*SIDES, Role.finance, Role.operator)
#: The most documents one ZIP holds (a city's busiest month is far below): beyond, choose a unit.
ARCHIVE_LIMIT = 5000
ACCEPTED = (OrderStatus.received, OrderStatus.closed)


class ConfirmForm(FlaskForm):
    """A button only (its CSRF token)."""


def _pdf(data: bytes, filename: str) -> Response:
    """A PDF download (``send_file`` writes a Chinese file name both ways browsers read it)."""
    response = send_file(
        io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=filename, etag=False
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the order page: what the include needs ----------------------------------------------------------------


@bp.app_template_global()
def order_documents(order: Order) -> dict:
    """For ``shop/invoices/_order_documents.html``: the order's issued documents, whether the supplier may
    invoice it, and its settled refunds still without a credit note. Two queries whatever the order holds."""
    issued = services.documents_of(order.id)
    credited = {document.refund_id for document in issued}
    has_invoice = any(document.kind == InvoiceKind.invoice for document in issued)
    settled = db.session.scalars(
        select(Refund)
        .where(Refund.order_id == order.id, Refund.status == RefundStatus.settled)
        .order_by(Refund.id)
    ).all()
    return {
        "issued": issued,
        "may_invoice": not has_invoice and order.payment_status != PaymentStatus.unpaid,
        "to_credit": [refund for refund in settled if refund.id not in credited] if has_invoice else [],
        "delivery_note": order.status != OrderStatus.cancelled,
        "acceptance": order.status in ACCEPTED,
    }


# --- issuing -----------------------------------------------------------------------------------------------


def _issue(order_id: int, issue):
    """Run ``issue(order)`` for a visible order; commit and say so, or roll back and show the refusal."""
    order = policy.get_visible_or_404(Order, order_id, shop_policy.can_view_order)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        document = issue(order)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        if document.kind == InvoiceKind.invoice:
            flash(_("Invoice %(number)s is issued.", number=document.number), "success")
        else:
            flash(_("Credit note %(number)s is issued.", number=document.number), "success")
    return redirect(url_for("orders.detail", order_id=order_id, _anchor="documents"))


@bp.route("/invoices/orders/<int:order_id>/issue", methods=["POST"])
@policy.roles(Role.supplier)
def issue_invoice(order_id: int):
    """The supplier issues the invoice of a paid order.

    :raise 404: not an order the supplier sees.
    """
    return _issue(
        order_id,
        lambda order: services.issue_invoice(order, current_user, beijing_today()),
    )


@bp.route("/invoices/refunds/<int:refund_id>/credit", methods=["POST"])
@policy.roles(Role.supplier)
def issue_credit_note(refund_id: int):
    """The supplier issues the credit note of a settled refund.

    :raise 404: no such refund, or not of an order the supplier sees.
    """
    refund = db.session.get(Refund, refund_id)
    if refund is None or not shop_policy.can_view_order(current_user, refund.order):
        abort(404)
    return _issue(
        refund.order_id,
        lambda _order: services.issue_credit_note(refund, current_user, beijing_today()),
    )


# --- downloads ---------------------------------------------------------------------------------------------


@bp.route("/invoices/<int:invoice_id>.pdf")
@policy.roles(*READERS)
def download(invoice_id: int):
    """An invoice or credit note as PDF, made again from its snapshot; audited.

    :raise 404: no such document, or not one the user may see.
    """
    invoice = policy.get_visible_or_404(Invoice, invoice_id, shop_policy.can_view_invoice)
    pdf = services.pdf_of(invoice)
    audit.record(current_user, "invoice.download", invoice, number=invoice.number)
    db.session.commit()
    return _pdf(pdf, invoice.filename)


def _order_pdf(order_id: int, kind: str) -> Response:
    order = policy.get_visible_or_404(Order, order_id, shop_policy.can_view_order)
    if kind == "acceptance" and order.status not in ACCEPTED:
        flash(_("The acceptance certificate exists once the goods are accepted."), "error")
        return redirect(url_for("orders.detail", order_id=order_id))
    if kind == "delivery_note" and order.status == OrderStatus.cancelled:
        flash(_("A cancelled order has no delivery note."), "error")
        return redirect(url_for("orders.detail", order_id=order_id))
    document = order_document(order, full_phone=shop_policy.order_party(current_user, order) is not None)
    if kind == "acceptance":
        pdf, name = render.acceptance_pdf(document), f"验收单-{order.number}.pdf"
    else:
        pdf, name = render.delivery_note_pdf(document), f"送货单-{order.number}.pdf"
    audit.record(current_user, f"order.{kind}", order, number=order.number)
    db.session.commit()
    return _pdf(pdf, name)


@bp.route("/invoices/orders/<int:order_id>/delivery-note.pdf")
@policy.roles(*SIDES)
def delivery_note(order_id: int):
    """The order's delivery note (送货单), for the goods' journey; audited.

    :raise 404: not an order the user sees.
    """
    return _order_pdf(order_id, "delivery_note")


@bp.route("/invoices/orders/<int:order_id>/acceptance.pdf")
@policy.roles(*SIDES)
def acceptance(order_id: int):
    """The order's acceptance certificate (验收单), once the goods are accepted; audited.

    :raise 404: not an order the user sees.
    """
    return _order_pdf(order_id, "acceptance")


# --- the list and a month's ZIP ----------------------------------------------------------------------------


def _filters() -> dict:
    """The list's and the archive's filters from the query string; an unknown or unseen unit or county
    answers 404 (never a hint that it exists)."""
    filters = {"month": archive.Month.parse(request.args.get("month"))}
    unit_id = request.args.get("unit", type=int)
    if unit_id:
        filters["unit"] = policy.get_visible_or_404(BudgetUnit, unit_id, policy.can_view_unit)
    county_id = request.args.get("county", type=int)
    if county_id:
        county = db.session.get(Region, county_id)
        scope = policy.region_scope(current_user)
        if county is None or current_user.role not in (Role.finance, Role.operator):
            abort(404)
        if (
            scope is not None
            and db.session.scalar(select(Region.id).where(Region.id == county.id, scope)) is None
        ):
            abort(404)
        filters["county"] = county
    return filters


@bp.route("/invoices/")
@policy.roles(*READERS)
def index():
    """The documents the user may download, newest first, by month, budget unit or county, a page at a
    time; finance bureaus and the operator download a month of a unit or county as one ZIP from here."""
    filters = _filters()
    documents, next_before = archive.document_page(
        current_user, request.args.get("before", type=int), **filters
    )
    counties = []
    if current_user.role in (Role.finance, Role.operator):
        query = select(Region).where(Region.level == RegionLevel.county).order_by(Region.code)
        scope = policy.region_scope(current_user)
        counties = db.session.scalars(query if scope is None else query.where(scope)).all()
    args = {key: request.args[key] for key in ("month", "unit", "county") if request.args.get(key)}
    return render_template(
        "shop/invoices/index.html",
        documents=documents,
        next_before=next_before,
        filters=filters,
        args=args,
        all_units_args={key: value for key, value in args.items() if key != "unit"},
        counties=counties,
        may_archive=current_user.role in (Role.finance, Role.operator),
    )


@bp.route("/invoices/archive.zip")
@policy.roles(Role.finance, Role.operator)
def month_archive():
    """A month's invoices and credit notes for a budget unit (``unit``) or a county (``county``), as one
    ZIP of PDFs with an index; audited. Streamed.

    :raise 404: a unit or county the user does not oversee.
    """
    filters = _filters()
    month = filters["month"]
    scope_object = filters.get("unit") or filters.get("county")
    back = url_for("invoices.index", **{key: request.args[key] for key in request.args if key != "before"})
    if month is None or scope_object is None or ("unit" in filters and "county" in filters):
        flash(_("Choose a month (YYYY-MM) and either a budget unit or a county."), "error")
        return redirect(back)
    if "county" in filters and filters["county"].level != RegionLevel.county:
        flash(_("Choose a county, not a city or a province."), "error")
        return redirect(back)
    limit = current_app.config.get("INVOICE_ARCHIVE_LIMIT", ARCHIVE_LIMIT)
    invoices = archive.month_documents(
        current_user, month, unit=filters.get("unit"), county=filters.get("county"), limit=limit
    )
    if len(invoices) > limit:
        flash(_("More than %(limit)d documents: choose a single budget unit.", limit=limit), "error")
        return redirect(back)
    entries = archive.archive_entries(invoices)
    audit.record(current_user, "invoice.archive", scope_object, month=str(month), documents=len(entries))
    db.session.commit()
    kind = "unit" if "unit" in filters else "county"
    filename = f"invoices-{month}-{kind}{scope_object.id}.zip"
    response = Response(stream_with_context(archive.stream_zip(entries)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- public verification -----------------------------------------------------------------------------------


@bp.route("/verify", methods=["GET"])
@policy.public
def verify_form():
    """Type in the code printed on a document."""
    code = request.args.get("code", "")
    if code.strip():
        return redirect(url_for("invoices.verify", code="".join(code.split()).upper()))
    return render_template("shop/invoices/verify.html", invoice=None, code=None)


@bp.route("/verify/<code>")
@policy.public
def verify(code: str):
    """Anyone (a bank, an auditor) checks a document by the code on it: its kind, number, date, seller,
    total and the buyer's name, nothing more. An unknown code answers 404."""
    invoice = services.by_verify_code(code)
    if invoice is None:
        return render_template("shop/invoices/verify.html", invoice=None, code=code), 404
    snapshot = invoice.snapshot
    shown = {
        "kind": invoice.kind,
        "number": invoice.number,
        "issued_on": invoice.issued_on,
        "seller": snapshot["seller"]["name"],
        "buyer": snapshot["buyer"]["name"],
        "total": invoice.total,
    }
    return render_template("shop/invoices/verify.html", invoice=shown, code=invoice.verify_code)


# --- home panel --------------------------------------------------------------------------------------------


@home_panel(Role.supplier, order=24)
def documents_to_issue(user: User) -> Panel:
    """Paid orders without an invoice, and settled refunds without a credit note."""
    uninvoiced = db.session.scalar(
        select(func.count(Order.id)).where(
            Order.supplier_id == user.supplier_id,
            Order.payment_status != PaymentStatus.unpaid,
            ~exists().where(Invoice.order_id == Order.id, Invoice.kind == InvoiceKind.invoice),
        )
    )
    uncredited = db.session.scalar(
        select(func.count(Refund.id))
        .join(Order, Order.id == Refund.order_id)
        .where(
            Order.supplier_id == user.supplier_id,
            Refund.status == RefundStatus.settled,
            ~exists().where(Invoice.refund_id == Refund.id),
        )
    )
    return Panel(
        _("Invoices to issue"),
        uninvoiced + uncredited,
        url_for("orders.index", payment=PaymentStatus.paid.value),
        _("Paid orders"),
        [
            (_("Paid orders without an invoice: %(count)d", count=uninvoiced), None),
            (_("Settled refunds without a credit note: %(count)d", count=uncredited), None),
        ],
    )
