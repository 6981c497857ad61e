"""全域感知: the demo's sensors and a week of readings at 15-minute steps.

Water-level gauges sit on the rivers (levels in metres, 1985 datum, read off the DEM's river
bed), rain gauges record mm per 15 minutes, hydrogen-park gas detectors report %LEL and
video cameras report their status (1 online, 0 offline). A summer storm on the third day
drives the rivers up; the lower 横河 gauge passes its warning level, one gas detector
spikes over its alarm and one camera goes offline for six hours.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from .facilities import farthest_points
from .layout import TOWN_SIZE, Plan
from .terrain import DEM

__all__ = ["START", "STEP_MIN", "STEPS", "ALARMS", "make_sensors", "make_readings",
           "alarms"]

START = dt.datetime(2026, 7, 13, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
STEP_MIN = 15
STEPS = 7 * 24 * 60 // STEP_MIN

ALARMS = {"water_level": "WL12", "gas": "GS2", "offline_camera": "CAM3"}
"""The sensor events planted in the week: the only gauge over its warning level, the only
gas detector over its alarm, and the camera that goes offline."""

_CAMERAS = [(3250, 2200), (4250, 1000), (1250, 2200), (3250, 1000), (5750, 600), (2250, 1800)]
_RAIN = [("泊里镇政府雨量站", (3000, 2050)), ("临港雨量站", (3450, 480)),
         ("董家口雨量站", (4950, 1600)), ("氢能产业园雨量站", (5200, 3300)),
         ("西北山区雨量站", (600, 3400))]


def make_sensors(plan: Plan, buildings: gpd.GeoDataFrame, dem: DEM) -> gpd.GeoDataFrame:
    """Sensor points in local metres with ``id, kind, unit, name, threshold`` and extras."""
    rows = []
    town = box(0, 0, *TOWN_SIZE)
    for r, river in enumerate(plan.rivers.itertuples(), 1):
        inside = river.geometry.intersection(town)
        parts = getattr(inside, "geoms", [inside])
        part = max(parts, key=lambda g: g.length)
        for k, frac in enumerate((0.35, 0.92), 1):
            pt = part.interpolate(frac, normalized=True)
            bed = round(float(dem.sample([pt.x], [pt.y])[0]), 2)
            rows.append({"id": f"WL{r}{k}", "name": f"{river.name}水位站{k}",
                         "kind": "water_level", "unit": "m", "threshold": round(bed + 2.2, 2),
                         "river": river.name, "bed_elev_m": bed, "geometry": pt})
    for k, (name, (x, y)) in enumerate(_RAIN, 1):
        rows.append({"id": f"RG{k}", "name": name, "kind": "rain", "unit": "mm",
                     "threshold": 20.0, "geometry": shapely.Point(x, y)})
    sheds = buildings[buildings.use == "M"].reset_index(drop=True)
    c = sheds.geometry.centroid
    xy = np.column_stack([c.x.to_numpy(), c.y.to_numpy()])
    for k, i in enumerate(farthest_points(xy, 4, start=int(np.argmin(xy[:, 0]))), 1):
        rows.append({"id": f"GS{k}", "name": f"氢能产业园氢气探测器{k}", "kind": "gas",
                     "unit": "%LEL", "threshold": 20.0, "building_id": sheds.id[i],
                     "geometry": shapely.Point(np.round(xy[i], 2))})
    for k, (x, y) in enumerate(_CAMERAS, 1):
        rows.append({"id": f"CAM{k}", "name": f"路口视频监控{k}", "kind": "video",
                     "unit": "status", "threshold": np.nan, "geometry": shapely.Point(x, y)})
    frame = gpd.GeoDataFrame(rows, geometry="geometry")
    frame["interval_min"] = STEP_MIN
    return frame


def alarms(sensors, readings) -> dict[str, list[str]]:
    """Sensors whose readings pass their threshold, and cameras that were ever offline."""
    peak = readings.groupby("sensor_id").value.max()
    low = readings.groupby("sensor_id").value.min()
    thr = sensors.set_index("id").threshold
    kind = sensors.set_index("id").kind
    over = sorted(i for i in thr.index if pd.notna(thr[i]) and peak.get(i, -np.inf) > thr[i])
    offline = sorted(i for i in kind.index if kind[i] == "video" and low.get(i, 1) < 1)
    return {"over_threshold": over, "offline": offline}


def _storm(t_h: np.ndarray) -> np.ndarray:
    """Mean rain in mm per 15 minutes: a big storm on day 3 and a shower on day 6."""
    big = 9.0 * np.exp(-0.5 * ((t_h - 58.0) / 3.5) ** 2)
    small = 2.5 * np.exp(-0.5 * ((t_h - 130.0) / 2.0) ** 2)
    return big + small


def make_readings(sensors: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A week of readings for every sensor: ``sensor_id, time, value`` (time in ISO 8601)."""
    t_h = np.arange(STEPS) * STEP_MIN / 60.0
    times = [(START + dt.timedelta(minutes=STEP_MIN * i)).isoformat() for i in range(STEPS)]
    rain_mean = _storm(t_h)
    kernel_t = np.arange(0, 48, STEP_MIN / 60.0)
    frames = []
    for s in sensors.itertuples():
        if s.kind == "rain":
            v = rain_mean * rng.uniform(0.8, 1.25) + rng.normal(0, 0.15, STEPS)
            v = np.round(np.clip(v, 0, None), 1)
        elif s.kind == "water_level":
            lag = rng.uniform(2.0, 6.0)
            kernel = (kernel_t / lag) * np.exp(1 - kernel_t / lag)
            response = np.convolve(rain_mean, kernel)[:STEPS]
            response /= response.max()
            peak = 2.6 if s.id == ALARMS["water_level"] else rng.uniform(1.0, 1.5)
            tide = 0.05 * np.sin(2 * np.pi * t_h / 12.42 + rng.uniform(0, 6.3))
            v = s.bed_elev_m + 0.5 + peak * response + tide + rng.normal(0, 0.01, STEPS)
            v = np.round(v, 2)
        elif s.kind == "gas":
            v = np.clip(rng.normal(1.0, 0.4, STEPS), 0, None)
            if s.id == ALARMS["gas"]:
                spike = slice(4 * 96 + 40, 4 * 96 + 43)
                v[spike] = [12.0, 26.5, 18.0]
            v = np.round(v, 1)
        else:
            v = np.ones(STEPS)
            if s.id == ALARMS["offline_camera"]:
                v[3 * 96 + 30: 3 * 96 + 54] = 0.0
        frames.append(pd.DataFrame({"sensor_id": s.id, "time": times, "value": v}))
    return pd.concat(frames, ignore_index=True)
