"""Login, logout, activation (first password) and password change."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from accounts import login_limit, policy, services
from accounts.forms import ChangePasswordForm, LoginForm, NewPasswordForm
from shop.extensions import db

bp = Blueprint("auth", __name__)


@bp.record_once
def _name_audit_actions(_state) -> None:
    from accounts.views.audit import register_labels

    register_labels(
        actions={
            "account.login_address_blocked": _l("Logins refused from a client address after many failures")
        }
    )


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@policy.public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            # The client's address as ProxyFix established it from PROXY_COUNT trusted proxies (shop/app.py).
            address = request.remote_addr or "unknown"
            user = services.authenticate(form.username.data, form.password.data, address=address)
        except login_limit.AddressThrottled as error:
            db.session.rollback()  # nothing was checked, nothing recorded
            flash(error.translated(), "error")
            return render_template("accounts/login.html", form=form), 429
        except services.LoginRefused as error:
            db.session.commit()  # keep the failure count and any lock
            flash(error.translated(), "error")
            return render_template("accounts/login.html", form=form), 200
        db.session.commit()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        login_user(user)
        if user.must_change_password:
            return redirect(url_for("auth.activate"))
        return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@policy.signed_in
@policy.before_activation
def logout():
    services.record_logout(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/activate", methods=["GET", "POST"])
@policy.signed_in
@policy.before_activation
def activate():
    """First login, or after a reset: the owner replaces the password someone else set."""
    if not current_user.must_change_password:
        return redirect(url_for("home.index"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_own_password(current_user, form.password.data)
        except services.AccountError as error:
            db.session.rollback()
            flash(error.translated(), "error")
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # the session id follows the new hash
            flash(_("Your password is set and your account is active."), "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/activate.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@policy.signed_in
def change_password():
    """The owner changes the password. A wrong current password counts toward the lockout as at login (the
    count is committed); the failure that locks the account also ends this session."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.set_own_password(
                current_user._get_current_object(), form.password.data, current_password=form.current.data
            )
        except services.LoginRefused as error:
            db.session.commit()  # keep the failure count and any lock
            if error.locked:
                logout_user()
                session.clear()
                flash(error.translated(), "error")
                return redirect(url_for("auth.login"))
            flash(error.translated(), "error")
        except services.AccountError as error:
            db.session.rollback()
            flash(error.translated(), "error")
        else:
            db.session.commit()
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/lang/<code>", methods=["POST"])
@policy.public
@policy.before_activation
def set_language(code: str):
    if code in ("zh", "en"):
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))
