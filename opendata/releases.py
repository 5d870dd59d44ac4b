"""One OCDS 1.1 release per order: what the order is, in the standard's terms.

Pure functions of ``opendata.loading.OrderRow`` (no database). Choices, documented in the README section:

- ``ocid`` = ``<prefix>-<order number>``: one contracting process per order. The prefix is the publisher's
  (``OCDS_OCID_PREFIX``); a real publisher registers its own with the Open Contracting Partnership.
- The release describes the order as it stands: its ``id`` is the order number and the time of its latest
  change, so the same state always gives the same release and a new state a new one. Its tags: ``tender``,
  ``award``, ``contract``; ``implementation`` once it holds transactions or documents; ``contractTermination``
  once the order is closed or cancelled.
- Parties: the budget unit is buyer, procuring entity and payer; the supplier is supplier and payee; both
  identified by their unified social credit code (scheme ``CN-USCC``). A supplier's ``details.scale``
  (party scale extension) comes from its kind: a family farm is ``micro``, a cooperative ``sme``; the
  platform does not record an enterprise's size, so it is left out for enterprises and agents rather than
  guessed.
- ``planning.budget`` is the unit's reserved share (预留份额) for the year the purchase counts in, from the
  filing that counts (``quotas.rules``), with ``projectID`` naming that filing version.
- Direct purchase on the platform: ``tender.procurementMethod`` is ``direct``; tender, award and contract
  carry the order's lines as items (unit name and unit price in CNY).
- ``contracts[0].implementation.transactions``: the payment, from the unit to the supplier; each settled
  refund as money moving the other way (payer the supplier, payee the unit) with a positive amount: OCDS
  1.1 gives a transaction a direction, not a sign, so the net paid is payments minus refunds.
- Invoices and credit notes are ``implementation.documents`` of type ``financialProgressReport`` (the
  documentType codelist has no code for an invoice; that one covers "amounts of payments made"), linked to
  their public verification page (``/verify/<code>``: kind, number, date, parties' names, total), never to
  the buyer's PDF.
- Nothing personal: no purchaser, contact, phone, address, bank account or bank reference is published.
"""

from datetime import UTC, date, datetime, time
from decimal import Decimal

from accounts.models import SupplierKind
from opendata.loading import BudgetRow, DocumentRow, OrderRow, Organisation
from quotas.models import CanteenStatus, FilingStatus
from shop.common import BEIJING
from shop.invoices.models import InvoiceKind
from shop.orders.models import OrderStatus

CURRENCY = "CNY"
#: Identifier scheme of the unified social credit code (统一社会信用代码, GB 32100-2015).
SCHEME = "CN-USCC"
#: What the release's free text is written in.
LANGUAGE = "zh"

#: OCDS party scale (partyScale codelist) by supplier kind; kinds whose size is unknown are left out.
SCALES = {SupplierKind.family_farm: "micro", SupplierKind.coop: "sme"}

#: contractStatus: a placed order is a concluded contract in force until it is closed or cancelled.
CONTRACT_STATUS = {
    OrderStatus.placed: "active",
    OrderStatus.shipped: "active",
    OrderStatus.received: "active",
    OrderStatus.closed: "terminated",
    OrderStatus.cancelled: "terminated",
}

# The release's fixed text is data in the language it declares (``LANGUAGE``), not interface text.
_KIND_TITLES = {InvoiceKind.invoice: "发票", InvoiceKind.credit_note: "红字发票（红冲）"}
_FILING_STATUS = {
    FilingStatus.submitted: "待审核",
    FilingStatus.endorsed: "主管预算单位已审核",
    FilingStatus.approved: "财政部门已审核",
}
_CANTEEN = {
    CanteenStatus.own: "自有食堂",
    CanteenStatus.outsourced: "外包食堂",
    CanteenStatus.shared: "共用食堂（由共用单位统一预留）",
    CanteenStatus.none: "无食堂（无预留份额）",
}


def timestamp(at: datetime) -> str:
    """A stored naive-UTC datetime as an RFC 3339 date-time (``2026-11-01T02:00:00Z``)."""
    return at.replace(microsecond=0).isoformat() + "Z"


def day(value: date) -> str:
    """A Beijing calendar date (payments and refunds are dated so) as the start of that day, +08:00."""
    return datetime.combine(value, time(0), tzinfo=BEIJING).isoformat()


def money(amount: Decimal) -> dict:
    return {"amount": amount.quantize(Decimal("0.01")), "currency": CURRENCY}


def party_id(organisation: Organisation) -> str:
    return f"{SCHEME}-{organisation.credit_code}"


def reference(organisation: Organisation) -> dict:
    return {"id": party_id(organisation), "name": organisation.name}


def last_change(order: OrderRow) -> datetime:
    """When what the order's release shows last changed (naive UTC): the order, its payment, refunds and
    documents, and the filing version its budget comes from (a release never changes under one id)."""
    moments = [
        order.placed_at,
        order.shipped_at,
        order.received_at,
        order.closed_at,
        order.cancelled_at,
        *(refund.settled_at for refund in order.refunds),
        *(document.issued_at for document in order.documents),
    ]
    if order.budget is not None:
        moments.append(order.budget.changed_at)
    if order.payment is not None:
        moments.append(
            datetime.combine(order.payment.paid_on, time(0), tzinfo=BEIJING)
            .astimezone(UTC)
            .replace(tzinfo=None)
        )
    return max(moment for moment in moments if moment is not None)


def release(order: OrderRow, *, prefix: str, platform: str, verify_base: str) -> dict:
    """The release of ``order``: ``prefix`` is the ocid prefix, ``platform`` the marketplace's name (in
    ``procurementMethodDetails``), ``verify_base`` its public address (documents link to
    ``<verify_base>/verify/<code>``)."""
    changed = last_change(order)
    items = [_item(line) for line in order.lines]
    buyer, supplier = reference(order.unit), reference(order.supplier)
    contract = {
        "id": order.number,
        "awardID": f"{order.number}-award",
        "title": order.number,
        "status": CONTRACT_STATUS[order.status],
        "value": money(order.total),
        "items": items,
        "dateSigned": timestamp(order.placed_at),
        "period": _period(order),
    }
    implementation = {}
    transactions = _transactions(order, buyer, supplier)
    if transactions:
        implementation["transactions"] = transactions
    if order.documents:
        implementation["documents"] = [_document(document, verify_base) for document in order.documents]
    tag = ["tender", "award", "contract"]
    if implementation:
        contract["implementation"] = implementation
        tag.append("implementation")
    if order.status in (OrderStatus.closed, OrderStatus.cancelled):
        tag.append("contractTermination")
    return {
        "ocid": f"{prefix}-{order.number}",
        "id": f"{order.number}-{changed:%Y%m%dT%H%M%SZ}",
        "date": timestamp(changed),
        "tag": tag,
        "initiationType": "tender",
        "language": LANGUAGE,
        "parties": [
            _party(order.unit, ["buyer", "procuringEntity", "payer"]),
            _supplier_party(order.supplier),
        ],
        "buyer": buyer,
        "planning": {"budget": _budget(order)},
        "tender": {
            "id": f"{order.number}-tender",
            "status": "complete",
            "procuringEntity": buyer,
            "items": items,
            "value": money(order.total),
            "procurementMethod": "direct",
            "procurementMethodDetails": f"在{platform}网上直购（电子卖场直接采购）",
            "mainProcurementCategory": "goods",
        },
        "awards": [
            {
                "id": f"{order.number}-award",
                "status": "cancelled" if order.status == OrderStatus.cancelled else "active",
                "date": timestamp(order.placed_at),
                "value": money(order.total),
                "suppliers": [supplier],
                "items": items,
            }
        ],
        "contracts": [contract],
    }


def _party(organisation: Organisation, roles: list[str]) -> dict:
    return {
        "id": party_id(organisation),
        "name": organisation.name,
        "identifier": {"scheme": SCHEME, "id": organisation.credit_code, "legalName": organisation.name},
        "address": {"region": organisation.region, "countryName": "中国"},
        "roles": roles,
    }


def _supplier_party(supplier: Organisation) -> dict:
    party = _party(supplier, ["supplier", "payee"])
    scale = SCALES.get(supplier.kind)
    if scale is not None:
        party["details"] = {"scale": scale}
    return party


def _item(line) -> dict:
    return {
        "id": str(line.id),
        "description": f"{line.product_name} {line.spec}".strip(),
        "quantity": line.quantity,
        "unit": {"name": line.unit, "value": money(line.unit_price)},
    }


def _period(order: OrderRow) -> dict:
    period = {"startDate": timestamp(order.placed_at)}
    end = order.closed_at or order.cancelled_at
    if end is not None:
        period["endDate"] = timestamp(end)
    return period


def _budget(order: OrderRow) -> dict:
    year = order.budget_year
    filing: BudgetRow | None = order.budget
    budget = {"id": f"{order.unit.credit_code}-{year}", "project": f"{year}年度脱贫地区农副产品预留份额"}
    if filing is None:
        budget["description"] = f"{order.unit.name}{year}年度预留份额：未填报"
        return budget
    budget["description"] = (
        f"{order.unit.name}{year}年度预留份额（{_CANTEEN[filing.canteen_status]}），"
        f"填报第{filing.version}版，{_FILING_STATUS.get(filing.status, '')}"
    )
    budget["amount"] = money(filing.reserved_amount)
    budget["projectID"] = f"{order.unit.credit_code}-{year}-v{filing.version}"
    return budget


def _transactions(order: OrderRow, buyer: dict, supplier: dict) -> list[dict]:
    transactions = []
    if order.payment is not None:
        transactions.append(
            {
                "id": f"{order.number}-payment",
                "date": day(order.payment.paid_on),
                "value": money(order.payment.amount),
                "payer": buyer,
                "payee": supplier,
            }
        )
    for refund in order.refunds:
        transactions.append(
            {
                "id": f"{order.number}-refund-{refund.id}",
                "date": day(refund.settled_on),
                "value": money(refund.amount),
                "payer": supplier,
                "payee": buyer,
            }
        )
    return transactions


def _document(document: DocumentRow, verify_base: str) -> dict:
    title = _KIND_TITLES[document.kind]
    return {
        "id": document.number,
        "documentType": "financialProgressReport",
        "title": f"{title} {document.number}",
        "description": f"{title}，金额 {document.total:.2f} 元",
        "url": f"{verify_base}/verify/{document.verify_code}",
        "datePublished": timestamp(document.issued_at),
        "format": "text/html",
        "language": LANGUAGE,
    }
