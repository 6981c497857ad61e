"""The sun for the sunlight queries: position (pvlib), 大寒 date, true solar time, grid north.

* :func:`sun_position` wraps ``pvlib.solarposition.get_solarposition`` (NREL SPA) and
  returns the apparent altitude (with refraction) and the azimuth clockwise from true north.
* :func:`major_cold` finds the date of 大寒 (Major Cold, the solar term when the sun's
  apparent ecliptic longitude reaches 300°) in China Standard Time, from pvlib's SPA
  series for the geocentric longitude and aberration (nutation, < 20 s of arc, is left out;
  the instant is good to a few minutes, the date is exact except within minutes of midnight).
* :func:`winter_solstice` finds 冬至 (270°) the same way, for the elderly-housing standard.
* :func:`solar_times` turns a window of true solar time (8:00–16:00 for GB 50180) into UTC
  instants with the longitude and pvlib's equation of time.
* :func:`grid_north_offset` is the angle from grid north to true north in the working CRS
  (meridian convergence), so that azimuths can be turned into map directions.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

import numpy as np
import pandas as pd
import pvlib
import pvlib.spa as spa

from ..crs import WGS84, transform_xy

__all__ = ["CHINA_TZ", "sun_position", "major_cold", "winter_solstice", "solar_times", "grid_north_offset",
           "to_utc"]

CHINA_TZ = "Asia/Shanghai"
_DELTA_T = 69.0  # seconds, TT − UT around 2020-2030


def to_utc(when, tz: str = CHINA_TZ) -> pd.Timestamp:
    """A timestamp in UTC; a naive ``when`` is read in ``tz`` (China Standard Time)."""
    ts = pd.Timestamp(when)
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    return ts.tz_convert("UTC")


def sun_position(times_utc, lat: float, lon: float) -> tuple[np.ndarray, np.ndarray]:
    """``(altitude_deg, azimuth_deg)`` of the sun at ``times_utc`` (apparent altitude with
    refraction; azimuth clockwise from true north)."""
    idx = pd.DatetimeIndex(pd.to_datetime(times_utc, utc=True))
    pos = pvlib.solarposition.get_solarposition(idx, lat, lon)
    return pos["apparent_elevation"].to_numpy(dtype=float), pos["azimuth"].to_numpy(dtype=float)


def _apparent_longitude(unixtime: np.ndarray) -> np.ndarray:
    jd = spa.julian_day(unixtime)
    jde = spa.julian_ephemeris_day(jd, _DELTA_T)
    jce = spa.julian_ephemeris_century(jde)
    jme = spa.julian_ephemeris_millennium(jce)
    lon = spa.geocentric_longitude(spa.heliocentric_longitude(jme))
    return (lon + spa.aberration_correction(spa.heliocentric_radius_vector(jme))) % 360.0


def _solar_term(longitude: float, lo: str, hi: str) -> _dt.date:
    """The China Standard Time date on which the sun's apparent longitude reaches
    ``longitude`` between the UTC dates ``lo`` and ``hi`` (bisection on pvlib's SPA)."""
    a = pd.Timestamp(lo, tz="UTC").timestamp()
    b = pd.Timestamp(hi, tz="UTC").timestamp()
    for _ in range(60):
        mid = (a + b) / 2
        lam = float(_apparent_longitude(np.array([mid]))[0])
        if (lam - longitude + 180.0) % 360.0 - 180.0 < 0:
            a = mid
        else:
            b = mid
    return pd.Timestamp(a, unit="s", tz="UTC").tz_convert(CHINA_TZ).date()


@lru_cache(maxsize=64)
def major_cold(year: int) -> _dt.date:
    """The date of 大寒 (sun's apparent longitude 300°) in ``year``, China Standard Time."""
    return _solar_term(300.0, f"{year}-01-15", f"{year}-01-25")


@lru_cache(maxsize=64)
def winter_solstice(year: int) -> _dt.date:
    """The date of 冬至 (sun's apparent longitude 270°) in December of ``year``, China
    Standard Time."""
    return _solar_term(270.0, f"{year}-12-17", f"{year}-12-26")


def solar_times(date: _dt.date, lon: float, start_h: float, end_h: float,
                step_min: float) -> pd.DatetimeIndex:
    """UTC instants from ``start_h`` to ``end_h`` true solar time on ``date``, every
    ``step_min`` minutes, at the middle of each step (so each instant stands for one step)."""
    doy = pd.Timestamp(date).day_of_year
    eot_min = float(pvlib.solarposition.equation_of_time_spencer71(doy))
    n = int(round((end_h - start_h) * 60.0 / step_min))
    solar_h = start_h + (np.arange(n) + 0.5) * step_min / 60.0
    utc_h = solar_h - lon / 15.0 - eot_min / 60.0
    base = pd.Timestamp(date).tz_localize("UTC")
    return pd.DatetimeIndex(base + pd.to_timedelta(utc_h, unit="h"))


def grid_north_offset(lon: float, lat: float, crs) -> float:
    """Degrees clockwise from grid north to true north at (lon, lat) in ``crs``; add it to a
    true azimuth to get the azimuth on the map."""
    x, y = transform_xy([lon, lon], [lat, lat + 0.001], WGS84, crs)
    return float(np.degrees(np.arctan2(x[1] - x[0], y[1] - y[0])))
