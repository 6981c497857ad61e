"""Interface language: Chinese first, English as the switch. Strings live in JSON catalogues
(``twin/locales/zh.json``, ``en.json``) with the same keys; ``{name}`` fields are filled
with :meth:`str.format`.

Example
-------
>>> from twin.i18n import t
>>> t("page.map", "zh"), t("page.map", "en")
('一张图', 'One map')
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "catalog", "t", "label"]

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"
_DIR = Path(__file__).with_name("locales")


@cache
def catalog(lang: str) -> dict[str, str]:
    """The catalogue of ``lang`` (``"zh"`` or ``"en"``); an unknown language gives Chinese."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    return json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def t(key: str, lang: str = DEFAULT_LANGUAGE, **fields) -> str:
    """The text of ``key`` in ``lang`` with ``fields`` filled in; Chinese, then the key itself,
    when the key is missing."""
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**fields) if fields else text


def label(prefix: str, value, lang: str = DEFAULT_LANGUAGE) -> str:
    """The display name of a data value (``label("landuse", "R")`` → ``居住用地``), or the
    value itself when the catalogue has no entry for it."""
    key = f"{prefix}.{value}"
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    return text if text is not None else str(value)
