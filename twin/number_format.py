"""Numbers as a planner reads them: by unit, with thousands separators, never ``1.45e+07``.

Areas are m² up to 10,000 m², then 万m² in Chinese and ha in English (the same figure:
1 万m² = 1 ha); lengths m, then km; shares as percent; money as ¥ with 万/亿 (Chinese) or
thousand/million/billion (English); counts with separators. :func:`unit_of` guesses the
unit of a metric or column from its name (``gfa_m2``, ``radius_m``, ``share_…``).

Example
-------
>>> from twin.number_format import fmt_area, fmt_count, fmt_money, fmt_value
>>> fmt_count(4277), fmt_area(14_523_000, "zh"), fmt_area(14_523_000, "en")
('4,277', '1,452.3 万m²', '1,452.3 ha')
>>> fmt_money(125_000_000, "zh"), fmt_value(15865793.035, "m2", "zh")
('¥1.25亿', '1,586.6 万m²')
"""

from __future__ import annotations

import math
import re

__all__ = ["fmt_count", "fmt_number", "fmt_area", "fmt_length", "fmt_percent", "fmt_money",
           "fmt_value", "unit_of", "UNITS"]

UNITS = ("count", "m2", "m", "percent", "fraction", "yuan", "number")


def _finite(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt_number(value, digits: int = 2) -> str:
    """A plain number with separators and at most ``digits`` decimals, trailing zeros
    dropped (``15865793.035`` → ``15,865,793.04``; ``2.50`` → ``2.5``); empty for
    None/NaN."""
    number = _finite(value)
    if number is None:
        return ""
    if abs(number) >= 1000:
        digits = min(digits, 1) if abs(number) < 10_000 else 0
    text = f"{number:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_count(value) -> str:
    """A count with thousands separators (``4277`` → ``4,277``)."""
    number = _finite(value)
    return "" if number is None else f"{round(number):,}"


def fmt_area(m2, lang: str = "zh") -> str:
    """An area given in m²: ``8,523 m²``; from 10,000 m² ``145.2 万m²`` (zh) / ``145.2 ha``
    (en)."""
    number = _finite(m2)
    if number is None:
        return ""
    if abs(number) < 10_000:
        return f"{fmt_number(number, 0 if abs(number) >= 100 else 1)} m²"
    text = fmt_number(number / 1e4, 1 if abs(number) < 1e8 else 0)
    return f"{text} 万m²" if lang == "zh" else f"{text} ha"


def fmt_length(m, lang: str = "zh") -> str:
    """A length given in metres: ``12.5 m``, from 1 km ``1.25 km``."""
    number = _finite(m)
    if number is None:
        return ""
    if abs(number) >= 1000:
        return f"{fmt_number(number / 1000, 2)} km"
    return f"{fmt_number(number, 1)} m"


def fmt_percent(value, *, fraction: bool = True, digits: int = 1) -> str:
    """A share as percent: ``0.123`` → ``12.3%`` (``fraction=False``: ``12.3`` → ``12.3%``)."""
    number = _finite(value)
    if number is None:
        return ""
    return f"{fmt_number(number * 100 if fraction else number, digits)}%"


def fmt_money(yuan, lang: str = "zh") -> str:
    """An amount in yuan: ``¥8,500``, ``¥350万``, ``¥1.25亿`` (zh) or ``¥3.5 million``,
    ``¥125 million``, ``¥1.25 billion`` (en)."""
    number = _finite(yuan)
    if number is None:
        return ""
    big = abs(number)
    if lang == "zh":
        if big >= 1e8:
            return f"¥{fmt_number(number / 1e8, 2)}亿"
        if big >= 1e4:
            return f"¥{fmt_number(number / 1e4, 1)}万"
        return f"¥{fmt_number(number, 0)}"
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if big >= size:
            return f"¥{fmt_number(number / size, 2)} {word}"
    return f"¥{fmt_number(number, 0)}"


_UNIT_PATTERNS = [  # (regex on a lower-case name, unit); first match wins
    (r"(^|_)(share|ratio|rate|pct|percent|coverage|fraction)($|_)", "fraction"),
    (r"(^|_)(m2|sqm|area|gfa)($|_)|_m2$|area_m2|gfa_m2", "m2"),
    (r"(_m|_metres|_meters|_km)$|(^|_)(height|width|radius|distance|depth|elev|setback)"
     r"($|_)", "m"),
    (r"(^|_)(yuan|cost|price|value_cny|budget|investment)($|_)", "yuan"),
    (r"(^|_)(n|count|rows|buildings|parcels|homes|cells|features|fail|fails|pass|"
     r"violations|households|population|people|students|beds)($|_)", "count"),
]


def unit_of(name: str) -> str:
    """The unit a metric or column called ``name`` is in (see :data:`UNITS`), guessed from
    its name; ``"number"`` when nothing matches. ``max_far`` is a plain number: a floor
    area ratio has no unit."""
    lower = str(name).lower()
    if re.search(r"(^|_)far($|_)", lower) and "fail" not in lower:
        return "number"
    if re.search(r"(^|_)(fail|fails|count|violations)$", lower):  # height_fail: a count
        return "count"
    for pattern, unit in _UNIT_PATTERNS:
        if re.search(pattern, lower):
            return unit
    return "number"


def fmt_value(value, unit: str = "number", lang: str = "zh") -> str:
    """``value`` formatted for ``unit`` (see :data:`UNITS`); a bool, text or None passes
    through :func:`str` (None as empty). A ``fraction`` above 1.5 is taken as a percent
    already."""
    if value is None or isinstance(value, (bool, str)):
        return "" if value is None else str(value)
    if _finite(value) is None:
        try:
            if value != value:  # NaN
                return ""
        except TypeError:
            pass
        return "" if isinstance(value, float) else str(value)
    if unit == "count":
        return fmt_count(value) if float(value).is_integer() else fmt_number(value)
    if unit == "m2":
        return fmt_area(value, lang)
    if unit == "m":
        return fmt_length(value, lang)
    if unit in ("fraction", "percent"):
        fraction = unit == "fraction" and abs(float(value)) <= 1.5
        return fmt_percent(value, fraction=fraction)
    if unit == "yuan":
        return fmt_money(value, lang)
    if isinstance(value, int) or float(value).is_integer():
        return fmt_count(value)
    return fmt_number(value, 2 if abs(float(value)) >= 1 else 3)
