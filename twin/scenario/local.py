"""Run a *local* query only where a scenario can change its answer.

Some queries compute, for each "receiver" feature, a value that depends only on features
within a bounded reach of it. ``sunlight`` is one: a home's hours depend on the buildings
that can shade its south facades. When a scenario adds, removes or changes a few buildings,
only the homes inside those buildings' possible shadows (and the changed buildings
themselves) can change; every other home keeps its hours exactly.

For such a query the diff runs it twice on a *masked* copy of the buildings, base and
scenario: every building stays an obstacle (geometry, heights and the data's centre, hence
the sun's position, are untouched) but only the affected receivers are evaluated. The
per-building results are exactly those of full runs, at a fraction of the cost.

The shadow reach of a changed building is the convex hull of its footprint and of the
footprint moved along the shadow vector of every time step of the query's window, with the
shadow length ``(top − lowest sample point) / tan(altitude)``. It is a superset of
everything the building can shade on that day.

Example
-------
>>> from twin.scenario.local import LOCAL_QUERIES
>>> sorted(LOCAL_QUERIES)
['sunlight']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

__all__ = ["LocalQuery", "LOCAL_QUERIES", "sunlight_receivers", "mask_receivers",
           "MASKED_USE"]

MASKED_USE = "~not-evaluated"  # matches no residential code or word
_MARGIN_M = 2.0  # sample points sit 0.1 m in front of the facade; sun positions differ
_LENGTH_SLACK = 1.02  # a hair between the two sides' data centres


@dataclass(frozen=True)
class LocalQuery:
    """How to run one local query incrementally.

    ``receivers(base_buildings, scen_buildings, changed_ids, params)`` returns the ids of
    the buildings whose result can differ between base and scenario, or ``None`` when it
    cannot tell (the diff then runs the query in full). ``mask(frame, ids)`` returns a copy
    of the building frame in which only ``ids`` are evaluated.
    """

    kind: str
    receivers: Callable
    mask: Callable


def _num(frame: pd.DataFrame, col: str, default: float) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), default)
    out = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(out), out, default)


def _ids(frame: pd.DataFrame) -> np.ndarray:
    return frame["id"].astype("string").fillna("").to_numpy(dtype=object)


def sunlight_receivers(base_b, scen_b, changed: set[str], params: dict) -> set[str] | None:
    """Ids of the residential buildings whose 大寒 sunlight can differ (see module doc)."""
    from ..query.common import location_lonlat
    from ..query.solar import grid_north_offset, major_cold, solar_times, sun_position

    if not changed:
        return set()
    frames = [f for f in (base_b, scen_b) if f is not None and len(f)]
    if not frames:
        return set()
    crs = frames[0].crs
    day = params.get("date") or major_cold(int(params.get("year") or 2026))
    # The sun as the query sees it: at the centre of the scenario's buildings.
    lon, lat = location_lonlat(scen_b if scen_b is not None and len(scen_b) else base_b)
    times = solar_times(day, lon, float(params.get("start_solar_h", 8.0)),
                        float(params.get("end_solar_h", 16.0)),
                        float(params.get("step_min", 10.0)))
    alt, az = sun_position(times, lat, lon)
    az = az + grid_north_offset(lon, lat, crs)
    up = alt > 0.05
    if not up.any():
        return set()
    alt, az = alt[up], az[up]
    sill = float(params.get("sill_m", 0.9))
    z_low = min(float(np.min(_num(f, "base_elev_m", 0.0))) for f in frames) + sill
    away = np.radians(az + 180.0)
    unit = np.column_stack([np.sin(away), np.cos(away)]) / np.tan(np.radians(alt))[:, None]

    reach = []
    for frame in frames:
        ids = _ids(frame)
        hit = np.isin(ids, list(changed))
        if not hit.any():
            continue
        tops = _num(frame, "base_elev_m", 0.0)[hit] + _num(frame, "height_m", 0.0)[hit]
        for geom, top in zip(frame.geometry.to_numpy()[hit], tops):
            if geom is None or geom.is_empty:
                continue
            reach.append(geom)
            drop = max(top - z_low, 0.0) * _LENGTH_SLACK
            if drop <= 0:
                continue
            coords = shapely.get_coordinates(shapely.convex_hull(geom))
            moved = (coords[None, :, :] + (unit * drop)[:, None, :]).reshape(-1, 2)
            reach.append(shapely.convex_hull(shapely.multipoints(np.vstack([coords, moved]))))
    if not reach:
        return set(changed)
    zone = shapely.buffer(shapely.union_all(np.asarray(reach, dtype=object)), _MARGIN_M)
    out = set(changed)
    for frame in frames:
        geoms = frame.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        idx = tree.query(zone, predicate="intersects")
        out |= set(_ids(frame)[idx].tolist())
    return out


def mask_receivers(frame, keep: set[str]):
    """A copy of ``frame`` where buildings outside ``keep`` are obstacles only."""
    if frame is None or not len(frame):
        return frame
    out = frame.copy()
    outside = ~np.isin(_ids(out), list(keep))
    if outside.any():
        use = out["use"].astype("string") if "use" in out.columns else pd.Series(
            pd.NA, index=out.index, dtype="string")
        use[outside] = MASKED_USE
        out["use"] = use
    return out


LOCAL_QUERIES: dict[str, LocalQuery] = {
    "sunlight": LocalQuery("building", sunlight_receivers, mask_receivers),
}
