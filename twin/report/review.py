"""The planning review report (规划审查报告): indicators, violations, maps and evidence.

:func:`build_review` runs the queries (``indicators``, ``setbacks``, optionally
``sunlight``, and the planning sections of :mod:`twin.report.planning`: envelope, height
limits, window sunlight, on request capacity, viewshed / sight lines and skyline) on the
chosen parcels, :func:`render_html` turns the outcome into one
self-contained HTML page (inline SVG maps, CJK fonts), and :func:`write_report` writes it,
with a PDF made from the same HTML (:mod:`twin.report.pdf`).

Example
-------
>>> from twin.report import write_report
>>> write_report(store, "report.html", parcels=["P-03"], pdf=True)   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from ..errors import QueryError
from ..query import QueryInputs, run
from ..query.common import as_fraction, text
from ..query.inputs import as_layers
from ..store.atomic import atomic_write_bytes
from .svgmap import MapLayer, svg_map

__all__ = ["Review", "build_review", "render_html", "write_report"]

STATUS_ZH = {"pass": "合格 pass", "fail": "不合格 fail", "n/a": "无限值 n/a"}
_COLOURS = {"pass": "#7fbf7f", "fail": "#e06060", "n/a": "#cccccc"}
_INDICATOR_ROWS = (
    ("far", "容积率 FAR", "far", "max_far", "≤"),
    ("density", "建筑密度 Building density", "density", "max_density", "≤"),
    ("height", "建筑高度 Height (m)", "height_max_m", "max_height_m", "≤"),
    ("green", "绿地率 Green ratio", "green_ratio", "min_green_ratio", "≥"),
)


@dataclass
class Review:
    """What a report shows: the query results restricted to the reviewed parcels."""

    parcels: pd.DataFrame
    evidence: pd.DataFrame
    setbacks: pd.DataFrame
    sunlight: pd.DataFrame | None
    layers: QueryInputs
    indicators_result: object
    setbacks_result: object
    sunlight_result: object | None
    store_url: str = ""
    versions: dict = field(default_factory=dict)
    created: str = ""
    planning: object | None = None  # twin.report.planning.PlanningReview


def build_review(source, parcels: list[str] | None = None, *, road_setback_m: float = 0.0,
                 sunlight: bool = True, capacity: bool = False, viewpoint: str | None = None,
                 targets: str | None = None, radius_m: float = 500.0,
                 after=None) -> Review:
    """Run the review queries on ``source`` (store, QueryInputs or frames) for ``parcels`` (ids;
    ``None`` for all).

    ``capacity`` adds the capacity (容量测算) of each chosen parcel; a ``viewpoint`` adds
    the viewshed (and sight lines to ``targets``) and the skyline; ``after`` (a source with
    a scenario applied) overlays the skyline after it."""
    layers = as_layers(source)
    ind = run("indicators", layers)
    table = ind.layer
    if parcels:
        ids = text(table, "id")
        missing = [p for p in parcels if p not in set(ids)]
        if missing:
            raise QueryError(f"no parcel with id {missing[0]!r}",
                             hint="parcel ids: " + ", ".join(ids.head(12)))
        table = table[ids.isin(parcels).to_numpy()]
    evidence = ind.tables["evidence"]
    evidence = evidence[evidence["parcel_id"].isin(set(text(table, "id")))]
    sb = run("setbacks", layers, road_setback_m=road_setback_m)
    sb_rows = sb.table[sb.table["building_id"].isin(set(evidence["building_id"]))] \
        if parcels else sb.table
    sun = None
    sun_rows = None
    if sunlight and "building" in layers:
        sun_layers = layers
        if parcels:  # hours only for the parcels' homes; every other building still shades
            from ..scenario.local import LocalPlan, mask_receivers

            homes = LocalPlan(frozenset(evidence["building_id"]))
            sun_layers = layers.copy().override(
                "building", mask_receivers(layers["building"], homes))
        sun = run("sunlight", sun_layers)
        sun_rows = sun.table
        if parcels:
            sun_rows = sun_rows[text(sun_rows, "id").isin(set(evidence["building_id"]))]
    from .planning import build_planning

    planning = build_planning(layers, set(text(table, "id")), set(evidence["building_id"]),
                              road_setback_m=road_setback_m, windows=bool(parcels) and sunlight,
                              capacity=capacity and bool(parcels), viewpoint=viewpoint,
                              targets=targets, radius_m=radius_m,
                              after=as_layers(after) if after is not None else None)
    store = layers.store
    versions = {}
    if store is not None:
        versions = {i.name: i.current for i in store.layers()}
    return Review(planning=planning, parcels=table, evidence=evidence, setbacks=sb_rows, sunlight=sun_rows,
                  layers=layers, indicators_result=ind, setbacks_result=sb,
                  sunlight_result=sun, store_url=getattr(store, "url", "") if store else "",
                  versions=versions,
                  created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))


# -- rendering ----------------------------------------------------------------------------
_CSS = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
       "Microsoft YaHei", sans-serif; font-size: 10.5pt; color: #222; }
h1 { font-size: 20pt; margin: 0 0 4pt; }
h2 { font-size: 14pt; border-bottom: 1.5pt solid #444; margin-top: 18pt; }
h3 { font-size: 12pt; margin: 12pt 0 4pt; }
table { border-collapse: collapse; margin: 4pt 0 8pt; width: 100%; }
th, td { border: 0.5pt solid #999; padding: 2pt 4pt; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #1a7f37; font-weight: bold; }
.fail { color: #c62828; font-weight: bold; }
.na { color: #777; }
.meta { color: #555; font-size: 9pt; }
section.parcel { page-break-before: always; }
.map svg { max-width: 100%; height: auto; }
.small { font-size: 8.5pt; }
"""


def _e(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        if abs(value) >= 1000:
            return html.escape(f"{value:,.0f}")
        return html.escape(f"{value:.4g}")
    return html.escape(str(value))


def _status(value) -> str:
    v = str(value) if value is not None else "n/a"
    cls = {"pass": "pass", "fail": "fail"}.get(v, "na")
    return f'<span class="{cls}">{html.escape(STATUS_ZH.get(v, v))}</span>'


def _table(frame: pd.DataFrame, columns: list[tuple[str, str]], *, limit: int = 400) -> str:
    if frame is None or not len(frame):
        return "<p class='meta'>无 none</p>"
    head = "".join(f"<th>{html.escape(label)}</th>" for _c, label in columns)
    rows = []
    for _, row in frame.head(limit).iterrows():
        cells = []
        for col, _label in columns:
            v = row.get(col)
            if col.endswith("status"):
                cells.append(f"<td>{_status(v)}</td>")
            elif isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
                cells.append(f"<td class='num'>{_e(float(v))}</td>")
            else:
                cells.append(f"<td>{_e(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p class='meta'>… {len(frame) - limit} more rows</p>" if len(frame) > limit else ""
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{more}"


def _limit_text(value, sym: str, key: str) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "—"
    if np.isnan(v):
        return "—"
    if key in ("max_density", "min_green_ratio"):
        v = float(as_fraction(v))  # read as the indicators query reads it
    return f"{sym} {v:.4g}"


def _parcel_map(review: Review, prow, bids: set[str], bad: set[str]) -> str:
    layers = review.layers
    geom = prow.geometry
    minx, miny, maxx, maxy = geom.bounds
    pad = max(maxx - minx, maxy - miny) * 0.35 + 20
    box = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    items = []
    for kind, colour, width in (("river", "#4a90d9", 3.0), ("road", "#888", 2.0)):
        if kind in layers:
            f = layers[kind]
            if len(f):
                sel = f.iloc[f.sindex.query(box)]
                items.append(MapLayer([g.intersection(box) for g in sel.geometry], stroke=colour,
                                      width=width, label={"river": "河道 river",
                                                          "road": "道路 road"}[kind]))
    zones = review.setbacks_result.extra_layers.get("zones")
    if zones is not None and len(zones):
        sel = zones.iloc[zones.sindex.query(box)]
        items.insert(0, MapLayer([g.intersection(box) for g in sel.geometry], fill="#fde9c9",
                                 stroke="#e0a040", width=0.5, opacity=0.7, dash="4 2",
                                 label="退让控制区 setback zone"))
    items.append(MapLayer([geom], fill="none", stroke="#1f4e9c", width=2.0,
                          label="地块 parcel"))
    from .planning import capacity_map_layers

    massing = capacity_map_layers(review.planning, str(prow["id"]))
    b = layers["building"]
    if len(b):
        sel = b.iloc[b.sindex.query(box)]
        ids = text(sel, "id").tolist()
        fills = ["#e06060" if i in bad else ("#7fa7d9" if i in bids else "#d8d8d8")
                 for i in ids]
        items.append(MapLayer(list(sel.geometry), fills=fills, stroke="#333", width=0.6,
                              titles=ids, legend=[("#7fa7d9", "本地块建筑 building"),
                                                  ("#e06060", "违规建筑 violation")]))
    items.extend(massing)
    return svg_map(items, bbox=box.bounds, width=640)


def _overview_map(review: Review) -> str:
    p = review.indicators_result.layer
    items = []
    for kind, colour in (("river", "#4a90d9"), ("road", "#999")):
        if kind in review.layers and len(review.layers[kind]):
            items.append(MapLayer(list(review.layers[kind].geometry), stroke=colour, width=1.5))
    fills = [_COLOURS.get(s, "#ccc") for s in p["status"]]
    items.insert(0, MapLayer(list(p.geometry), fills=fills, stroke="#555", width=0.6,
                             titles=[f"{i} {s}" for i, s in zip(p["id"], p["status"],
                                                                strict=False)],
                             legend=[(c, STATUS_ZH[k]) for k, c in _COLOURS.items()]))
    return svg_map(items, width=680)


def _crs_label(crs) -> str:
    if crs is None:
        return ""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} {crs.name}" if epsg else crs.name


def render_html(review: Review, *, title: str = "规划审查报告 Planning review report",
                details: str = "all") -> str:
    """The report as one HTML document (UTF-8, inline SVG).

    ``details="all"`` gives every reviewed parcel its own section (map, indicators,
    evidence); ``"failing"`` only the parcels with a failed indicator or a violating
    building (the summary tables still cover every parcel)."""
    p = review.parcels
    out = [f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"]
    out.append(f"<h1>{html.escape(title)}</h1>")
    out.append(f"<p class='meta'>生成时间 Generated {html.escape(review.created)} · "
               f"数据库 Store {html.escape(review.store_url or 'in-memory')} · "
               f"坐标系 CRS {html.escape(_crs_label(getattr(p, 'crs', None)))} · "
               f"高程基准 1985国家高程基准</p>")
    if review.versions:
        out.append("<p class='meta'>图层版本 Layer versions: " + ", ".join(
            f"{html.escape(k)} v{v}" for k, v in sorted(review.versions.items())) + "</p>")
    n_fail = int((p["status"] == "fail").sum())
    sb = review.setbacks
    sun = review.sunlight
    n_sun = int((sun["status"] == "fail").sum()) if sun is not None and len(sun) else 0
    out.append("<h2>1 结论 Summary</h2><table>"
               f"<tr><th>审查地块 Parcels reviewed</th><td class='num'>{len(p)}</td></tr>"
               f"<tr><th>指标不合格地块 Parcels failing an indicator</th>"
               f"<td class='num'>{n_fail}</td></tr>"
               f"<tr><th>退让违规 Setback violations (buildings)</th>"
               f"<td class='num'>{sb['building_id'].nunique() if len(sb) else 0}</td></tr>"
               + (f"<tr><th>大寒日日照不足 Sunlight &lt; 2 h (buildings)</th>"
                  f"<td class='num'>{n_sun}</td></tr>" if sun is not None else "")
               + "</table>")
    if len(p) > 1:
        out.append(f"<div class='map'>{_overview_map(review)}</div>")
    out.append("<h2>2 指标一览 Indicators</h2>")
    out.append(_table(p, [("id", "地块 parcel"), ("name", "名称 name"),
                          ("land_use", "用地 use"), ("far", "容积率 FAR"),
                          ("max_far", "限值"), ("far_status", "FAR"),
                          ("density", "密度"), ("density_status", "密度"),
                          ("height_max_m", "高度 m"), ("height_status", "高度"),
                          ("green_ratio", "绿地率"), ("green_status", "绿地率"),
                          ("status", "结论 result")]))
    out.append("<h2>3 违规事项 Violations</h2>")
    fails = p[p["status"] == "fail"]
    rows = []
    for _, r in fails.iterrows():
        for key, label, val, lim, sym in _INDICATOR_ROWS:
            if r.get(f"{key}_status") == "fail":
                rows.append({"item": f"{r['id']} {label}", "value": r.get(val),
                             "limit": _limit_text(r.get(lim), sym, lim)})
    out.append("<h3>指标 Indicators</h3>" + _table(pd.DataFrame(rows), [
        ("item", "地块与指标 parcel, indicator"), ("value", "实际 value"),
        ("limit", "要求 limit")]))
    out.append("<h3>退让 Setbacks (蓝线 / 红线)</h3>" + _table(sb, [
        ("building_id", "建筑 building"), ("rule_label", "规则 rule"),
        ("ref_name", "对象 river/road"), ("distance_m", "距离 m"),
        ("required_m", "要求 m"), ("shortfall_m", "不足 m")]))
    if sun is not None:
        out.append("<h3>大寒日日照 Sunlight on 大寒日</h3>" + _table(
            sun[sun["status"] == "fail"], [("id", "建筑 building"), ("name", "名称"),
                                           ("sun_hours_min", "最少日照 h"),
                                           ("sun_hours_mean", "平均日照 h"),
                                           ("points_below", "不足点数"), ("status", "结论")]))
    bad_buildings = set(sb["building_id"]) if len(sb) else set()
    if sun is not None and len(sun):
        bad_buildings |= set(text(sun[sun["status"] == "fail"], "id"))
    if details == "failing":
        flagged = set(review.evidence.loc[review.evidence["building_id"].isin(bad_buildings),
                                          "parcel_id"])
        shown = p[(p["status"] == "fail").to_numpy() | text(p, "id").isin(flagged).to_numpy()]
        out.append(f"<p class='meta'>详表 Details: {len(shown)} of {len(p)} parcels, those with "
                   f"a failed indicator or a violating building.</p>")
    else:
        shown = p
    for _, r in shown.iterrows():
        pid = str(r["id"])
        ev = review.evidence[review.evidence["parcel_id"] == pid]
        bids = set(ev["building_id"])
        out.append(f"<section class='parcel'><h2>地块 Parcel {html.escape(pid)} "
                   f"{_e(r.get('name'))}</h2>")
        out.append(f"<p>用地性质 Land use {_e(r.get('land_use'))} · 面积 Area "
                   f"{_e(float(r['area_m2']))} m² · 建筑 {int(r['n_buildings'])} buildings · "
                   f"结论 {_status(r['status'])}</p>")
        out.append(f"<div class='map'>{_parcel_map(review, r, bids, bad_buildings)}</div>")
        rows = [{"indicator": label, "value": r.get(val),
                 "limit": _limit_text(r.get(lim), sym, lim), "status": r.get(f"{key}_status"),
                 "method": (r.get("green_method") if key == "green" else "")}
                for key, label, val, lim, sym in _INDICATOR_ROWS]
        out.append("<h3>指标 Indicators</h3>" + _table(pd.DataFrame(rows), [
            ("indicator", "指标"), ("value", "实际 value"), ("limit", "要求 limit"),
            ("status", "结论 status"), ("method", "方法 method")]))
        out.append("<h3>依据 Evidence: buildings and GFA</h3>" + _table(ev, [
            ("building_id", "建筑 id"), ("ifc_guid", "IFC GlobalId"),
            ("footprint_m2", "基底面积 m²"), ("share", "占比 share"),
            ("gfa_m2", "建筑面积 GFA m²"), ("gfa_method", "GFA 方法"),
            ("height_m", "高度 m"), ("split", "跨地块 split")]))
        psb = sb[sb["building_id"].isin(bids)] if len(sb) else sb
        if len(psb):
            out.append("<h3>退让违规 Setback violations</h3>" + _table(psb, [
                ("building_id", "建筑"), ("rule_label", "规则"), ("ref_name", "对象"),
                ("distance_m", "距离 m"), ("required_m", "要求 m")]))
        out.append("</section>")
    from .planning import planning_html

    out.append(planning_html(review.planning, _table))
    out.append("<h2>方法 Methods</h2><table>")
    extra = review.planning.results if review.planning is not None else []
    for res in (review.indicators_result, review.setbacks_result, review.sunlight_result,
                *extra):
        if res is None:
            continue
        for k, v in res.methods.items():
            out.append(f"<tr><th>{html.escape(res.name)} · {html.escape(k)}</th>"
                       f"<td class='small'>{_e(v)}</td></tr>")
    out.append("</table></body></html>")
    return "".join(out)


def write_report(source, out, *, parcels: list[str] | None = None, pdf: bool = False,
                 road_setback_m: float = 0.0, sunlight: bool = True,
                 details: str | None = None, capacity: bool = False,
                 viewpoint: str | None = None, targets: str | None = None,
                 radius_m: float = 500.0, after=None) -> list[Path]:
    """Write the report to ``out`` (.html; a .pdf ``out`` writes only the PDF); with
    ``pdf`` also ``out`` with suffix .pdf. Returns the paths written. ``capacity``,
    ``viewpoint``, ``targets``, ``radius_m`` and ``after`` as in :func:`build_review`.

    ``details`` (``all`` or ``failing``) defaults to ``all`` for chosen parcels and to
    ``failing`` for the whole town."""
    out = Path(out)
    review = build_review(source, parcels, road_setback_m=road_setback_m, sunlight=sunlight,
                          capacity=capacity, viewpoint=viewpoint, targets=targets,
                          radius_m=radius_m, after=after)
    page = render_html(review, details=details or ("all" if parcels else "failing"))
    written = []
    if out.suffix.lower() == ".pdf":
        from .pdf import html_to_pdf

        html_to_pdf(page, out)
        return [out]
    atomic_write_bytes(out, page.encode("utf-8"))
    written.append(out)
    if pdf:
        from .pdf import html_to_pdf

        written.append(html_to_pdf(page, out.with_suffix(".pdf")))
    return written
