"""The interface is Chinese first: every string in the code has a Chinese translation in the catalogue."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [
    ("accounts/**.py", "python"),
    ("shop/**.py", "python"),
    ("quotas/**.py", "python"),
    ("templates/**.html", "jinja2"),
]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}


def _msgids_in_code() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, keywords=KEYWORDS, directory_filter=lambda path: not Path(path).name.startswith(".")
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_interface_string_has_a_chinese_translation():
    with open(ROOT / "translations/zh/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po, locale="zh")
    translated = {message.id for message in catalog if message.id and message.string and not message.fuzzy}
    missing = sorted(_msgids_in_code() - translated)
    assert missing == [], "run `make messages` and translate these in messages.po"
