"""Deterministic made-up details for the demo: people's names, phone numbers, bank accounts, codes, times.

Everything is derived from a hash of a "salt" (e.g. ``("manager", unit_code)``), never from ``random``: the
same database comes out on every machine and every Python version.
"""

import hashlib
from datetime import datetime, timedelta

from accounts.validators import credit_code_check_char

# Common surnames, Shanxi's most frequent ones (王 李 张 刘 郭 武 杨 贾 …) listed twice to weigh them.
_SURNAMES = (
    "王李张刘郭武杨贾赵薛高任王李张刘郭武杨贾赵薛高任"
    "陈梁马宋韩冯白孙吴胡朱程曹田郝乔侯孟段雷常闫牛霍卫崔康史秦温樊燕"
)
_GIVEN = (
    "建国华明丽红军伟芳霞强平玲艳勇杰涛斌娟敏静鹏宇晓志海燕林波辉亮峰梅英兰凤秀云俊瑞鑫磊婷雪慧佳欣"
    "浩宏文彬春晖永刚利东睿娜琳晶昊鸿飞琴莉毅超刚婧楠旭"
)
_MOBILE_PREFIXES = ("134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "182")
_MOBILE_PREFIXES += (
    "183",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "180",
)
_MOBILE_PREFIXES += ("189", "177", "199")

#: The demo's accounts were opened over 2019–2021, when the platform was rolled out.
ROLLOUT_START = datetime(2019, 1, 2)
ROLLOUT_DAYS = 1000


def mix(*salt: object) -> int:
    """A stable 64-bit number for ``salt``."""
    digest = hashlib.blake2b(":".join(map(str, salt)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def person_name(*salt: object) -> str:
    """A plausible Chinese name: a surname and one or two given-name characters."""
    n = mix("name", *salt)
    surname = _SURNAMES[n % len(_SURNAMES)]
    n //= len(_SURNAMES)
    first = _GIVEN[n % len(_GIVEN)]
    n //= len(_GIVEN)
    if n % 10 < 3:  # about a third have a one-character given name
        return surname + first
    n //= 10
    return surname + first + _GIVEN[n % len(_GIVEN)]


def mobile(*salt: object) -> str:
    """An 11-digit mainland mobile number (passes ``is_valid_phone``)."""
    n = mix("mobile", *salt)
    return _MOBILE_PREFIXES[n % len(_MOBILE_PREFIXES)] + f"{n // 100 % 100_000_000:08d}"


def digits(count: int, *salt: object) -> str:
    """``count`` decimal digits (count ≤ 19)."""
    return f"{mix('digits', *salt) % 10**count:0{count}d}"


def moment(*salt: object, start: datetime = ROLLOUT_START, days: int = ROLLOUT_DAYS) -> datetime:
    """A time within ``days`` from ``start``, in office hours in China (01:00–10:00 UTC), naive UTC."""
    n = mix("moment", *salt)
    return start + timedelta(days=n % days, seconds=3600 + n // days % (9 * 3600))


def later(when: datetime, *salt: object, max_days: int = 20) -> datetime:
    """A time some hours to ``max_days`` days after ``when``."""
    n = mix("later", *salt)
    return when + timedelta(hours=2 + n % (max_days * 24))


# --- codes -------------------------------------------------------------------------------------------------

_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(serial: int) -> str:
    """A 9-character organisation code (GB 11714: eight digits and a check character) for ``serial``.

    ``serial`` is spread over the eight digits by a bijection (multiplying by a number prime to 10), so
    distinct serials below 10**8 give distinct codes that do not look like a counter.
    """
    body = f"{(31_415_926 + serial * 48_271) % 100_000_000:08d}"
    check = 11 - sum(int(char) * weight for char, weight in zip(body, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(kind: str, region_code: str, serial: int) -> str:
    """A unified social credit code: ``kind`` (e.g. "11" agency, "12" public institution, "93" farmers'
    cooperative), the 6-digit region code, the organisation code, and the GB 32100 check character."""
    first17 = kind + region_code + organisation_code(serial)
    return first17 + credit_code_check_char(first17)


_NUMERALS = "零一二三四五六七八九"


def chinese_number(number: int) -> str:
    """1–99 in Chinese numerals, as in 第十二小学."""
    if not 0 < number < 100:
        raise ValueError(number)
    tens, ones = divmod(number, 10)
    if tens == 0:
        return _NUMERALS[ones]
    return ("" if tens == 1 else _NUMERALS[tens]) + "十" + (_NUMERALS[ones] if ones else "")
