"""Product pictures: checked by their content, re-encoded, resized and stored under random names.

An upload is trusted for nothing: not its file name, not the browser's content type. Pillow must recognise
it as JPEG, PNG or WebP and verify it; it is then decoded and encoded again (which drops EXIF, comments and
anything appended to the file), shrunk to a display size and a thumbnail, and written under names of our
own in the upload folder. Files follow the transaction: written files are removed again when it rolls back,
and removed pictures' files are deleted only once the removal is committed.
"""

import contextlib
import os
import secrets
import warnings
from io import BytesIO
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from accounts import audit
from accounts.models import User
from shop.catalogue import products
from shop.catalogue.models import Product, ProductImage
from shop.common import N_, lock_row
from shop.extensions import db

MAX_IMAGES = 5
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DISPLAY_SIZE = 1200
THUMBNAIL_SIZE = 320
#: Larger pictures are refused before they are decoded (a small file can hold a huge image).
MAX_PIXELS = 40_000_000
#: Pillow's format name → the content type served and the stored file's extension.
FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}

#: Keys in ``Session.info``: files written in the open transaction, and files to delete at its commit.
_WRITTEN = "product_image_files_written"
_DOOMED = "product_image_files_doomed"


def upload_folder() -> str:
    """Where pictures are stored: ``UPLOAD_FOLDER``, or ``uploads`` in the instance folder."""
    return current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")


def max_bytes() -> int:
    return int(current_app.config.get("PRODUCT_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


def add_images(actor: User, product: Product, uploads: list[tuple[str, BinaryIO]]) -> list[ProductImage]:
    """Add pictures (``(file name, stream)`` pairs; the name is only quoted in messages) to ``product``.

    Each is checked, re-encoded and stored; a listed product goes back to review, since what buyers see
    changed. Audits ``product.image_add``.

    :raise ProductError: not the actor's product or supplier not admitted; a picture is not JPEG, PNG or
        WebP, is damaged, too large in bytes or pixels; the product would have more than ``MAX_IMAGES``.
    """
    products.check_seller(actor, product)
    if not uploads:
        return []
    # Two uploads at once must not both pass the count: count under the product's row lock.
    lock_row(product)
    if len(product.images) + len(uploads) > MAX_IMAGES:
        raise products.ProductError(
            N_("A product may have at most %(count)d pictures."), field="images", count=MAX_IMAGES
        )
    # Check every picture before writing any: a refusal leaves nothing behind.
    encoded = [_encode(name, stream) for name, stream in uploads]
    position = max((image.position for image in product.images), default=-1) + 1
    added = []
    for offset, (content_type, extension, display, thumbnail) in enumerate(encoded):
        token = secrets.token_hex(16)
        image = ProductImage(
            product=product,
            position=position + offset,
            filename=_write(f"{token}{extension}", display),
            thumbnail=_write(f"{token}-t{extension}", thumbnail),
            content_type=content_type,
        )
        db.session.add(image)
        added.append(image)
    db.session.flush()
    audit.record(actor, "product.image_add", product, images=[image.id for image in added])
    products.send_back_to_review(actor, product)
    return added


def remove_images(actor: User, product: Product, image_ids: list[int]) -> int:
    """Remove some of ``product``'s pictures (ids of other products' pictures are ignored); returns how
    many. Their files are deleted once this is committed. Audits ``product.image_remove``.

    :raise ProductError: not the actor's product, or supplier not admitted.
    """
    products.check_seller(actor, product)
    wanted = set(image_ids)
    doomed = [image for image in product.images if image.id in wanted]
    if not doomed:
        return 0
    for image in doomed:
        product.images.remove(image)  # delete-orphan: the row goes at the flush
        _delete_at_commit(image.filename, image.thumbnail)
    audit.record(actor, "product.image_remove", product, images=[image.id for image in doomed])
    db.session.flush()
    return len(doomed)


def stored_path(image: ProductImage, thumbnail: bool) -> tuple[str, str]:
    """The folder and stored file name of a picture (names are ours; never a path from the user)."""
    return upload_folder(), image.thumbnail if thumbnail else image.filename


# --- checking and encoding ---------------------------------------------------------------------------------


def _refused(message: str, name: str, **params) -> products.ProductError:
    return products.ProductError(message, field="images", name=name[-80:], **params)


def _encode(name: str, stream: BinaryIO) -> tuple[str, str, bytes, bytes]:
    """(content type, extension, display bytes, thumbnail bytes) of an upload, or :raise ProductError:."""
    limit = max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _refused(
            N_("The picture %(name)s is larger than %(size)s MB."), name, size=f"{limit / 1024 / 1024:g}"
        )
    not_a_picture = _refused(N_("The file %(name)s is not a JPEG, PNG or WebP picture."), name)
    try:
        with warnings.catch_warnings():
            # Pillow only warns about a decompression bomb below twice its limit: make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as probe:
                detected = probe.format
                width, height = probe.size
                probe.verify()
            if detected not in FORMATS:
                raise not_a_picture
            if width * height > MAX_PIXELS:
                raise _refused(N_("The picture %(name)s has too many pixels."), name)
            with Image.open(BytesIO(data)) as picture:
                if picture.format != detected:
                    raise not_a_picture
                display = _shrunk(picture, DISPLAY_SIZE)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise not_a_picture from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Truncated or corrupt data: Pillow reports it with any of these.
        raise not_a_picture from None
    thumbnail = display.copy()
    thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    content_type, extension = FORMATS[detected]
    return content_type, extension, _saved(display, detected), _saved(thumbnail, detected)


def _shrunk(picture: Image.Image, size: int) -> Image.Image:
    """The first frame, upright, in a plain colour mode, at most ``size`` pixels on its longer side, as a
    new image that carries none of the upload's metadata."""
    if picture.format == "JPEG":
        picture.draft("RGB", (size, size))  # decode a large JPEG at a reduced scale: faster, less memory
    picture.seek(0)  # an animated PNG or WebP keeps its first frame only
    upright = ImageOps.exif_transpose(picture)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    plain = upright.convert("RGBA" if has_alpha and picture.format != "JPEG" else "RGB")
    plain.thumbnail((size, size), Image.Resampling.LANCZOS)
    # Built from the pixels alone: no EXIF, ICC profile, text chunks or comments come along.
    return Image.frombytes(plain.mode, plain.size, plain.tobytes())


def _saved(picture: Image.Image, format: str) -> bytes:
    out = BytesIO()
    if format == "JPEG":
        picture.save(out, "JPEG", quality=85, optimize=True)
    elif format == "PNG":
        picture.save(out, "PNG", optimize=True)
    else:
        picture.save(out, "WEBP", quality=85)
    return out.getvalue()


# --- files that follow the transaction ---------------------------------------------------------------------


def _write(filename: str, data: bytes) -> str:
    folder = upload_folder()
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, filename), "xb") as file:  # "x": never overwrite another picture
        file.write(data)
    db.session().info.setdefault(_WRITTEN, []).append(os.path.join(folder, filename))
    return filename


def _delete_at_commit(*filenames: str) -> None:
    folder = upload_folder()
    doomed = db.session().info.setdefault(_DOOMED, [])
    doomed.extend(os.path.join(folder, name) for name in filenames)


def _unlink(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the outer transaction may still roll back
    session.info.pop(_WRITTEN, None)  # kept for good
    _unlink(session.info.pop(_DOOMED, None) or [])


@event.listens_for(Session, "after_transaction_end")
def _files_after_rollback(session: Session, transaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    # The outermost transaction ended without a commit (a commit emptied the list above): the pictures
    # written in it belong to rows that were never kept, and the removals did not happen.
    _unlink(session.info.pop(_WRITTEN, None) or [])
    session.info.pop(_DOOMED, None)
