"""Pure checks of identifiers and passwords, shared by forms, imports and services."""

import re

from shop.common import N_

#: GB 32100-2015: the 31 characters a unified social credit code is written in (no I, O, S, V, Z).
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE = re.compile(rf"^[{CREDIT_CODE_CHARS}]{{18}}$")


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code, from its first 17 (GB 32100-2015, 5.2)."""
    total = sum(
        CREDIT_CODE_CHARS.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    code = (code or "").strip().upper()
    if not _CREDIT_CODE.match(code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def normalise_credit_code(code: str) -> str:
    return (code or "").strip().upper()


def is_valid_region_code(code: str) -> bool:
    """GB/T 2260: six digits."""
    return bool(re.fullmatch(r"\d{6}", code or ""))


_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def is_valid_phone(phone: str) -> bool:
    """A mainland mobile number (11 digits) or a landline with its area code."""
    return bool(_PHONE.match((phone or "").strip()))


_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


def is_valid_username(username: str) -> bool:
    return bool(_USERNAME.match(username or ""))


PASSWORD_MIN_LENGTH = 8


def password_problems(password: str, username: str = "") -> list[str]:
    """Why a password fails GB/T 22239-2019 level 3 (empty when it passes). Messages are msgids."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(N_("at least 8 characters"))
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append(N_("three of: lower case, upper case, digits, symbols"))
    if username and username.lower() in password.lower():
        problems.append(N_("must not contain the username"))
    return problems


def mask_phone(phone: str | None) -> str:
    """138****5678: personal data shown only as far as needed in lists."""
    if not phone or len(phone) < 7:
        return phone or ""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
