"""``window_sunlight``: sunlight hours of every dwelling window (日照, GB 50180-2018 4.0.9).

Receivers are the windows of the residential buildings (:mod:`twin.query.windows`: IfcWindow
positions where the model has them, else generated per floor and bay on the south-facing
facades, on the terrain). The day, the hours of true solar time and the minimum come from
:mod:`twin.query.sunlight_standard` (Qingdao, a large city in zone II: 大寒日 ≥ 2 h in
8–16 h; elderly housing: 冬至日 ≥ 2 h in 9–15 h).

**Hours.** The sun's apparent altitude and azimuth come from pvlib (NREL SPA) every 30 s of
the window, turned to grid north, and are interpolated between. At the instants
``start, start + step, …, end`` a window is *sunlit* when the sun is up, in front of its
facade and the ray towards it clears every building (a prism from the ground to its top):
the rays of all windows are cut against the footprints in one STRtree query, and a
candidate blocks when the ray meets its footprint within ``(top − z) / tan(altitude)``
(Cyrus–Beck clipping for convex footprints, ``shapely.intersects`` for the others). Where
the state changes between two instants, the change is found by bisection (``refine``
halvings, 10 min / 2⁸ ≈ 2 s), so the hours do not depend on the step; a shadow shorter
than one step that starts and ends between two instants is missed.

**Floors.** A higher window at the same bay sees every ray a lower one sees (prisms on the
ground), so the windows of a bay are computed from the ground up in rounds of 1, 2, 4, 8…
floors, and once one is never blocked, the windows above it get its hours without being
computed.

A window fails when it gets less than the standard; a building fails when any of its
windows does.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import QueryError
from .common import location_lonlat, residential_mask, text
from .inputs import QueryInputs
from .local import LocalRun, mask_receivers
from .registry import Param, QueryResult, QuerySpec, register
from .solar import grid_north_offset, solar_times, sun_position
from .sunlight import DEFAULT_YEAR, ConvexEdges
from .sunlight_standard import (
    CITY_SIZES,
    CLIMATE_ZONES,
    elderly_mask,
    standard_date,
    standard_for,
)
from .surface import building_tops, load_dem
from .windows import Windows, window_receivers

__all__ = ["SunPath", "Obstacles", "WindowStudy", "window_hours", "run_window_sunlight",
           "sun_path_for", "window_local_plan"]

_FINE_MIN = 0.5
_MAX_REACH_M = 5000.0


class SunPath:
    """The sun over one window of true solar time on one day: altitude and grid azimuth
    (degrees) at ``hours`` (true solar time), interpolated from pvlib every 30 s."""

    def __init__(self, day, lon: float, lat: float, north_offset: float, start_h: float,
                 end_h: float):
        self.start_h, self.end_h = float(start_h), float(end_h)
        step = _FINE_MIN
        times = solar_times(day, lon, start_h - step / 120.0, end_h + step / 120.0, step)
        self._h = start_h + np.arange(len(times)) * step / 60.0
        alt, az = sun_position(times, lat, lon)
        self._alt = alt
        self._az = np.unwrap(np.radians(az + north_offset))

    def at(self, hours):
        """``(altitude_deg, grid azimuth_deg)`` at the true solar ``hours``."""
        hours = np.asarray(hours, dtype=float)
        return (np.interp(hours, self._h, self._alt),
                np.degrees(np.interp(hours, self._h, self._az)) % 360.0)


def sun_path_for(frames, crs, day, start_h: float, end_h: float) -> SunPath:
    """The :class:`SunPath` at the centre of ``frames`` (as the other sunlight queries)."""
    lon, lat = location_lonlat(*frames)
    return SunPath(day, lon, lat, grid_north_offset(lon, lat, crs), start_h, end_h)


class Obstacles:
    """Building prisms to test sun rays against: footprints, tops, an STRtree and the
    convex footprints' edge normals."""

    def __init__(self, geoms, tops):
        self.geoms = np.asarray(geoms, dtype=object)
        self.tops = np.asarray(tops, dtype=float)
        self.top_max = float(self.tops.max()) if len(self.tops) else -np.inf
        self.tree = shapely.STRtree(self.geoms)
        self.edges = ConvexEdges(self.geoms)

    def blocked(self, x, y, z, alt, az) -> np.ndarray:
        """Whether the ray from each point towards the sun at ``(alt, az)`` (per point,
        degrees, sun up) meets a building below its top."""
        n = len(x)
        out = np.zeros(n, dtype=bool)
        if not n or not len(self.geoms):
            return out
        tan_a = np.tan(np.radians(alt))
        ux, uy = np.sin(np.radians(az)), np.cos(np.radians(az))
        reach = np.minimum((self.top_max - z) / tan_a, _MAX_REACH_M)
        live = np.flatnonzero(reach > 0)
        if not len(live):
            return out
        rays = shapely.linestrings(np.stack([
            np.column_stack([x[live], y[live]]),
            np.column_stack([x[live] + ux[live] * reach[live],
                             y[live] + uy[live] * reach[live]])], axis=1))
        # bounding boxes only: the exact test below is cheaper than GEOS's per ray
        r_i, o_i = self.tree.query(rays)
        if not len(r_i):
            return out
        p = live[r_i]
        limit = (self.tops[o_i] - z[p]) / tan_a[p]
        ok = limit > 0
        p, o_i, limit = p[ok], o_i[ok], limit[ok]
        hit = np.zeros(len(p), dtype=bool)
        convex = self.edges.row[o_i] >= 0
        if convex.any():
            c = np.flatnonzero(convex)
            hit[c] = self.edges.hits(o_i[c], x[p[c]], y[p[c]], ux[p[c]][:, None],
                                     uy[p[c]][:, None], limit[c])
        other = np.flatnonzero(~convex)
        if len(other):
            q = p[other]
            seg = shapely.linestrings(np.stack([
                np.column_stack([x[q], y[q]]),
                np.column_stack([x[q] + ux[q] * limit[other], y[q] + uy[q] * limit[other]])],
                axis=1))
            hit[other] = shapely.intersects(seg, self.geoms[o_i[other]])
        out[p[hit]] = True
        return out


def _sunlit(win: Windows, idx, hours, sun: SunPath, obstacles: Obstacles):
    """``(sunlit, blocked)`` of windows ``idx`` at true solar ``hours`` (per window)."""
    alt, az = sun.at(hours)
    facing = (alt > 0) & (np.cos(np.radians(az - win.normal[idx])) > 1e-9)
    blocked = np.zeros(len(idx), dtype=bool)
    f = np.flatnonzero(facing)
    if len(f):
        w = idx[f]
        blocked[f] = obstacles.blocked(win.x[w], win.y[w], win.z[w], alt[f], az[f])
    return facing & ~blocked, blocked


def _hours_of(win: Windows, idx, sun: SunPath, obstacles: Obstacles, step_h: float,
              refine: int):
    """Sunlit hours of windows ``idx`` and whether each was ever blocked."""
    n_steps = max(1, int(round((sun.end_h - sun.start_h) / step_h)))
    t = sun.start_h + np.arange(n_steps + 1) * (sun.end_h - sun.start_h) / n_steps
    dt = (sun.end_h - sun.start_h) / n_steps
    state = np.zeros((len(idx), n_steps + 1), dtype=bool)
    ever = np.zeros(len(idx), dtype=bool)
    for k, tk in enumerate(t):
        s, b = _sunlit(win, idx, np.full(len(idx), tk), sun, obstacles)
        state[:, k] = s
        ever |= b
    same = state[:, :-1] == state[:, 1:]
    hours = (state[:, :-1] & same).sum(axis=1) * dt
    w_i, k_i = np.nonzero(~same)
    if len(w_i):
        lo, hi = t[k_i].copy(), t[k_i + 1].copy()
        s_lo = state[w_i, k_i]
        for _ in range(int(refine)):
            mid = (lo + hi) / 2
            s, b = _sunlit(win, idx[w_i], mid, sun, obstacles)
            ever[w_i[b]] = True
            keep_lo = s == s_lo
            lo = np.where(keep_lo, mid, lo)
            hi = np.where(keep_lo, hi, mid)
        tau = (lo + hi) / 2
        part = np.where(s_lo, tau - t[k_i], t[k_i + 1] - tau)
        hours = hours + np.bincount(w_i, weights=part, minlength=len(idx))
    return hours, ever


def window_hours(win: Windows, sun: SunPath, obstacles: Obstacles, *, step_min: float = 10.0,
                 refine: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Sunlit hours of every window and whether it was computed (False: it took the hours
    of the never-blocked window below it); see the module docstring."""
    n = len(win)
    hours = np.full(n, np.nan)
    computed = np.zeros(n, dtype=bool)
    if not n:
        return hours, computed
    step_h = step_min / 60.0
    order = np.lexsort((win.floor, win.column))
    col = win.column[order]
    starts = np.r_[0, np.flatnonzero(col[1:] != col[:-1]) + 1]
    sizes = np.diff(np.r_[starts, n])
    depth = np.arange(n) - np.repeat(starts, sizes)
    open_col = np.ones(len(starts), dtype=bool)
    col_no = np.repeat(np.arange(len(starts)), sizes)
    # floors in rounds of 1, 2, 4, 8… so that few calls cover tall buildings
    first, width = 0, 1
    while first < int(sizes.max()):
        pick = np.flatnonzero((depth >= first) & (depth < first + width) & open_col[col_no])
        if not len(pick):
            break
        idx = order[pick]
        h, ever = _hours_of(win, idx, sun, obstacles, step_h, refine)
        hours[idx] = h
        computed[idx] = True
        # the lowest never-blocked window of a column gives its hours to all above it
        clear = ~ever
        if clear.any():
            c_clear, d_clear = col_no[pick][clear], depth[pick][clear]
            lowest = pd.Series(d_clear).groupby(c_clear).idxmin().to_numpy()
            for j in lowest.tolist():
                c, d = int(c_clear[j]), int(d_clear[j])
                rest = order[starts[c] + d + 1: starts[c] + sizes[c]]
                hours[rest] = h[clear][j]
                computed[rest] = False
                open_col[c] = False
        first, width = first + width, width * 2
    return hours, computed


def _standards(buildings, climate_zone, city_size, elderly: bool):
    """Per building: 0 = the city's standard, 1 = elderly housing (冬至日 ≥ 2 h)."""
    old = elderly_mask(buildings) | bool(elderly)
    return old, (standard_for(climate_zone, city_size), standard_for(climate_zone, city_size,
                                                                      elderly=True))


class WindowStudy:
    """The dwelling windows of ``buildings`` with their standard and sun path, ready to be
    given obstacles: :meth:`hours` computes every window's hours for a set of prisms (the
    capacity search calls it once per candidate massing without rebuilding the windows)."""

    def __init__(self, layers: QueryInputs, buildings, *, climate_zone: str = "II",
                 city_size: str = "large", elderly: bool = False, year: int = DEFAULT_YEAR,
                 parcel: str | None = None, step_min: float = 10.0, spacing_m: float = 3.6,
                 storey_m: float = 3.0, sill_m: float = 0.9,
                 facade_tolerance_deg: float = 45.0, max_windows: int = 0):
        from .local import MASKED_USE  # a scenario diff's "not evaluated" mark

        self.buildings = buildings
        self.dem = load_dem(layers)
        self.step_min = step_min
        receivers = (residential_mask(buildings) | elderly_mask(buildings)) & (
            text(buildings, "use").to_numpy(dtype=object) != MASKED_USE)
        if parcel:
            receivers &= _on_parcel(layers, buildings, parcel)
        elements = layers["bim_element"] if "bim_element" in layers else None
        self.win = window_receivers(buildings, np.flatnonzero(receivers), elements, self.dem,
                                    spacing_m=spacing_m, storey_m=storey_m, sill_m=sill_m,
                                    tolerance_deg=facade_tolerance_deg)
        if max_windows and len(self.win) > max_windows:
            raise QueryError(f"window_sunlight would compute {len(self.win):,} windows, more "
                             f"than max_windows={max_windows:,}",
                             hint="choose a parcel (--parcel ID) or raise --max-windows "
                                  "(0: no limit); about 2,000 windows a second")
        old, (std_city, std_old) = _standards(buildings, climate_zone, city_size, elderly)
        self.old = old
        self.std_city = std_city
        self.need = np.full(len(self.win), np.nan)
        self.label = np.empty(len(self.win), dtype=object)
        self.days: dict[str, str] = {}
        self.groups = []
        for flag, std in ((False, std_city), (True, std_old)):
            sel = np.flatnonzero(old[self.win.building] == flag) if len(self.win) else \
                np.zeros(0, int)
            if not len(sel):
                continue
            day = standard_date(std, year)
            sun = sun_path_for([buildings], buildings.crs, day, std.start_h, std.end_h)
            self.need[sel] = std.min_hours
            self.label[sel] = std.label
            self.days[std.label] = day.isoformat()
            self.groups.append((sel, self.win.take(sel), sun))

    def hours(self, geoms, tops) -> np.ndarray:
        """Each window's sunlit hours among the prisms ``geoms`` (footprints) up to ``tops``."""
        obstacles = Obstacles(geoms, tops)
        out = np.full(len(self.win), np.nan)
        for sel, win, sun in self.groups:
            out[sel], _computed = window_hours(win, sun, obstacles, step_min=self.step_min)
        return out


def _on_parcel(layers: QueryInputs, buildings, parcel: str) -> np.ndarray:
    pid = text(buildings, "parcel_id").to_numpy(dtype=object)
    if "parcel" in layers and len(layers["parcel"]):
        parcels = layers["parcel"]
        hit = parcels[text(parcels, "id").to_numpy() == str(parcel)]
        if not len(hit):
            raise QueryError(f"no parcel with id {parcel!r}",
                             hint="see the parcel ids with `twin query select --layer parcel`")
        inside = np.zeros(len(buildings), dtype=bool)
        inside[buildings.sindex.query(hit.geometry.iloc[0], predicate="intersects")] = True
        return inside | (pid == str(parcel))
    return pid == str(parcel)


def run_window_sunlight(layers: QueryInputs, *, climate_zone: str = "II", city_size: str = "large",
                        elderly: bool = False, year: int = DEFAULT_YEAR,
                        parcel: str | None = None, step_min: float = 10.0,
                        spacing_m: float = 3.6, storey_m: float = 3.0, sill_m: float = 0.9,
                        facade_tolerance_deg: float = 45.0,
                        max_windows: int = 50_000) -> QueryResult:
    """Run ``window_sunlight``; see the module docstring."""
    buildings = layers.require("building", query="window_sunlight")
    study = WindowStudy(layers, buildings, climate_zone=climate_zone, city_size=city_size,
                        elderly=elderly, year=year, parcel=parcel, step_min=step_min,
                        spacing_m=spacing_m, storey_m=storey_m, sill_m=sill_m,
                        facade_tolerance_deg=facade_tolerance_deg, max_windows=max_windows)
    _ground, tops = building_tops(buildings, study.dem)
    hours = study.hours(buildings.geometry.to_numpy(), tops)
    win, need, label, days, old = study.win, study.need, study.label, study.days, study.old
    std_city = study.std_city
    dem = study.dem
    status = np.where(hours < need - 1e-6, "fail", "pass").astype(object)
    bids = text(buildings, "id").to_numpy(dtype=object)
    out = gpd.GeoDataFrame({
        "id": win.wid, "building_id": bids[win.building], "floor": win.floor + 1,
        "source": win.source, "facade_azimuth_deg": np.round(win.normal, 2),
        "z_m": np.round(win.z, 3), "sun_hours": np.round(hours, 3),
        "required_h": need, "standard": label, "status": status},
        geometry=gpd.GeoSeries(shapely.points(win.x, win.y), crs=buildings.crs),
        crs=buildings.crs)
    per = pd.DataFrame({"b": win.building, "h": hours, "bad": status == "fail"})
    agg = per.groupby("b").agg(windows=("h", "size"), sun_hours_min=("h", "min"),
                               windows_below=("bad", "sum"))
    homes = buildings.iloc[agg.index.to_numpy()].copy()
    homes["windows"] = agg["windows"].to_numpy()
    homes["sun_hours_min"] = np.round(agg["sun_hours_min"].to_numpy(), 3)
    homes["windows_below"] = agg["windows_below"].to_numpy().astype(int)
    homes["status"] = np.where(homes["windows_below"] > 0, "fail", "pass")
    summary = {"standard": std_city.label, "date": days.get(std_city.label, ""),
               "climate_zone": climate_zone, "city_size": city_size,
               "windows": int(len(out)), "ifc_windows": int((win.source == "ifc").sum()),
               "windows_below": int((status == "fail").sum()),
               "buildings": int(len(homes)),
               "buildings_below": int((homes["status"] == "fail").sum()),
               "elderly_buildings": int(old[np.unique(win.building)].sum()) if len(win) else 0}
    methods = {
        "standard": "GB 50180-2018 4.0.9: " + "; ".join(f"{k} on {v}" for k, v in days.items()),
        "windows": "IfcWindow (mesh bottom, nearest facade) where modelled; else per floor "
                   f"every {spacing_m:g} m of facades within {facade_tolerance_deg:g}° of "
                   f"south, sill {sill_m:g} m, storey {storey_m:g} m, on the terrain"
                   if dem is not None else "on base_elev_m",
        "hours": f"pvlib SPA every 30 s; states every {step_min:g} min, changes bisected "
                 "to ~2 s; buildings as prisms",
    }
    return QueryResult("window_sunlight", out, summary=summary, color_by="sun_hours",
                       id_column="id", status_column="status",
                       extra_layers={"buildings": homes}, methods=methods)


def window_local_plan(base_b, scen_b, changed: set, params: dict):
    """The buildings whose windows' hours a scenario can change, for the scenario diff
    (:mod:`twin.scenario.local`): the union of the ``sunlight`` plans for each standard day
    in use (the city's day, and 冬至日 when there is elderly housing), from sill 0 m."""
    from .local import LocalPlan, sunlight_receivers

    full = {**{p.name: p.default for p in _SPEC_PARAMS}, **params}
    frames = [f for f in (base_b, scen_b) if f is not None and len(f)]
    any_old = bool(full["elderly"]) or any(elderly_mask(f).any() for f in frames)
    stds = [standard_for(full["climate_zone"], full["city_size"])]
    if any_old:
        stds.append(standard_for(full["climate_zone"], full["city_size"], elderly=True))
    receivers: set = set()
    zones = []
    for std in stds:
        plan = sunlight_receivers(base_b, scen_b, changed, {
            "date": standard_date(std, full["year"]), "year": full["year"],
            "start_solar_h": std.start_h, "end_solar_h": std.end_h,
            "step_min": full["step_min"], "sill_m": 0.0})
        if plan is None:
            return None
        receivers |= set(plan.receivers)
        zones.append(plan.obstacle_zone)
    zone = None if any(z is None for z in zones) else shapely.union_all(np.asarray(zones))
    return LocalPlan(frozenset(receivers), zone)


_SPEC_PARAMS = (
    Param("climate_zone", "choice", "II", "建筑气候区划", "Climate zone",
          "GB 50178; Qingdao is II", choices=CLIMATE_ZONES),
    Param("city_size", "choice", "large", "城市规模", "City size",
          "large: 城区常住人口 ≥ 50万", choices=CITY_SIZES),
    Param("elderly", "bool", False, "按老年人居住建筑", "All as elderly housing",
          "冬至日 ≥ 2 h for every building (elderly housing is also found by its use)"),
    Param("year", "int", DEFAULT_YEAR, "年份", "Year", min=1900, max=2100),
    Param("parcel", "str", None, "地块编号", "Parcel id", "only the homes on this parcel"),
    Param("step_min", "float", 10.0, "时间步长 (分钟)", "Step (minutes)",
          "changes between steps are bisected", min=1.0, max=60.0),
    Param("spacing_m", "float", 3.6, "开间 (m)", "Window spacing (m)", min=1.0),
    Param("storey_m", "float", 3.0, "层高 (m)", "Storey height (m)", min=2.0),
    Param("sill_m", "float", 0.9, "窗台高度 (m)", "Window sill height (m)", min=0.0),
    Param("facade_tolerance_deg", "float", 45.0, "朝南容差 (°)", "South tolerance (°)",
          min=0.0, max=90.0),
    Param("max_windows", "int", 50_000, "窗户数上限", "Most windows",
          "refuse a run over this many windows (0: no limit); choose a parcel instead",
          min=0),
)

register(QuerySpec(
    name="window_sunlight",
    title_zh="窗户日照分析",
    title_en="Window sunlight hours",
    run=run_window_sunlight,
    inputs=("building",),
    optional_inputs=("bim_element", "terrain", "parcel"),
    description="Sunlight hours of every dwelling window (IfcWindow, else per floor on the "
                "south facades) on the GB 50180 standard day; flags windows below it.",
    color_by="sun_hours",
    feature_kind="window",
    status_checks={"status": "status"},
    value_columns=("sun_hours",),
    local=LocalRun("building", window_local_plan, mask_receivers),
    params=_SPEC_PARAMS,
))
