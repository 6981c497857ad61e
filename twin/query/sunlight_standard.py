"""The sunlight standard of GB 50180-2018 (城市居住区规划设计标准, 4.0.9): which day, which
hours of true solar time, and how many hours a dwelling window must get.

| climate zone (建筑气候区划) | city population | day | hours | window (true solar time) |
|---|---|---|---|---|
| I, II, III, VII | ≥ 50万 (large) | 大寒日 | ≥ 2 | 8–16 h |
| I, II, III, VII | < 50万 | 大寒日 | ≥ 3 | 8–16 h |
| IV | ≥ 50万 | 大寒日 | ≥ 3 | 8–16 h |
| IV | < 50万 | 冬至日 | ≥ 1 | 9–15 h |
| V, VI | any | 冬至日 | ≥ 1 | 9–15 h |
| elderly housing (老年人居住建筑), any zone | | 冬至日 | ≥ 2 | 9–15 h |

Qingdao is a large city in zone II: 大寒日 ≥ 2 h, 8–16 h.

Example
-------
>>> standard_for("II", "large")
Standard(day='major_cold', min_hours=2.0, start_h=8.0, end_h=16.0, label='大寒日 ≥ 2 h (8–16 h)')
>>> standard_for("II", "large", elderly=True).day
'winter_solstice'
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import numpy as np

from ..errors import QueryError
from .common import text

__all__ = ["Standard", "standard_for", "standard_date", "elderly_mask", "CLIMATE_ZONES",
           "CITY_SIZES"]

CLIMATE_ZONES = ("I", "II", "III", "IV", "V", "VI", "VII")
CITY_SIZES = ("large", "small")  # 城区常住人口 ≥ 50万 / < 50万
_ELDERLY_WORDS = ("老年", "养老", "敬老", "elderly", "senior", "aged care", "nursing")


@dataclass(frozen=True)
class Standard:
    """One sunlight standard: ``day`` (``major_cold`` 大寒日 or ``winter_solstice`` 冬至日),
    the minimum hours and the window of true solar time."""

    day: str
    min_hours: float
    start_h: float
    end_h: float
    label: str


def _make(day: str, hours: float) -> Standard:
    start, end = (8.0, 16.0) if day == "major_cold" else (9.0, 15.0)
    name = "大寒日" if day == "major_cold" else "冬至日"
    return Standard(day, float(hours), start, end, f"{name} ≥ {hours:g} h ({start:g}–{end:g} h)")


def standard_for(climate_zone: str = "II", city_size: str = "large", *,
                 elderly: bool = False) -> Standard:
    """The GB 50180-2018 standard for a climate zone (I–VII) and city size (``large`` ≥
    50万 residents, ``small`` below); ``elderly`` housing gets 冬至日 ≥ 2 h."""
    zone = str(climate_zone).strip().upper()
    if zone not in CLIMATE_ZONES:
        raise QueryError(f"unknown climate zone {climate_zone!r}",
                         hint="one of " + ", ".join(CLIMATE_ZONES) + " (Qingdao: II)")
    if city_size not in CITY_SIZES:
        raise QueryError(f"unknown city size {city_size!r}",
                         hint="large (城区常住人口 ≥ 50万) or small")
    if elderly:
        return _make("winter_solstice", 2.0)
    if zone in ("I", "II", "III", "VII"):
        return _make("major_cold", 2.0 if city_size == "large" else 3.0)
    if zone == "IV":
        return _make("major_cold", 3.0) if city_size == "large" else _make("winter_solstice", 1.0)
    return _make("winter_solstice", 1.0)


def standard_date(standard: Standard, year: int) -> _dt.date:
    """The check day of ``standard`` for ``year`` (冬至 of the December before 大寒 of
    ``year`` would be the same winter; the 冬至 of ``year`` itself is used)."""
    from .solar import major_cold, winter_solstice

    return major_cold(int(year)) if standard.day == "major_cold" else winter_solstice(int(year))


def elderly_mask(buildings) -> np.ndarray:
    """True for elderly housing: ``use`` or ``use_detail`` or ``name`` names it (老年, 养老,
    elderly…)."""
    if buildings is None or not len(buildings):
        return np.zeros(0, dtype=bool)
    out = np.zeros(len(buildings), dtype=bool)
    pattern = "|".join(re.escape(w) for w in _ELDERLY_WORDS)
    for col in ("use", "use_detail", "name"):
        out |= text(buildings, col).str.lower().str.contains(pattern, regex=True).to_numpy()
    return out
