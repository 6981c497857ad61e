"""The planning-analysis sections of the review report (规划审查报告): the control envelope
(控规盒) of each reviewed parcel with the buildings poking out of it, the buildings over their
height limit (parcel or protection surface), and, for chosen parcels, the window-level
sunlight of their homes (GB 50180); on request the capacity (容量测算) of each chosen
parcel, and from a viewpoint the viewshed / sight lines (可视域 / 通视) and the skyline
(天际线), before and after a scenario when one is given.

:func:`build_planning` runs the queries for the reviewed parcels; :func:`planning_html`
writes the sections with the report's own table helper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..i18n import t
from ..query import run
from ..query.common import text
from .skychart import SkylineSeries, skyline_chart
from .svgmap import MapLayer, svg_map

__all__ = ["PlanningReview", "build_planning", "planning_html", "capacity_map_layers",
           "skyline_svg"]


@dataclass
class PlanningReview:
    """The planning results restricted to the reviewed parcels and their buildings."""

    envelope: pd.DataFrame
    outside: pd.DataFrame
    height: pd.DataFrame
    windows: pd.DataFrame | None
    window_buildings: pd.DataFrame | None
    results: list
    capacity: dict = field(default_factory=dict)  # parcel id -> capacity QueryResult
    capacity_asked: bool = False
    viewshed: object | None = None
    sightline: object | None = None
    skyline: object | None = None
    skyline_after: object | None = None
    layers: object | None = None


def build_planning(layers, parcel_ids: set[str], building_ids: set[str], *,
                   road_setback_m: float = 0.0, windows: bool = False,
                   capacity: bool = False, viewpoint: str | None = None,
                   targets: str | None = None, radius_m: float = 500.0,
                   after=None) -> PlanningReview:
    """Run ``envelope`` and ``height_limit`` (and ``window_sunlight`` for the parcels' homes
    when ``windows``) and keep the rows of the reviewed parcels and buildings.

    ``capacity`` runs ``capacity`` for every reviewed parcel; a ``viewpoint`` runs
    ``viewshed`` (within ``radius_m``) and ``skyline`` (and ``sightline`` to ``targets``);
    ``after`` (the scenario's layers) adds the skyline after the scenario."""
    env = run("envelope", layers, road_setback_m=road_setback_m)
    env_rows = env.layer[text(env.layer, "id").isin(parcel_ids).to_numpy()]
    out = env.extra_layers.get("outside")
    out_rows = out[text(out, "parcel_id").isin(parcel_ids).to_numpy()] if out is not None \
        else pd.DataFrame(columns=["id", "parcel_id", "volume_outside_m3"])
    results = [env]
    height_rows = pd.DataFrame(columns=["id", "status"])
    if "building" in layers and len(layers["building"]):
        hl = run("height_limit", layers)
        results.append(hl)
        height_rows = hl.layer[text(hl.layer, "id").isin(building_ids).to_numpy()
                               & (hl.layer["status"] == "fail").to_numpy()]
    win_rows = win_b = None
    if windows and building_ids and "building" in layers:
        from ..query.local import LocalPlan, mask_receivers

        only = layers.copy().override("building", mask_receivers(
            layers["building"], LocalPlan(frozenset(building_ids))))
        ws = run("window_sunlight", only)
        results.append(ws)
        win_rows = ws.layer[(ws.layer["status"] == "fail").to_numpy()]
        win_b = ws.extra_layers.get("buildings")
    pr = PlanningReview(envelope=env_rows, outside=out_rows, height=height_rows,
                        windows=win_rows, window_buildings=win_b, results=results,
                        capacity_asked=capacity, layers=layers)
    if capacity:
        for pid in sorted(parcel_ids):
            pr.capacity[pid] = run("capacity", layers, parcel=pid, road_setback_m=road_setback_m)
        results.extend(pr.capacity.values())
    if viewpoint and "building" in layers and len(layers["building"]):
        pr.viewshed = run("viewshed", layers, viewpoint=viewpoint, radius_m=radius_m)
        pr.skyline = run("skyline", layers, viewpoint=viewpoint, radius_m=max(radius_m, 3000.0))
        results.extend([pr.viewshed, pr.skyline])
        if targets:
            pr.sightline = run("sightline", layers, viewpoint=viewpoint, targets=targets)
            results.append(pr.sightline)
        if after is not None:
            pr.skyline_after = run("skyline", after, viewpoint=viewpoint,
                                   radius_m=max(radius_m, 3000.0))
    return pr


def _bi(key: str, **fields) -> str:
    """The catalogue text of ``key`` in Chinese, then English (the report is bilingual)."""
    return f"{t(key, 'zh', **fields)} {t(key, 'en', **fields)}"


def _cols(pairs) -> list[tuple[str, str]]:
    return [(col, _bi(key)) for col, key in pairs]


def capacity_map_layers(pr: PlanningReview | None, parcel_id: str) -> list[MapLayer]:
    """The capacity envelope and massing of ``parcel_id`` for its parcel map (none when the
    report has no capacity for it)."""
    res = pr.capacity.get(parcel_id) if pr is not None else None
    if res is None:
        return []
    items = []
    env = res.extra_layers.get("envelope")
    if env is not None and len(env):
        items.append(MapLayer([g for g in env.geometry if g is not None], fill="none",
                              stroke="#8a5a00", width=1.2, dash="6 3",
                              label=_bi("report.capacity.envelope")))
    if len(res.layer):
        items.append(MapLayer(list(res.layer.geometry), fill="#f2b04c", stroke="#8a5a00",
                              width=0.8, opacity=0.75,
                              titles=[f"{i} · {int(f)} F · {g:,.0f} m²" for i, f, g in zip(
                                  res.layer["id"], res.layer["floors"], res.layer["gfa_m2"],
                                  strict=True)],
                              label=_bi("report.capacity.massing")))
    return items


def _capacity_html(pr: PlanningReview, table) -> str:
    out = [f"<h3>{_bi('report.capacity.title')}</h3>"]
    if not pr.capacity:
        out.append(f"<p class='meta'>{_bi('report.capacity.chosen_only')}</p>")
        return "".join(out)
    rows = []
    for pid, res in pr.capacity.items():
        s = res.summary
        rows.append({"parcel": pid, "gfa_m2": s["gfa_m2"], "far": s["far"],
                     "far_limit": s["far_limit"], "floors": s["floors"],
                     "footprint_m2": s["footprint_m2"], "blocks": s["blocks"],
                     "binding": s["binding"],
                     "gfa_without_sunlight_m2": s["gfa_without_sunlight_m2"]})
    out.append(table(pd.DataFrame(rows), _cols([
        ("parcel", "report.col.parcel"), ("gfa_m2", "report.capacity.gfa"),
        ("far", "report.capacity.far"), ("far_limit", "report.capacity.far_limit"),
        ("floors", "report.capacity.floors"), ("footprint_m2", "report.capacity.footprint"),
        ("blocks", "report.capacity.blocks"), ("binding", "report.capacity.binding"),
        ("gfa_without_sunlight_m2", "report.capacity.gfa_without_sunlight")])))
    for pid, res in pr.capacity.items():
        cons = res.tables["constraints"].copy()
        cons["binding"] = np.where(cons["binding"], "●", "")
        out.append(f"<p class='meta'>{_bi('report.capacity.constraints', parcel=pid)}</p>"
                   + table(cons, _cols([("constraint", "report.capacity.constraint"),
                                        ("limit", "report.capacity.limit"),
                                        ("gfa_cap_m2", "report.capacity.gfa_cap"),
                                        ("binding", "report.capacity.binding")])))
    out.append(f"<p class='meta'>{_bi('report.capacity.on_map')}</p>")
    return "".join(out)


def _view_map(pr: PlanningReview) -> str:
    vs = pr.viewshed
    vp = vs.extra_layers["viewpoint"].geometry.iloc[0]
    r = float(vs.summary["radius_m"])
    disc = vp.buffer(r, 64)
    items = [MapLayer(list(vs.extra_layers["visible_area"].geometry), fill="#ffe08a",
                      stroke="none", width=0, opacity=0.8,
                      label=_bi("report.view.visible_area")),
             MapLayer([disc.exterior], stroke="#999", width=0.8, dash="4 3",
                      label=_bi("report.view.radius"))]
    layers = pr.layers
    for kind, colour in (("river", "#4a90d9"), ("road", "#888")):
        if kind in layers and len(layers[kind]):
            f = layers[kind]
            sel = f.iloc[f.sindex.query(disc)]
            items.append(MapLayer([g.intersection(disc) for g in sel.geometry], stroke=colour,
                                  width=1.5))
    b = layers["building"]
    sel = b.iloc[b.sindex.query(disc)]
    ids = text(sel, "id").tolist()
    seen = set(text(vs.layer, "id"))
    items.append(MapLayer(list(sel.geometry), stroke="#333", width=0.5, titles=ids,
                          fills=["#d9534f" if i in seen else "#d8d8d8" for i in ids],
                          legend=[("#d9534f", _bi("report.view.visible_building"))]))
    if pr.sightline is not None:
        sl = pr.sightline.layer
        for sight, colour in (("clear", "#1a7f37"), ("blocked", "#c62828")):
            part = sl[sl["sight"] == sight]
            if len(part):
                items.append(MapLayer(list(part.geometry), stroke=colour, width=1.4,
                                      titles=list(part["id"] + " " + part["target"]),
                                      label=_bi(f"report.view.sight_{sight}")))
    items.append(MapLayer([vp], fill="#1f4e9c", stroke="#fff", width=1.0, radius=5,
                          label=_bi("report.view.viewpoint")))
    return svg_map(items, bbox=disc.bounds, width=640)


def _view_html(pr: PlanningReview, table) -> str:
    vs = pr.viewshed
    s = vs.summary
    out = [f"<h3>{_bi('report.view.title')}</h3>",
           "<p>" + _bi("report.view.summary", viewpoint=s["viewpoint"],
                       radius=f"{s['radius_m']:g}", area=f"{s['visible_area_m2']:,.0f}",
                       share=f"{100 * s['visible_share']:.1f}", n=s["visible_buildings"],
                       total=s["buildings_in_radius"]) + "</p>",
           f"<div class='map'>{_view_map(pr)}</div>",
           table(vs.layer.sort_values("distance_m"), _cols([
               ("id", "report.col.building"), ("distance_m", "report.view.distance"),
               ("top_elev_m", "report.view.top_elev"),
               ("visible_share", "report.view.visible_share")]))]
    if pr.sightline is not None:
        out.append(f"<p class='meta'>{_bi('report.view.sightlines')}</p>" + table(
            pr.sightline.layer, _cols([
                ("id", "report.view.line"), ("target", "report.view.target"),
                ("distance_m", "report.view.distance"), ("sight", "report.view.sight"),
                ("blocked_by", "report.view.blocked_by"),
                ("clearance_m", "report.view.clearance"), ("status", "report.col.result")])))
    return "".join(out)


def skyline_svg(pr: PlanningReview) -> str:
    """The skyline chart: the profile now, and after the scenario overlaid when given."""
    series = [SkylineSeries(pr.skyline.tables["profile"], "#1f4e9c",
                            _bi("report.skyline.before" if pr.skyline_after is not None
                                else "report.skyline.now"))]
    if pr.skyline_after is not None:
        series.append(SkylineSeries(pr.skyline_after.tables["profile"], "#d9534f",
                                    _bi("report.skyline.after"), dash="4 2"))
    return skyline_chart(series, x_label=_bi("report.skyline.azimuth"),
                         y_label=_bi("skyline.elevation"), title=_bi("skyline.chart"))


def _skyline_html(pr: PlanningReview, table) -> str:
    s = pr.skyline.summary
    out = [f"<h3>{_bi('report.skyline.title')}</h3>",
           "<p>" + _bi("report.skyline.summary", viewpoint=s["viewpoint"],
                       max=f"{s['max_elevation_deg']:.2f}", az=f"{s['max_azimuth_deg']:g}",
                       mean=f"{s['mean_elevation_deg']:.2f}", n=s["skyline_buildings"])
           + "</p>",
           f"<div class='map'>{skyline_svg(pr)}</div>"]
    if pr.skyline_after is not None:
        from ..query.skyline import compare_profiles

        a = pr.skyline_after.summary
        out.append("<p>" + _bi("report.skyline.after_summary",
                               max=f"{a['max_elevation_deg']:.2f}",
                               mean=f"{a['mean_elevation_deg']:.2f}") + "</p>")
        ch = compare_profiles(pr.skyline.tables["profile"], pr.skyline_after.tables["profile"])
        ch = ch[ch["delta_deg"].abs() > 1e-6]
        out.append(f"<p class='meta'>{_bi('report.skyline.changed', n=len(ch))}</p>" + table(
            ch, _cols([("azimuth_deg", "report.skyline.azimuth"),
                       ("elevation_deg_before", "report.skyline.before"),
                       ("elevation_deg_after", "report.skyline.after"),
                       ("delta_deg", "report.skyline.delta"),
                       ("source_after", "report.skyline.source")]), limit=60))
    sb = pr.skyline.layer.sort_values("skyline_bins", ascending=False)
    out.append(table(sb, _cols([("id", "report.col.building"),
                                ("skyline_bins", "report.skyline.bins"),
                                ("max_elevation_deg", "report.skyline.max")]), limit=40))
    return "".join(out)


def planning_html(pr: PlanningReview | None, table) -> str:
    """The report sections; ``table(frame, [(column, label)…])`` is the report's table."""
    if pr is None:
        return ""
    out = ["<h2>4 规划分析 Planning analysis</h2>"]
    out.append("<h3>控规盒 Control envelope</h3>" + table(pr.envelope, [
        ("id", "地块 parcel"), ("envelope_area_m2", "可建范围 m²"),
        ("envelope_height_m", "限高 m"), ("envelope_volume_m3", "控规盒体积 m³"),
        ("max_gfa_m2", "建筑面积上限 m²"), ("max_footprint_m2", "基底面积上限 m²"),
        ("buildings_outside", "超出建筑"), ("volume_outside_m3", "超出体积 m³"),
        ("status", "结论 result")]))
    if len(pr.outside):
        out.append("<p class='meta'>超出控规盒的建筑 Buildings outside the envelope</p>"
                   + table(pr.outside, [
                       ("id", "建筑 building"), ("parcel_id", "地块 parcel"),
                       ("height_m", "高度 m"), ("outside_m2", "退让内面积 m²"),
                       ("over_height_m", "超高 m"), ("volume_outside_m3", "超出体积 m³")]))
    out.append("<h3>限高 Height limits (地块限高与保护面)</h3>" + table(pr.height, [
        ("id", "建筑 building"), ("top_elev_m", "顶高程 m"),
        ("allowed_top_elev_m", "允许顶高程 m"), ("excess_m", "超高 m"),
        ("binding", "控制要素 limit"), ("status", "结论")]))
    if pr.windows is not None:
        counts = ""
        if pr.window_buildings is not None and len(pr.window_buildings):
            wb = pr.window_buildings
            counts = (f"<p>住宅 {len(wb)} 栋 homes · 窗户 {int(wb['windows'].sum())} windows · "
                      f"不达标 {int(wb['windows_below'].sum())} below the standard</p>")
        out.append("<h3>窗户日照 Window sunlight (GB 50180-2018)</h3>" + counts + table(
            pr.windows, [("id", "窗户 window"), ("building_id", "建筑 building"),
                         ("floor", "楼层 floor"), ("sun_hours", "日照 h"),
                         ("required_h", "标准 h"), ("standard", "标准日"),
                         ("status", "结论")], limit=200))
    elif pr.windows is None:
        out.append("<p class='meta'>窗户日照：为所选地块计算（twin report --parcel ID）。"
                   "Window sunlight is computed for chosen parcels.</p>")
    if pr.capacity_asked:
        out.append(_capacity_html(pr, table))
    if pr.viewshed is not None:
        out.append(_view_html(pr, table))
    if pr.skyline is not None:
        out.append(_skyline_html(pr, table))
    return "".join(out)

