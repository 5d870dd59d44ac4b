"""The checks of one new account's name, username and phone, shared by every way of opening accounts.

A purchaser opened by its manager (one or from a sheet) and a unit's manager account registered with its
unit (one or from a sheet) are checked here, so the same mistake gets the same message everywhere. Only
the format is checked; whether a username is taken needs the database and is asked by the callers in bulk.
(``accounts.services.create_user`` still repeats the username and phone checks as its last line of defence.)
"""

from dataclasses import dataclass

from accounts.validators import is_valid_phone, is_valid_username
from shop.common import N_

NAME_MAX_LENGTH = 64  # User.name is String(64)


@dataclass(frozen=True)
class Problem:
    #: Which value is at fault: ``name``, ``username`` or ``phone`` (callers map it to their own column).
    field: str
    #: An English msgid; ``params`` fill it in.
    message: str
    params: dict


def normalise_account(name: str | None, username: str | None, phone: str | None) -> tuple[str, str, str]:
    """Strip the values; phones lose the spaces people type into them (138 0013 8000)."""
    return (name or "").strip(), (username or "").strip(), "".join((phone or "").split())


def account_problems(name: str, username: str, phone: str, *, phone_required: bool = True) -> list[Problem]:
    """What is wrong with one account's (normalised) data, without asking the database; empty if nothing.

    The name and username are always required; the phone only when ``phone_required`` (a unit manager's
    may be left empty), but one that is given must be valid.
    """
    problems = []
    if not name:
        problems.append(Problem("name", N_("The name is required."), {}))
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(
            Problem("name", N_("The name is longer than %(max)d characters."), {"max": NAME_MAX_LENGTH})
        )
    if not username:
        problems.append(Problem("username", N_("The username is required."), {}))
    elif not is_valid_username(username):
        problems.append(
            Problem(
                "username",
                N_("The username %(username)s must be 3 to 64 letters, digits, dots, dashes or underscores."),
                {"username": username},
            )
        )
    if not phone:
        if phone_required:
            problems.append(Problem("phone", N_("The phone number is required."), {}))
    elif not is_valid_phone(phone):
        problems.append(Problem("phone", N_("The phone number %(phone)s is not valid."), {"phone": phone}))
    return problems
