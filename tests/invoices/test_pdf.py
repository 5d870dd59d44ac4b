"""The PDFs: real Chinese text (read back with pdftotext), the amount in capital numerals, repeatable bytes,
and a URL fetcher that lets a document load nothing but the app's static files."""

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from weasyprint.urls import path2url

from accounts.models import Role
from shop.extensions import db
from shop.invoices import render
from shop.invoices.documents import order_document
from shop.invoices.services import issue_credit_note, issue_invoice, pdf_of
from tests.invoices.conftest import TODAY, pdf_text


def squeeze(text: str) -> str:
    """The text without spaces and line breaks (layout puts them between table cells)."""
    return "".join(text.split())


def test_the_invoice_pdf_holds_its_chinese_text_and_capital_numerals(paid_order, seller):
    order = paid_order()
    invoice = issue_invoice(order, seller, TODAY)
    text = pdf_text(pdf_of(invoice))
    flat = squeeze(text)
    for words in (
        "发票",
        "发票号码FP2026-000001",
        "开票日期2026-11-20",
        f"订单号{order.number}",
        "付款日期2026-11-02",
        "购买方",
        "销售方",
        order.unit.name,
        order.unit.credit_code,
        seller.supplier.name,
        "岢岚小米",
        "临县红枣",
        "¥617.24",
        "合计（大写）：陆佰陆拾柒元贰角肆分",
        "¥667.24",
        invoice.verify_code,
        invoice.snapshot["verify_url"],
    ):
        assert squeeze(words) in flat, words
    assert "红字" not in flat


def test_a_credit_note_says_so_and_shows_negative_amounts(paid_order, seller, refund_of):
    order = paid_order()
    invoice = issue_invoice(order, seller, TODAY)
    note = issue_credit_note(refund_of(order, "12.50"), seller, TODAY)
    flat = squeeze(pdf_text(pdf_of(note)))
    for words in (
        "红字发票",
        "HC2026-000002",
        f"原发票号码{invoice.number}",
        "-¥12.50",
        "负壹拾贰元伍角整",
        "一袋受潮",
    ):
        assert words in flat, words


def test_rendering_an_invoice_again_gives_the_same_bytes(paid_order, seller):
    invoice = issue_invoice(paid_order(), seller, TODAY)
    db.session.commit()
    first, second = pdf_of(invoice), render.invoice_pdf(dict(invoice.snapshot))
    assert first == second
    assert render.sha256(first) == invoice.pdf_sha256


def test_the_page_is_a4_in_the_simplified_chinese_font(paid_order, seller, tmp_path):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf_of(issue_invoice(paid_order(), seller, TODAY)))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    # the simplified-Chinese face (not the Japanese one Noto would pick without lang and the name), embedded
    assert "Noto-Sans-CJK-SC" in fonts and "CJK-JP" not in fonts
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    assert "(A4)" in info


def test_the_delivery_note_and_the_acceptance_certificate(paid_order, users):
    order = paid_order()
    order.carrier, order.tracking_number = "顺丰速运", "SF1234567890"
    order.received_at, order.acceptance_note = datetime(2026, 11, 5, 3, 0), "数量规格相符，包装完好。"
    document = order_document(order, full_phone=False)
    delivery = squeeze(pdf_text(render.delivery_note_pdf(document)))
    for words in (
        "送货单",
        order.number,
        "收货单位",
        order.unit.name,
        "供货单位",
        "岢岚小米",
        "顺丰速运",
        "138****8000",
    ):
        assert words in delivery, words
    assert "13800138000" not in delivery
    acceptance = squeeze(pdf_text(render.acceptance_pdf(order_document(order, full_phone=True))))
    for words in (
        "验收单",
        "验收日期2026-11-05",
        "验收意见：数量规格相符，包装完好。",
        "陆佰陆拾柒元贰角肆分",
        users[Role.purchaser].name,
    ):
        assert words in acceptance, words


# --- the URL fetcher --------------------------------------------------------------------------------------


@pytest.fixture
def fetcher(app):
    return render.StaticFilesOnly(app.static_folder)


def test_the_fetcher_serves_the_apps_static_files(app, fetcher):
    response = fetcher.fetch(path2url(str(Path(app.static_folder) / "css" / "documents.css")))
    assert response.content_type == "text/css"
    assert b"Noto Sans CJK SC" in response.read()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/logo.png",
        "https://127.0.0.1/static/css/site.css",
        "ftp://example.org/x",
        "data:text/css,body{color:red}",
        "file:///etc/passwd",
        "file://otherhost/static/css/site.css",
    ],
)
def test_the_fetcher_refuses_everything_else(fetcher, url):
    with pytest.raises(render.ResourceRefused):
        fetcher.fetch(url)


def test_the_fetcher_refuses_a_way_out_of_the_static_folder(app, fetcher):
    escape = path2url(app.static_folder + "/css/../../shop/config.py")
    with pytest.raises(render.ResourceRefused):
        fetcher.fetch(escape)


def test_a_document_asking_for_an_outside_resource_renders_without_it(app, monkeypatch):
    """A template that (by mistake or injection) refers to another host: the PDF is made, nothing fetched."""
    asked = []
    original = render.StaticFilesOnly.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(render.StaticFilesOnly, "fetch", spy)
    template = app.jinja_env.from_string(
        '<html lang="zh-CN"><body><img src="http://example.org/x.png">正文</body></html>'
    )
    monkeypatch.setattr(app.jinja_env, "get_template", lambda name: template)
    pdf = render.render_pdf("any.html", {}, created=TODAY)
    assert "正文" in pdf_text(pdf)
    assert asked == ["http://example.org/x.png"]


def test_weasyprint_leaves_pillow_refusing_truncated_pictures(app):
    """WeasyPrint switches Pillow's LOAD_TRUNCATED_IMAGES on when imported; product uploads need it off."""
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
