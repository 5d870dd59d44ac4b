"""Product pictures: checked by content, re-encoded, resized, limited in size and number, served safely."""

import os
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from accounts.models import Role
from shop.catalogue import images, products
from shop.catalogue.models import ProductImage, ProductStatus
from shop.catalogue.products import ProductError
from shop.extensions import db


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


@pytest.fixture
def seller(users):
    return users[Role.supplier]


@pytest.fixture
def draft(seller, make_product):
    return make_product(supplier=seller.supplier, status=ProductStatus.draft)


def picture(format="PNG", size=(1600, 900), mode="RGB", **save) -> bytes:
    out = BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(out, format, **save)
    return out.getvalue()


def stored(folder, name) -> Image.Image:
    image = Image.open(folder / name)
    image.load()
    return image


def test_a_real_png_is_accepted_resized_and_given_a_thumbnail(seller, draft, upload_folder):
    (image,) = images.add_images(seller, draft, [("photo.png", BytesIO(picture("PNG")))])
    assert image.content_type == "image/png"
    assert "photo" not in image.filename and image.filename.endswith(".png")
    display, thumbnail = stored(upload_folder, image.filename), stored(upload_folder, image.thumbnail)
    assert (display.format, display.size) == ("PNG", (1200, 675))
    assert (thumbnail.format, thumbnail.size) == ("PNG", (320, 180))


def test_a_jpeg_is_re_encoded_without_its_exif(seller, draft, upload_folder):
    exif = Image.Exif()
    exif[0x010F] = "Secret camera"  # Make
    exif[0x0112] = 6  # Orientation: rotated; applied to the pixels, then dropped
    data = picture("JPEG", size=(400, 200), exif=exif.tobytes())
    (image,) = images.add_images(seller, draft, [("IMG_0001.JPG", BytesIO(data))])
    display = stored(upload_folder, image.filename)
    assert image.content_type == "image/jpeg"
    assert display.format == "JPEG"
    assert dict(display.getexif()) == {}
    assert display.size == (200, 400)
    assert os.path.exists(upload_folder / image.thumbnail)


def test_webp_with_transparency_is_accepted(seller, draft):
    (image,) = images.add_images(seller, draft, [("a.webp", BytesIO(picture("WEBP", mode="RGBA")))])
    assert image.content_type == "image/webp"


def test_a_text_file_named_png_is_refused(seller, draft, upload_folder):
    with pytest.raises(ProductError) as refused:
        images.add_images(seller, draft, [("evil.png", BytesIO(b"<script>alert(1)</script>"))])
    assert refused.value.field == "images"
    assert not upload_folder.exists() or os.listdir(upload_folder) == []


def test_a_gif_is_refused_whatever_its_name(seller, draft):
    out = BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(ProductError):
        images.add_images(seller, draft, [("a.jpg", BytesIO(out.getvalue()))])


def test_a_truncated_picture_is_refused(seller, draft):
    data = picture("JPEG", size=(800, 800), quality=95)
    with pytest.raises(ProductError):
        images.add_images(seller, draft, [("a.jpg", BytesIO(data[: len(data) // 2]))])


def test_a_sixth_picture_is_refused(seller, draft):
    images.add_images(seller, draft, [(f"{n}.png", BytesIO(picture(size=(50, 50)))) for n in range(5)])
    with pytest.raises(ProductError):
        images.add_images(seller, draft, [("6.png", BytesIO(picture(size=(50, 50))))])
    assert len(draft.images) == 5


def test_a_picture_larger_than_the_limit_is_refused(app, seller, draft, monkeypatch):
    monkeypatch.setitem(app.config, "PRODUCT_IMAGE_MAX_BYTES", 1000)
    # Noise does not compress: the PNG is well over the limit.
    big = Image.effect_noise((300, 300), 64).convert("RGB")
    out = BytesIO()
    big.save(out, "PNG")
    assert len(out.getvalue()) > 1000
    with pytest.raises(ProductError):
        images.add_images(seller, draft, [("big.png", BytesIO(out.getvalue()))])


def test_too_many_pixels_are_refused_before_decoding(seller, draft, monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)
    with pytest.raises(ProductError):
        images.add_images(seller, draft, [("a.png", BytesIO(picture(size=(101, 100))))])


def test_the_form_uploads_pictures_and_refuses_a_sixth(client, seller, draft, login_as):
    login_as(seller)
    files = [(BytesIO(picture(size=(60, 60))), f"{n}.png") for n in range(6)]
    client.post("/lang/en")
    response = client.post(
        f"/supplier/products/{draft.id}",
        data={**_form(draft), "images": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "at most 5 pictures" in response.text
    assert db.session.scalars(select(ProductImage.id)).all() == []
    files = [(BytesIO(picture(size=(60, 60))), f"{n}.png") for n in range(2)]
    response = client.post(
        f"/supplier/products/{draft.id}",
        data={**_form(draft), "images": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert len(db.session.scalars(select(ProductImage.id)).all()) == 2


def test_a_refused_upload_leaves_no_files_behind(client, seller, draft, login_as, upload_folder):
    login_as(seller)
    files = [(BytesIO(picture(size=(60, 60))), "ok.png")]
    # The picture is fine but the price is not: the transaction rolls back, and the files with it.
    client.post(
        f"/supplier/products/{draft.id}",
        data={**_form(draft), "price": "x", "images": files},
        content_type="multipart/form-data",
    )
    assert db.session.scalars(select(ProductImage.id)).all() == []
    assert not upload_folder.exists() or os.listdir(upload_folder) == []


def test_removing_a_picture_deletes_its_files_after_the_commit(
    client, seller, draft, login_as, upload_folder
):
    (image,) = images.add_images(seller, draft, [("a.png", BytesIO(picture(size=(60, 60))))])
    db.session.commit()
    login_as(seller)
    response = client.post(f"/supplier/products/{draft.id}", data={**_form(draft), "remove_image": image.id})
    assert response.status_code == 302
    assert db.session.scalars(select(ProductImage.id)).all() == []
    assert os.listdir(upload_folder) == []


def test_a_new_picture_sends_a_listed_product_back_to_review(seller, make_product):
    product = make_product(supplier=seller.supplier)
    images.add_images(seller, product, [("a.png", BytesIO(picture(size=(60, 60))))])
    assert product.status == ProductStatus.pending


def test_the_image_view_sends_the_right_type_with_nosniff(client, users, seller, make_product, login_as):
    product = make_product(supplier=seller.supplier)
    (image,) = images.add_images(seller, product, [("a.jpg", BytesIO(picture("JPEG", size=(60, 60))))])
    products.apply_transition(users[Role.operator], product, "approve")
    db.session.commit()
    login_as(users[Role.purchaser])
    for url in (f"/supplier/products/images/{image.id}", f"/supplier/products/images/{image.id}?size=thumb"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "public" not in response.headers.get("Cache-Control", "")
        assert Image.open(BytesIO(response.data)).format == "JPEG"


def test_a_buyer_cannot_see_the_pictures_of_a_product_not_on_sale(client, users, seller, draft, login_as):
    (image,) = images.add_images(seller, draft, [("a.png", BytesIO(picture(size=(60, 60))))])
    db.session.commit()
    login_as(users[Role.purchaser])
    assert client.get(f"/supplier/products/images/{image.id}").status_code == 404
    assert client.get("/supplier/products/images/999999").status_code == 404


def _form(product) -> dict:
    return {
        "category_id": product.category_id,
        "name": product.name,
        "spec": product.spec,
        "unit": product.unit,
        "price": str(product.price),
        "market_price": "",
        "stock": str(product.stock),
        "min_order_quantity": str(product.min_order_quantity),
        "origin_region_id": product.origin_region_id,
        "description": product.description or "",
        "action": "save",
    }
