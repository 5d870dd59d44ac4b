"""Photos attached to a return request: checked by their content, re-encoded, stored under random names.

The upload's file name and content type are trusted for nothing: Pillow must recognise the bytes as a
JPEG, PNG or WebP picture and verify them. The picture is then decoded and encoded again, which drops EXIF
(a phone photo's GPS position among it) and anything appended to the file. Written files follow the
transaction: those written by a transaction that does not commit are removed again.
"""

import contextlib
import os
import secrets
import warnings
from dataclasses import dataclass
from io import BytesIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from shop.common import N_, DomainError
from shop.extensions import db

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 1600
#: Larger pictures are refused before they are decoded (a small file can hold a huge image).
MAX_PIXELS = 40_000_000
#: Pillow's format name → the content type served and the stored file's extension.
FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
#: The subfolder of the upload folder holding return photos.
SUBFOLDER = "returns"
_WRITTEN = "return_photo_files_written"


@dataclass(frozen=True)
class CheckedPhoto:
    content_type: str
    extension: str
    data: bytes


def folder() -> str:
    """``UPLOAD_FOLDER`` (or ``uploads`` in the instance folder), subfolder ``returns``."""
    base = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
    return os.path.join(base, SUBFOLDER)


def check(name: str, data: bytes) -> CheckedPhoto:
    """The photo re-encoded, or :raise DomainError: (field ``photos``) when it is too large, not a JPEG,
    PNG or WebP picture, or damaged."""
    from shop.aftersales.services import AftersalesError  # services imports this module

    shown = (name or "")[-80:]
    if len(data) > MAX_BYTES:
        raise AftersalesError(
            N_("The photo %(name)s is larger than %(size)s MB."),
            "photos",
            name=shown,
            size=f"{MAX_BYTES / 2**20:g}",
        )
    refused: DomainError = AftersalesError(
        N_("The file %(name)s is not a JPEG, PNG or WebP picture."), "photos", name=shown
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as probe:
                detected, (width, height) = probe.format, probe.size
                probe.verify()
            if detected not in FORMATS or width * height > MAX_PIXELS:
                raise refused
            with Image.open(BytesIO(data)) as picture:
                picture.seek(0)  # an animated picture keeps its first frame
                upright = ImageOps.exif_transpose(picture)
                plain = upright.convert("RGB" if detected == "JPEG" else "RGBA")
                plain.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                # Built from the pixels alone: no EXIF, profile, text chunks or comments come along.
                clean = Image.frombytes(plain.mode, plain.size, plain.tobytes())
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refused from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise refused from None  # truncated or corrupt data: Pillow reports it with any of these
    out = BytesIO()
    clean.save(out, detected, **({"quality": 85} if detected != "PNG" else {}))
    content_type, extension = FORMATS[detected]
    return CheckedPhoto(content_type, extension, out.getvalue())


def write(photo: CheckedPhoto) -> str:
    """Store ``photo`` under a new random name (returned); removed again if the transaction rolls back."""
    filename = secrets.token_hex(16) + photo.extension
    path = os.path.join(folder(), filename)
    os.makedirs(folder(), exist_ok=True)
    with open(path, "xb") as file:  # "x": never overwrite another photo
        file.write(photo.data)
    db.session().info.setdefault(_WRITTEN, []).append(path)
    return filename


@event.listens_for(Session, "after_commit")
def _keep_after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_after_rollback(session: Session, transaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    # The outermost transaction ended without a commit (which would have emptied the list).
    for path in session.info.pop(_WRITTEN, None) or []:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
