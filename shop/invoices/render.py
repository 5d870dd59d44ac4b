"""PDF documents with WeasyPrint: invoices and credit notes, delivery notes (送货单) and acceptance
certificates (验收单).

Templates in ``templates/shop/invoices/`` are fed plain data (dicts of strings and numbers, never ORM
objects), so what a document prints is exactly what its caller put in the dict, and the same dict gives the
same PDF: the creation date in the PDF's metadata is the document's own date, never the clock, and no file
identifier is written. The only resources a document may load are the app's own static files
(``StaticFilesOnly``); anything else (another host, a data: URL, a file elsewhere on disk) is refused.

Documents are in Chinese whatever the reader's interface language: they are official records, and their
content (hence the stored SHA-256 of an invoice) must not depend on who downloads them or on later edits of
the translation catalogues. The CJK font is named explicitly (``static/css/documents.css``) and the pages
say ``lang="zh-CN"``; otherwise the fonts' Japanese glyph variants would be picked.
"""

import hashlib
import os
import threading
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from flask import current_app
from PIL import ImageFile
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from shop.money import capital_yuan, format_yuan

# Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process; the catalogue relies
# on Pillow refusing a truncated upload (shop/catalogue/images.py), and documents load no pictures but the
# app's own static files. Pillow's default again (weasyprint.images, which sets it, is imported above).
ImageFile.LOAD_TRUNCATED_IMAGES = False

TEMPLATES = "shop/invoices/"

#: What a static file is served as (WeasyPrint checks a stylesheet's type).
_TYPES = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}


_local = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, reused by every document it renders: building it reads the
    system's font list, about a third of a small document's time (measured: 141 → 102 ms per invoice)."""
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


class ResourceRefused(ValueError):
    """A document asked for something outside the app's static files."""


class StaticFilesOnly(URLFetcher):
    """A URL fetcher that serves files below ``root`` (the app's static folder) and refuses the rest."""

    def __init__(self, root: str | Path):
        super().__init__(allowed_protocols=("file",))
        self.root = Path(root).resolve()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"documents load only the app's static files, not {url[:80]!r}")
        path = Path(unquote(parts.path)).resolve()  # resolves "..": no way out of the folder
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ResourceRefused(f"documents load only the app's static files, not {url[:80]!r}")
        content_type = _TYPES.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(path2url(str(path)), path.read_bytes(), {"Content-Type": content_type})


def render_pdf(template: str, document: dict, *, created: date | datetime) -> bytes:
    """The PDF of ``templates/shop/invoices/<template>`` filled with ``document`` (plain data).

    ``created`` goes into the PDF's metadata (the document's date), so rendering is repeatable.
    """
    if isinstance(created, datetime):  # stored times are naive UTC
        created_text = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:  # a Beijing calendar date
        created_text = f"{created.isoformat()}T00:00:00+08:00"
    html = current_app.jinja_env.get_template(TEMPLATES + template).render(
        doc=document, created=created_text, yuan=format_yuan, capitals=capital_yuan
    )
    static = current_app.static_folder
    return HTML(
        string=html, base_url=path2url(static + os.sep), url_fetcher=StaticFilesOnly(static)
    ).write_pdf(font_config=_font_config())


def qr_svg(text: str) -> str:
    """An inline SVG QR code of ``text`` (error correction M: survives a smudged printout)."""
    return segno.make(text, error="m", micro=False).svg_inline(scale=2, border=0, omitsize=True)


def invoice_pdf(snapshot: dict) -> bytes:
    """The PDF of an invoice or credit note from its snapshot (``shop.invoices.services`` builds it)."""
    return render_pdf(
        "invoice.html",
        {**snapshot, "qr": qr_svg(snapshot["verify_url"])},
        created=date.fromisoformat(snapshot["issued_on"]),
    )


def delivery_note_pdf(document: dict) -> bytes:
    """送货单: what goes with the goods (``shop.invoices.documents.order_document``)."""
    return render_pdf("delivery_note.html", document, created=date.fromisoformat(document["placed_on"]))


def acceptance_pdf(document: dict) -> bytes:
    """验收单: the buyer's record of accepting the goods (``shop.invoices.documents.order_document``)."""
    created = document["received_on"] or document["placed_on"]
    return render_pdf("acceptance.html", document, created=date.fromisoformat(created))


def sha256(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()
