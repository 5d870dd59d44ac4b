"""JSON text with exact amounts: ``Decimal`` written as a JSON number with its own digits (``667.24``, never
a binary float's approximation), pieces yielded one by one so a large package streams.

The standard library's encoder cannot write a ``Decimal`` as a number (Flask's writes it as a string), and
a float would break the house rule that money is never a float; this small encoder covers exactly the
types a release holds.
"""

import json
from collections.abc import Iterator
from decimal import Decimal

_string = json.JSONEncoder(ensure_ascii=False).encode


def pieces(value) -> Iterator[str]:
    """The JSON text of ``value`` (dict with string keys, list, tuple, str, int, bool, None, Decimal), in
    pieces.

    :raise TypeError: a float (amounts must be Decimal) or any other type.
    """
    if isinstance(value, str):
        yield _string(value)
    elif value is None:
        yield "null"
    elif value is True:
        yield "true"
    elif value is False:
        yield "false"
    elif isinstance(value, int):
        yield str(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"not a finite amount: {value!r}")
        # Fixed-point notation: str() would give 1E+2 for some values, which JSON allows but readers dislike.
        yield format(value, "f")
    elif isinstance(value, dict):
        yield "{"
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {key!r}")
            yield (_string(key) + ":") if first else ("," + _string(key) + ":")
            first = False
            yield from pieces(item)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from pieces(item)
        yield "]"
    else:
        raise TypeError(f"cannot write {type(value).__name__} as OCDS JSON: {value!r}")


def dumps(value) -> str:
    """The JSON text of ``value`` in one string (see ``pieces``)."""
    return "".join(pieces(value))
