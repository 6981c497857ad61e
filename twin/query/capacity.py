"""``capacity`` (容量测算): the largest legal massing of a parcel, and what binds it.

For one parcel of area *A*:

1. the **envelope** footprint *E* (:mod:`twin.query.envelope`: setbacks, red and blue lines)
   and the **height limit** *H*: the lowest of the parcel's ``max_height_m`` and the
   protection surfaces over *E* (:mod:`twin.query.heightlimit`), above the parcel's ground;
2. the floors ``n = floor(H / storey_m)`` and the footprint cap
   ``F = min(max_density × A, area(E), (1 − min_green_ratio) × A)`` (the green ratio counts
   unbuilt land as green, an upper bound as in ``indicators``);
3. the greatest GFA ``min(max_far × A, F × n)``; the limits reaching it are *binding*
   (``far``; ``density``, ``setbacks`` or ``green`` with ``height``);
   Buildings already on the parcel are kept by default (``existing_buildings=keep``: the
   slabs stay ``existing_gap_m`` clear of them, and their footprint and GFA come off the
   caps); ``replace`` demolishes them first (the scenario edits remove them);
4. a massing: east–west slabs in rows across *E* (about ``block_depth_m`` deep with
   ``block_gap_m`` between rows), their depth solved by bisection so that they cover
   ``min(F, max_far × A / n)``, all ``n`` floors high;
5. **sunlight**: the existing dwelling windows the massing can shade
   (:func:`twin.query.window_sunlight.window_local_plan`) are computed without and with it;
   no window that met the GB 50180 standard may fall below it, and no window below it may
   lose more than a minute. When the massing harms one, the floors are cut by bisection
   (the footprint widened back towards *F* as far as the FAR allows) to the tallest that
   harms none, and ``sunlight`` is named binding.

The result layer is the massing as buildings (``use`` from the parcel's land use, ``source
= capacity``); :func:`massing_edits` turns it into scenario edits and
:func:`add_massing_to_scenario` saves them into a scenario in one call.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import QueryError
from .common import as_fraction, numeric, text
from .envelope import envelope_footprints, red_and_blue_zones
from .heightlimit import height_limit_over
from .inputs import QueryInputs
from .local import LocalPlan as LocalPlanFor
from .registry import Param, QueryResult, QuerySpec, register
from .setbacks import SKIP_ROAD_CLASSES
from .sunlight import DEFAULT_YEAR
from .sunlight_standard import CITY_SIZES, CLIMATE_ZONES
from .surface import ground_at, load_dem

__all__ = ["massing_blocks", "SunlightCheck", "run_capacity", "massing_edits",
           "add_massing_to_scenario"]

_LOSS_H = 1.0 / 60.0


def massing_blocks(envelope, target_m2: float, *, block_depth_m: float = 12.0,
                   block_gap_m: float = 18.0, min_width_m: float = 8.0) -> np.ndarray:
    """Slab footprints inside ``envelope`` covering ``target_m2`` (see the module docstring;
    the whole envelope when the target is at least its area)."""
    if envelope is None or envelope.is_empty or target_m2 <= 0:
        return np.zeros(0, dtype=object)
    total = envelope.area
    if target_m2 >= total * (1 - 1e-9):
        return np.asarray(shapely.get_parts(envelope), dtype=object)
    minx, miny, maxx, maxy = envelope.bounds
    span = maxy - miny
    rows = max(1, int(round((span + block_gap_m) / (block_depth_m + block_gap_m))))

    def keep_wide(parts):
        # slivers narrower than a building (beside an existing one, at a corner) are dropped
        wide = ~shapely.is_empty(shapely.buffer(parts, -min_width_m / 2))
        return parts[wide & (shapely.area(parts) > 1.0)]

    def bisect(make):
        lo, hi = 0.0, 1.0
        for _ in range(40):
            mid = (lo + hi) / 2
            if shapely.area(make(mid)).sum() < target_m2:
                lo = mid
            else:
                hi = mid
        return make(hi)

    def slabs(n_rows: int):
        pitch = span / n_rows
        centre = miny + (np.arange(n_rows) + 0.5) * pitch

        def bars(u: float):
            half = u * pitch / 2
            return keep_wide(shapely.get_parts(shapely.intersection(
                envelope, shapely.box(minx, centre - half, maxx, centre + half))))
        return bisect(bars)

    # rows at least min_width_m deep can overshoot a small target: fewer rows, and at last
    # one row shortened from the west, until the slabs stay within it (0.5 %)
    for n_rows in range(rows, 0, -1):
        parts = slabs(n_rows)
        if shapely.area(parts).sum() <= target_m2 * 1.005:
            return np.asarray(parts, dtype=object)
    full = slabs(1)
    return np.asarray(bisect(lambda v: keep_wide(shapely.get_parts(shapely.intersection(
        shapely.union_all(full), shapely.box(minx, miny, minx + v * (maxx - minx), maxy))))),
        dtype=object)


class SunlightCheck:
    """The existing windows a massing on one parcel can shade, their hours without it, and
    a test of a candidate massing (see the module docstring). The windows, their standard
    and the nearby obstacles are prepared once; each test only recomputes the hours."""

    def __init__(self, layers: QueryInputs, reach_blocks: gpd.GeoDataFrame, params: dict):
        from .local import mask_receivers
        from .surface import building_tops
        from .window_sunlight import WindowStudy, window_local_plan

        base = layers["building"]
        ids = set(text(reach_blocks, "id"))
        plan = window_local_plan(base, _with_blocks(base, reach_blocks), ids, params)
        self.receivers = set(plan.receivers) - ids if plan is not None else set()
        self.before = None
        self.windows = 0
        self.calls = 0
        if not self.receivers:
            return
        masked = mask_receivers(base, LocalPlanFor(self.receivers, plan.obstacle_zone))
        self.study = WindowStudy(layers, masked, **params)
        _g, tops = building_tops(masked, self.study.dem)
        near = tops > -1e3  # buildings out of every receiver's reach were dropped
        self.geoms = masked.geometry.to_numpy()[near]
        self.tops = tops[near]
        self.ids = text(masked, "id").to_numpy(dtype=object)
        self.before = self.study.hours(self.geoms, self.tops)
        self.windows = len(self.before)

    def harmed(self, blocks: gpd.GeoDataFrame) -> pd.DataFrame:
        """The existing windows ``blocks`` would harm, with hours before and after."""
        cols = ["id", "building_id", "before_h", "after_h", "need_h"]
        if self.before is None or not len(blocks):
            return pd.DataFrame(columns=cols)
        self.calls += 1
        btops = numeric(blocks, "base_elev_m", 0.0) + numeric(blocks, "height_m", 0.0)
        after = self.study.hours(np.concatenate([self.geoms, blocks.geometry.to_numpy()]),
                                 np.concatenate([self.tops, btops]))
        need = self.study.need
        met = self.before >= need - 1e-6
        bad = (met & (after < need - 1e-6)) | (~met & (after < self.before - _LOSS_H))
        win = self.study.win
        return pd.DataFrame({"id": win.wid[bad], "building_id": self.ids[win.building[bad]],
                             "before_h": np.round(self.before[bad], 3),
                             "after_h": np.round(after[bad], 3), "need_h": need[bad]})


def _with_blocks(base: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not len(blocks):
        return base
    add = blocks.to_crs(base.crs) if base.crs is not None and blocks.crs != base.crs else blocks
    return gpd.GeoDataFrame(pd.concat([base, add], ignore_index=True), geometry="geometry",
                            crs=base.crs)


def _raise_blocks(blocks, check: SunlightCheck, low: int, high: int, storey_m: float,
                  gfa_cap: float) -> gpd.GeoDataFrame:
    """Raise each block alone, from the south, to the most floors (≤ ``high``) that harm
    no window with the others as they are, within the GFA cap: the top is tried first,
    then the floors are bisected."""
    blocks = blocks.copy()
    area = shapely.area(blocks.geometry.to_numpy())
    order = np.argsort(shapely.bounds(blocks.geometry.to_numpy())[:, 1], kind="stable")
    for k in order.tolist():
        others = float((area * blocks["floors"].to_numpy()).sum() - area[k] * blocks[
            "floors"].iloc[k])
        top = min(high, int(np.floor((gfa_cap - others) / max(area[k], 1e-9) + 1e-9)))
        lo, hi = int(blocks["floors"].iloc[k]), top + 1
        if top > lo:  # a block that shades no window goes straight to the top
            trial = blocks.copy()
            trial.loc[trial.index[k], ["floors", "height_m"]] = [top, top * storey_m]
            if not len(check.harmed(trial)):
                lo = top
        while hi - lo > 1:
            mid = (lo + hi) // 2
            trial = blocks.copy()
            trial.loc[trial.index[k], ["floors", "height_m"]] = [mid, mid * storey_m]
            if len(check.harmed(trial)):
                hi = mid
            else:
                lo = mid
        blocks.loc[blocks.index[k], ["floors", "height_m"]] = [lo, lo * storey_m]
    blocks["gfa_m2"] = np.round(area * blocks["floors"].to_numpy(), 3)
    return blocks


def _existing(layers: QueryInputs, geom):
    """The buildings standing on the parcel (their representative point in it), their GFA
    and footprint on it."""
    if "building" not in layers or not len(layers["building"]):
        return None, 0.0, 0.0
    from .common import building_gfa

    b = layers["building"]
    near = b.iloc[b.sindex.query(geom, predicate="intersects")]
    if not len(near):
        return None, 0.0, 0.0
    on = shapely.contains(geom, shapely.point_on_surface(near.geometry.to_numpy()))
    near = near[on]
    gfa, _m = building_gfa(near)
    return near, float(np.sum(gfa)), float(shapely.area(near.geometry.to_numpy()).sum())


def _use_of(land_use: str) -> str:
    code = str(land_use or "").strip()
    return "R" if code.upper().startswith("R") or not code else code


def _blocks_frame(geoms, floors, storey_m: float, ground: float, parcel_id: str,
                  land_use: str, crs) -> gpd.GeoDataFrame:
    n = len(geoms)
    area = shapely.area(geoms) if n else np.zeros(0)
    floors = np.broadcast_to(np.asarray(floors, dtype=int), (n,))
    return gpd.GeoDataFrame({
        "id": [f"CAP-{parcel_id}-{k + 1}" for k in range(n)],
        "name": [f"{parcel_id} 容量测算 {k + 1}" for k in range(n)],
        "use": _use_of(land_use), "height_m": floors * float(storey_m), "floors": floors,
        "base_elev_m": float(ground), "gfa_m2": np.round(area * floors, 3),
        "source": "capacity", "ifc_guid": None, "parcel_id": parcel_id},
        geometry=gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=crs), crs=crs)


def run_capacity(layers: QueryInputs, *, parcel: str | None = None, storey_m: float = 3.0,
                 block_depth_m: float = 12.0, block_gap_m: float = 18.0, setback_m: float = 0.0,
                 road_setback_m: float = 0.0, road_setback_by_class: str | None = None,
                 sunlight: bool = True, climate_zone: str = "II", city_size: str = "large",
                 year: int = DEFAULT_YEAR, step_min: float = 10.0,
                 existing_buildings: str = "keep", existing_gap_m: float = 6.0) -> QueryResult:
    """Run ``capacity`` for one parcel; see the module docstring."""
    if not parcel:
        raise QueryError("capacity needs a parcel", hint="--parcel ID (see `twin query select "
                                                          "--layer parcel`)")
    parcels = layers.require("parcel", query="capacity")
    row = parcels[text(parcels, "id").to_numpy() == str(parcel)]
    if not len(row):
        raise QueryError(f"no parcel with id {parcel!r}",
                         hint="see the parcel ids with `twin query select --layer parcel`")
    row = row.iloc[[0]]
    crs = parcels.crs
    geom = row.geometry.iloc[0]
    area = float(geom.area)
    zones = red_and_blue_zones(layers, road_setback_m=road_setback_m,
                               road_setback_by_class=road_setback_by_class,
                               skip_road_classes=SKIP_ROAD_CLASSES)
    own_setback = numeric(row, "setback_m")[0]
    env = envelope_footprints([geom], own_setback if not np.isnan(own_setback) else setback_m,
                              zones)[0]
    env_area = float(env.area) if env is not None else 0.0
    dem = load_dem(layers)
    rep = shapely.point_on_surface(geom)
    ground = float(ground_at(dem, [rep.x], [rep.y], 0.0)[0])
    if dem is None and "building" in layers and len(layers["building"]):
        near = layers["building"]
        base = numeric(near.iloc[near.sindex.query(geom.buffer(200))], "base_elev_m")
        if np.isfinite(base).any():
            ground = float(np.nanmedian(base))
    existing, ex_gfa, ex_foot = _existing(layers, geom)
    ex_ids = text(existing, "id").tolist() if existing is not None else []
    if existing is not None and len(existing):
        if existing_buildings == "keep" and env is not None:
            env = shapely.difference(env, shapely.union_all(shapely.buffer(
                existing.geometry.to_numpy(), existing_gap_m)))
            env_area = float(env.area)
        elif existing_buildings == "replace":
            keep = ~text(layers["building"], "id").isin(set(ex_ids)).to_numpy()
            layers = layers.copy().override("building", layers["building"][keep])
            ex_gfa = ex_foot = 0.0
    limit, surface_name = height_limit_over([env if env is not None else geom],
                                            numeric(row, "max_height_m"), layers, [ground])
    height = float(limit[0])
    if np.isnan(height):
        raise QueryError(f"parcel {parcel!r} has no height limit (max_height_m) and no surface "
                         f"over it", hint="set max_height_m on the parcel")
    far = float(numeric(row, "max_far")[0])
    density = float(as_fraction(numeric(row, "max_density"))[0])
    green = float(as_fraction(numeric(row, "min_green_ratio"))[0])
    floors = max(0, int(np.floor(height / storey_m + 1e-9)))
    caps = {"density": max(0.0, density * area - ex_foot) if np.isfinite(density) else np.inf,
            "setbacks": env_area,
            "green": max(0.0, (1 - green) * area - ex_foot) if np.isfinite(green) else np.inf}
    foot_cap = min(caps.values())
    gfa_caps = {"far": max(0.0, far * area - ex_gfa) if np.isfinite(far) else np.inf,
                **{k: v * floors for k, v in caps.items()}}
    gfa_best = min(gfa_caps.values())
    land_use = text(row, "land_use").iloc[0]
    pid = str(parcel)

    def massing(n: int) -> gpd.GeoDataFrame:
        if n <= 0:
            return _blocks_frame([], 0, storey_m, ground, pid, land_use, crs)
        foot = min(foot_cap, gfa_caps["far"] / n)
        return _blocks_frame(massing_blocks(env, foot, block_depth_m=block_depth_m,
                                            block_gap_m=block_gap_m),
                             n, storey_m, ground, pid, land_use, crs)

    best_n = floors
    blocks = massing(best_n)
    harmed = pd.DataFrame()
    checked = 0
    calls = 0
    sun_bound = False
    if sunlight and "building" in layers and len(layers["building"]) and len(blocks):
        params = {"climate_zone": climate_zone, "city_size": city_size, "year": year,
                  "step_min": step_min}
        reach = _blocks_frame([env], floors, storey_m, ground, pid, land_use, crs)
        check = SunlightCheck(layers, reach, params)
        checked = check.windows
        harmed = check.harmed(blocks)
        if len(harmed):
            sun_bound = True
            lo, hi = 0, floors  # lo: harms none (no massing), hi: harms some
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if len(check.harmed(massing(mid))):
                    hi = mid
                else:
                    lo = mid
            best_n = lo
            blocks = massing(best_n)
            if len(blocks):
                blocks = _raise_blocks(blocks, check, best_n, floors, storey_m,
                                       gfa_caps["far"])
        calls = check.calls
    gfa = float(blocks["gfa_m2"].sum()) if len(blocks) else 0.0
    footprint = float(shapely.area(blocks.geometry.to_numpy()).sum()) if len(blocks) else 0.0
    if sun_bound:
        binding = ["sunlight"]
    else:
        binding = [k for k, v in gfa_caps.items() if v <= gfa_best * 1.005]
        if any(k != "far" for k in binding):
            binding.append("height" if not surface_name[0] else f"height ({surface_name[0]})")
    table = pd.DataFrame({
        "constraint": ["far", "density", "setbacks", "green", "height", "sunlight"],
        "limit": [far, density, env_area, green, height, "GB 50180"],
        "gfa_cap_m2": [round(gfa_caps["far"], 3), round(gfa_caps["density"], 3),
                       round(gfa_caps["setbacks"], 3), round(gfa_caps["green"], 3),
                       round(foot_cap * floors, 3), round(gfa, 3) if sun_bound else np.nan],
        "binding": [any(b.startswith(k) for b in binding) for k in
                    ("far", "density", "setbacks", "green", "height", "sunlight")]})
    summary = {"parcel": pid, "area_m2": round(area, 3), "envelope_area_m2": round(env_area, 3),
               "height_limit_m": round(height, 3),
               "floors": int(blocks["floors"].max()) if len(blocks) else 0,
               "floors_allowed": int(floors), "footprint_m2": round(footprint, 3),
               "gfa_m2": round(gfa, 3), "existing_buildings": int(len(ex_ids)),
               "existing_gfa_m2": round(ex_gfa, 3),
               "far": round((gfa + ex_gfa) / area, 4) if area else 0.0,
               "far_limit": far, "gfa_without_sunlight_m2": round(min(gfa_best, foot_cap
                                                                      * floors), 3),
               "blocks": int(len(blocks)), "binding": ",".join(binding),
               "windows_checked": int(checked), "sunlight_evaluations": int(calls),
               "windows_harmed_by_max": int(len(harmed)) if sun_bound else 0}
    methods = {
        "envelope": "parcel minus setbacks, red and blue lines (envelope query)",
        "height": f"min(max_height_m, protection surfaces over the envelope) = {height:g} m; "
                  f"floors = floor(H / {storey_m:g} m)",
        "footprint": "min(density × area, envelope area, (1 − green) × area)",
        "massing": f"east–west slabs ~{block_depth_m:g} m deep, {block_gap_m:g} m apart, depth "
                   "solved by bisection",
        "sunlight": "existing windows may not fall below GB 50180 (or lose > 1 min when "
                    "already below); floors cut by bisection" if sunlight else "not checked",
    }
    tables = {"constraints": table}
    if existing_buildings == "replace" and ex_ids:
        tables["replaced"] = pd.DataFrame({"id": ex_ids})
    if len(harmed):
        tables["harmed_windows"] = harmed.reset_index(drop=True)
    return QueryResult("capacity", blocks, summary=summary, table=table, color_by="floors",
                       id_column="id", tables=tables,
                       extra_layers={"envelope": gpd.GeoDataFrame(
                           {"id": [pid], "extrude_m": [height]},
                           geometry=gpd.GeoSeries([env], crs=crs), crs=crs)},
                       methods=methods)


def massing_edits(result: QueryResult) -> list:
    """The massing of a ``capacity`` result as ``add_building`` scenario edits (working CRS)."""
    from ..crs import working_crs
    from ..scenario import AddBuilding, RemoveBuilding

    crs = result.layer.crs or working_crs()
    replaced = result.tables.get("replaced")
    edits = [RemoveBuilding(id=str(i)) for i in (replaced["id"] if replaced is not None
                                                  else [])]
    for _, r in result.layer.iterrows():
        ring = shapely.get_coordinates(shapely.get_exterior_ring(r.geometry))[:-1]
        edits.append(AddBuilding(footprint=tuple(map(tuple, ring.tolist())),
                                 height_m=float(r["height_m"]), floors=int(r["floors"]),
                                 use=str(r["use"]), id=str(r["id"]), name=str(r["name"]),
                                 base_elev_m=float(r["base_elev_m"]),
                                 crs=crs.to_string()))
    return edits


def add_massing_to_scenario(store, scenario: str, result: QueryResult) -> int:
    """Append the massing of ``result`` to the scenario ``scenario`` (created when it does
    not exist; blocks of the same id are replaced) and save it; returns the version."""
    from ..scenario import Scenario, load_scenario, save_scenario

    try:
        scen = load_scenario(store, scenario) if scenario in store.scenarios() else \
            Scenario(scenario, description="容量测算 capacity massing")
    except Exception as exc:  # noqa: BLE001 - a scenario that cannot be read is named
        raise QueryError(f"cannot read scenario {scenario!r} ({exc})") from None
    new = massing_edits(result)
    ids = {(e.op, e.id) for e in new}
    scen.edits = [e for e in scen.edits if (e.op, getattr(e, "id", None)) not in ids] + new
    return save_scenario(store, scen)


register(QuerySpec(
    name="capacity",
    title_zh="容量测算",
    title_en="Parcel capacity",
    run=run_capacity,
    inputs=("parcel",),
    optional_inputs=("building", "road", "river", "feature", "terrain", "bim_element"),
    description="The largest legal GFA of a parcel under its setbacks, height limit and "
                "surfaces, density, green ratio, FAR and the neighbours' sunlight, as a "
                "massing to add to a scenario; names the binding constraint.",
    color_by="floors",
    diff=False,
    feature_kind="building",
    value_columns=("floors", "height_m", "gfa_m2"),
    params=(
        Param("parcel", "str", None, "地块编号", "Parcel id", "the parcel to fill"),
        Param("storey_m", "float", 3.0, "层高 (m)", "Storey height (m)", min=2.0),
        Param("block_depth_m", "float", 12.0, "楼栋进深 (m)", "Block depth (m)", min=4.0),
        Param("block_gap_m", "float", 18.0, "楼栋间距 (m)", "Gap between blocks (m)", min=0.0),
        Param("setback_m", "float", 0.0, "用地边界退让 (m)", "Boundary setback (m)", min=0.0),
        Param("road_setback_m", "float", 0.0, "退红线距离 (m)", "Extra road setback (m)",
              min=0.0),
        Param("road_setback_by_class", "str", None, "分级退让", "Setback by road class",
              "e.g. primary=10,secondary=5"),
        Param("existing_buildings", "choice", "keep", "现状建筑", "Existing buildings",
              "keep: build around them; replace: demolish them first",
              choices=("keep", "replace")),
        Param("existing_gap_m", "float", 6.0, "与现状建筑间距 (m)", "Gap to existing (m)",
              min=0.0),
        Param("sunlight", "bool", True, "检查周边日照", "Check neighbours' sunlight"),
        Param("climate_zone", "choice", "II", "建筑气候区划", "Climate zone",
              choices=CLIMATE_ZONES),
        Param("city_size", "choice", "large", "城市规模", "City size", choices=CITY_SIZES),
        Param("year", "int", DEFAULT_YEAR, "年份", "Year", min=1900, max=2100),
        Param("step_min", "float", 10.0, "时间步长 (分钟)", "Step (minutes)", min=1.0),
    ),
))
