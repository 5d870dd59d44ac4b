"""A month of documents: the list a user may see, and the ZIP a finance bureau downloads for a budget unit or
a county (every invoice and credit note issued to its units that month, with a CSV index).

The ZIP is streamed: the documents' kept PDFs are read a batch at a time and each is sent as soon as it is
compressed, so memory stays at one batch whatever the month holds, and the first bytes leave at once. The
list of documents is read in one query before streaming starts.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.models import BudgetUnit, Region, User
from accounts.models.orgs import subtree_select
from shop import policy
from shop.common import newest_first_page
from shop.extensions import db
from shop.invoices.models import Invoice
from shop.invoices.services import remade_pdf, stored_pdfs

PAGE_SIZE = 50
#: Kept PDFs read per query while a ZIP streams (~40 KB each).
PDF_BATCH = 50
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None) -> "Month | None":
        """``2026-11`` → Month(2026, 11); None for anything else."""
        match = _MONTH.match((text or "").strip())
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            return None
        return cls(int(match[1]), int(match[2]))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


def visible_documents(
    user: User,
    *,
    month: Month | None = None,
    unit: BudgetUnit | None = None,
    county: Region | None = None,
):
    """A select of the documents ``user`` may download, optionally of one month (by date of issue), one
    budget unit, or the units of one county (and the regions below it)."""
    query = select(Invoice)
    scope = policy.invoice_scope(user)
    if scope is not None:
        query = query.where(scope)
    if month is not None:
        query = query.where(Invoice.issued_on >= month.first_day, Invoice.issued_on < month.next_first_day)
    if unit is not None:
        query = query.where(Invoice.unit_id == unit.id)
    if county is not None:
        # A CTE of its own name: a finance bureau's scope is another region subtree in the same query.
        county_regions = subtree_select(Region, county.id, name="chosen_county")
        query = query.where(
            Invoice.unit_id.in_(select(BudgetUnit.id).where(BudgetUnit.region_id.in_(county_regions)))
        )
    return query


def document_page(
    user: User, before: int | None, size: int = PAGE_SIZE, **filters
) -> tuple[list, int | None]:
    """One page of ``visible_documents``, newest first, with seller and buyer (one query)."""
    query = visible_documents(user, **filters).options(joinedload(Invoice.supplier), joinedload(Invoice.unit))
    return newest_first_page(query, Invoice, before, size)


def month_documents(user: User, month: Month, *, unit=None, county=None, limit: int) -> list[Invoice]:
    """The month's documents for the archive, in number order, at most ``limit`` + 1 (the caller refuses a
    month over the limit). One query; the PDFs need only the snapshots."""
    query = visible_documents(user, month=month, unit=unit, county=county)
    return list(db.session.scalars(query.order_by(Invoice.supplier_id, Invoice.id).limit(limit + 1)))


class _Chunks(io.RawIOBase):
    """A write-only stream whose written bytes are taken away in chunks (zipfile writes, we yield)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def stream_zip(documents: list[dict]) -> Iterator[bytes]:
    """The ZIP of the documents given as plain dicts (``archive_entries``): one PDF per document, named by
    its number and supplier, and ``index.csv`` listing them with the SHA-256 recorded when each was issued.
    Yields it piece by piece; reads the kept PDFs a batch at a time (so it runs inside the request's context:
    ``stream_with_context``)."""
    sink = _Chunks()
    rows = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for start in range(0, len(documents), PDF_BATCH):
            batch = documents[start : start + PDF_BATCH]
            kept = stored_pdfs([document["id"] for document in batch])
            for document in batch:
                pdf = kept.pop(document["id"], None) or remade_pdf(
                    document["id"], document["row"][0], document["snapshot"], document["row"][-1]
                )
                info = zipfile.ZipInfo(document["filename"], date_time=document["date_time"])
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, pdf)
                rows.append(document["row"])
                yield sink.take()
        index = io.StringIO()
        writer = csv.writer(index)
        writer.writerow(
            [
                "number",
                "kind",
                "issued_on",
                "order",
                "seller",
                "buyer",
                "buyer_credit_code",
                "total",
                "sha256",
            ]
        )
        writer.writerows(rows)
        # UTF-8 with a byte-order mark: what spreadsheet programs in China open without garbling.
        archive.writestr("index.csv", "\ufeff" + index.getvalue())
    yield sink.take()


def archive_entries(invoices: list[Invoice]) -> list[dict]:
    """Plain data for ``stream_zip``, read from the documents before the response streams."""
    entries = []
    for invoice in invoices:
        snapshot = invoice.snapshot
        entries.append(
            {
                "id": invoice.id,
                "snapshot": snapshot,
                "filename": invoice.filename,
                "date_time": (
                    invoice.issued_on.year,
                    invoice.issued_on.month,
                    invoice.issued_on.day,
                    0,
                    0,
                    0,
                ),
                "row": [
                    invoice.number,
                    invoice.kind.value,
                    invoice.issued_on.isoformat(),
                    snapshot["order"]["number"],
                    snapshot["seller"]["name"],
                    snapshot["buyer"]["name"],
                    snapshot["buyer"]["credit_code"],
                    snapshot["total"],
                    invoice.pdf_sha256,
                ],
            }
        )
    return entries
