"""Buyers' favourites: a personal list of products to find again, kept per user."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from accounts.models import User
from shop.catalogue.browse import MAX_ID, PAGE_SIZE
from shop.catalogue.models import Favourite, Product
from shop.common import N_, DomainError
from shop.extensions import db


class FavouriteError(DomainError):
    pass


def is_favourite(user: User, product: Product) -> bool:
    return (
        db.session.scalar(
            select(Favourite.id).where(Favourite.user_id == user.id, Favourite.product_id == product.id)
        )
        is not None
    )


def add_favourite(user: User, product: Product) -> None:
    """Keep ``product`` in the user's favourites (nothing happens if it is there already).

    A personal bookmark, like a read notice: not audited.

    :raise FavouriteError: the product is not on sale.
    """
    if not product.is_buyable:
        raise FavouriteError(N_("Only products on sale can be kept as favourites."))
    if is_favourite(user, product):
        return
    try:
        # A second click racing the first meets the unique constraint: the favourite is there either way.
        with db.session.begin_nested():
            db.session.add(Favourite(user_id=user.id, product_id=product.id))
    except IntegrityError:
        pass


def remove_favourite(user: User, product_id: int) -> None:
    """Drop a product from the user's favourites (only the user's own; nothing happens if absent)."""
    if not 0 < product_id <= MAX_ID:
        return
    db.session.execute(
        delete(Favourite).where(Favourite.user_id == user.id, Favourite.product_id == product_id)
    )


def favourites_page(user: User, before_id: int | None = None) -> tuple[list[Favourite], int | None]:
    """The user's favourites, newest first, and the ``before_id`` of the next page (None if last).

    Products no longer on sale stay in the list (``product.is_buyable`` tells), so the buyer can drop them.
    """
    statement = (
        select(Favourite)
        .join(Favourite.product)
        .join(Product.supplier)
        .options(
            contains_eager(Favourite.product).contains_eager(Product.supplier),
            contains_eager(Favourite.product).joinedload(Product.origin_region),
            contains_eager(Favourite.product).selectinload(Product.images),
        )
        .where(Favourite.user_id == user.id)
    )
    if before_id:
        statement = statement.where(Favourite.id < before_id)
    rows = db.session.scalars(statement.order_by(Favourite.id.desc()).limit(PAGE_SIZE + 1)).all()
    next_before = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    return rows[:PAGE_SIZE], next_before
