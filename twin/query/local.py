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

A query says it can run this way by giving its :class:`~twin.query.registry.QuerySpec` a
``local=LocalRun(kind, receivers, mask)``; the scenario diff reads that declaration.

Example
-------
>>> from twin.query import get_query
>>> get_query("sunlight").local.kind
'building'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .common import numeric, text

__all__ = ["LocalRun", "LocalPlan", "sunlight_receivers", "mask_receivers", "MASKED_USE",
           "NO_OBSTACLE_ELEV"]

MASKED_USE = "~not-evaluated"  # matches no residential code or word
NO_OBSTACLE_ELEV = -1.0e4  # a building out of every receiver's reach stops being an obstacle
_MARGIN_M = 2.0  # sample points sit 0.1 m in front of the facade; sun positions differ
_LENGTH_SLACK = 1.02  # a hair between the two sides' data centres


@dataclass(frozen=True)
class LocalPlan:
    """What to evaluate: the receivers' ids, and the zone outside which no building can
    block any of them (``None``: keep every obstacle)."""

    receivers: frozenset
    obstacle_zone: object = None

    def __len__(self) -> int:
        return len(self.receivers)


@dataclass(frozen=True)
class LocalRun:
    """How to run one local query incrementally (a :class:`QuerySpec`'s ``local``).

    ``receivers(base_buildings, scen_buildings, changed_ids, params)`` returns a
    :class:`LocalPlan` of the buildings whose result can differ between base and scenario,
    or ``None`` when it cannot tell (the diff then runs the query in full).
    ``mask(frame, plan)`` returns a copy of the building frame in which only the plan's
    receivers are evaluated.
    """

    kind: str
    receivers: Callable
    mask: Callable


def _ids(frame: pd.DataFrame) -> np.ndarray:
    return text(frame, "id").to_numpy(dtype=object)


def sunlight_receivers(base_b, scen_b, changed: set[str], params: dict) -> LocalPlan | None:
    """The residential buildings whose 大寒 sunlight can differ (see module doc), and the
    zone of the obstacles that can shade them."""
    from .common import location_lonlat
    from .registry import get_query
    from .solar import grid_north_offset, major_cold, solar_times, sun_position

    params = {**get_query("sunlight").defaults(), **params}  # the query's own defaults

    if not changed:
        return LocalPlan(frozenset())
    frames = [f for f in (base_b, scen_b) if f is not None and len(f)]
    if not frames:
        return LocalPlan(frozenset())
    crs = frames[0].crs
    day = params["date"] or major_cold(int(params["year"]))
    # The sun as the query sees it: at the centre of the scenario's buildings.
    lon, lat = location_lonlat(scen_b if scen_b is not None and len(scen_b) else base_b)
    times = solar_times(day, lon, float(params["start_solar_h"]),
                        float(params["end_solar_h"]), float(params["step_min"]))
    alt, az = sun_position(times, lat, lon)
    az = az + grid_north_offset(lon, lat, crs)
    up = alt > 0.05
    if not up.any():
        return LocalPlan(frozenset())
    alt, az = alt[up], az[up]
    sill = float(params["sill_m"])
    z_low = min(float(np.min(numeric(f, "base_elev_m", 0.0))) for f in frames) + sill
    away = np.radians(az + 180.0)
    unit = np.column_stack([np.sin(away), np.cos(away)]) / np.tan(np.radians(alt))[:, None]

    reach = []
    for frame in frames:
        ids = _ids(frame)
        hit = np.isin(ids, list(changed))
        if not hit.any():
            continue
        tops = numeric(frame, "base_elev_m", 0.0)[hit] + numeric(frame, "height_m", 0.0)[hit]
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
    out = set(changed)
    if reach:
        zone = shapely.buffer(shapely.union_all(np.asarray(reach, dtype=object)), _MARGIN_M)
        for frame in frames:
            idx = shapely.STRtree(frame.geometry.to_numpy()).query(zone, predicate="intersects")
            out |= set(_ids(frame)[idx].tolist())
    # Any building farther from every receiver than the longest shadow of the day
    # (the tallest top over the lowest sample point, at the lowest sun) cannot block it.
    top = max(float(np.max(numeric(f, "base_elev_m", 0.0) + numeric(f, "height_m", 0.0)))
              for f in frames)
    longest = max(top - z_low, 0.0) / np.tan(np.radians(float(np.min(alt)))) * _LENGTH_SLACK
    homes = [f.geometry.to_numpy()[np.isin(_ids(f), list(out))] for f in frames]
    homes = np.concatenate(homes) if homes else np.zeros(0, dtype=object)
    obstacle_zone = shapely.buffer(shapely.union_all(homes), longest + _MARGIN_M) \
        if len(homes) else None
    return LocalPlan(frozenset(out), obstacle_zone)


def mask_receivers(frame, plan: LocalPlan):
    """A copy of ``frame`` where only the plan's receivers are evaluated: the others are
    obstacles only, and those out of every receiver's reach not even that. Geometries are
    kept, so the data's centre (the sun's position) does not move."""
    if frame is None or not len(frame):
        return frame
    out = frame.copy()
    outside = ~np.isin(_ids(out), list(plan.receivers))
    if outside.any():
        use = out["use"].astype("string") if "use" in out.columns else pd.Series(
            pd.NA, index=out.index, dtype="string")
        use[outside] = MASKED_USE
        out["use"] = use
    if plan.obstacle_zone is not None:
        geoms = out.geometry.to_numpy()
        near = np.zeros(len(out), dtype=bool)
        near[shapely.STRtree(geoms).query(plan.obstacle_zone, predicate="intersects")] = True
        far = outside & ~near
        if far.any():
            elev = pd.to_numeric(out.get("base_elev_m"), errors="coerce") \
                if "base_elev_m" in out.columns else pd.Series(np.nan, index=out.index)
            height = pd.to_numeric(out.get("height_m"), errors="coerce") \
                if "height_m" in out.columns else pd.Series(np.nan, index=out.index)
            out["base_elev_m"] = elev.astype(float).where(~far, NO_OBSTACLE_ELEV)
            out["height_m"] = height.astype(float).where(~far, 0.0)
    return out

