"""The account's personal API tokens (/account/tokens): create one (shown once), list, revoke.

The token services are ``accounts.tokens``; the API (``api.auth``) authenticates requests with them. Every
role may hold tokens; the API then applies the role's own rules.
"""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from accounts import policy
from accounts.models.security import ApiToken
from accounts.tokens import TokenError, create_token, revoke_token, tokens_of
from shop.extensions import db

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("What the token is for, e.g. the program that uses it."),
    )


@bp.route("/", methods=["GET", "POST"])
@policy.signed_in
def index():
    """The user's tokens; a POST creates one and shows it this once (never stored, never in the session)."""
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            _row, created = create_token(current_user._get_current_object(), form.name.data)
        except TokenError as error:
            db.session.rollback()
            flash(error.translated(), "error")
        else:
            db.session.commit()
            flash(_("API token created. Copy it now: it will not be shown again."), "success")
            form = TokenForm(formdata=None)
    response = make_response(
        render_template("accounts/tokens.html", form=form, tokens=tokens_of(current_user), created=created)
    )
    if created:
        response.headers["Cache-Control"] = "no-store"  # the token must not stay in any cache
    return response


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@policy.signed_in
def revoke(token_id: int):
    """Revoke one of the user's own tokens (another's: 404)."""
    # An id beyond the column's range names nothing (PostgreSQL would refuse to compare it).
    token = db.session.get(ApiToken, token_id) if token_id <= 2**31 - 1 else None
    if token is None or token.user_id != current_user.id:
        abort(404)
    try:
        revoke_token(current_user._get_current_object(), token)
    except TokenError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(_("The token %(name)s is revoked.", name=token.name), "success")
    return redirect(url_for("tokens.index"))
