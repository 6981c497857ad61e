"""The planning-analysis sections of the review report (规划审查报告): the control envelope
(控规盒) of each reviewed parcel with the buildings poking out of it, the buildings over their
height limit (parcel or protection surface), and, for chosen parcels, the window-level
sunlight of their homes (GB 50180).

:func:`build_planning` runs the queries for the reviewed parcels; :func:`planning_html`
writes the sections with the report's own table helper.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..query import run
from ..query.common import text

__all__ = ["PlanningReview", "build_planning", "planning_html"]


@dataclass
class PlanningReview:
    """The planning results restricted to the reviewed parcels and their buildings."""

    envelope: pd.DataFrame
    outside: pd.DataFrame
    height: pd.DataFrame
    windows: pd.DataFrame | None
    window_buildings: pd.DataFrame | None
    results: list


def build_planning(layers, parcel_ids: set[str], building_ids: set[str], *,
                   road_setback_m: float = 0.0, windows: bool = False) -> PlanningReview:
    """Run ``envelope`` and ``height_limit`` (and ``window_sunlight`` for the parcels' homes
    when ``windows``) and keep the rows of the reviewed parcels and buildings."""
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
    return PlanningReview(envelope=env_rows, outside=out_rows, height=height_rows,
                          windows=win_rows, window_buildings=win_b, results=results)


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
    return "".join(out)

