"""The planner's tools on the one map: search and fly-to (地名地址查询) and measurement (量测).

The map page calls :func:`map_tools` once, in its side column; what it returns adds a camera
view (only right after a hit was chosen) and highlight layers to the map."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
import streamlit as st

from app_pages.common import read_layer, tr
from app_pages.map_tiles import pick_position
from twin.crs import working_crs
from twin.errors import TwinError
from twin.i18n import label
from twin.measure import MODES, feature_point, format_point, measure, parse_points
from twin.render import bounds_view, split_layer_id
from twin.render.scenario import outline_layer
from twin.search import SEARCH_KINDS, index_frames, search

__all__ = ["ToolOutput", "map_tools", "HIGHLIGHT_COLOR", "MEASURE_COLOR"]

HIGHLIGHT_COLOR = (255, 0, 170)  # the found feature: apart from every layer colour
MEASURE_COLOR = (0, 200, 255)
FLY_MS = 1200


@dataclass
class ToolOutput:
    """What the tools add to the map: a camera ``view`` to fly to (or None) and deck
    ``layers`` with their ``data``."""

    view: dict | None = None
    layers: list = field(default_factory=list)
    data: dict = field(default_factory=dict)


@st.cache_data(show_spinner=False, max_entries=8)
def _index(url: str, tokens: tuple):
    frames = {name: (kind, read_layer(url, name, version, sha))
              for name, kind, version, sha in tokens}
    return index_frames(frames)


def _bump():
    st.session_state["view_nonce"] = st.session_state.get("view_nonce", 0) + 1
    st.session_state["find_nonce"] = st.session_state["view_nonce"]


def _hit_label(hit, language) -> str:
    more = f" (+{len(hit.ids) - 1})" if len(hit.ids) > 1 else ""
    return f"{hit.name or hit.id} · {label('kind', hit.kind, language)} · {hit.id}{more}"


def _search(url: str, tokens: dict, language: str, out: ToolOutput) -> None:
    text = st.text_input(tr("find.box"), key="find_text", on_change=_bump,
                         placeholder=tr("find.placeholder"))
    if not text.strip():
        return
    keys = tuple(sorted((n, v[0], v[1], v[2]) for n, v in tokens.items()
                        if v[0] in SEARCH_KINDS))
    try:
        hits = search(_index(url, keys), text, limit=12)
    except TwinError as exc:
        st.warning(str(exc))
        return
    if not hits:
        st.caption(tr("find.none", text=text))
        return
    choice = st.radio(tr("find.hits", n=len(hits)), range(len(hits)), key="find_choice",
                      format_func=lambda i: _hit_label(hits[i], language), on_change=_bump)
    hit = hits[min(int(choice or 0), len(hits) - 1)]
    frame = read_layer(url, hit.layer, tokens[hit.layer][1], tokens[hit.layer][2])
    id_col = "guid" if hit.kind == "bim_element" else "id"
    rows = frame[frame[id_col].astype("string").isin(list(hit.ids))]
    widths = rows["width_m"] if "width_m" in rows.columns else 0.0
    rows = rows[[rows.geometry.name]].assign(t=hit.name or hit.id, height_m=0.0,
                                             width_m=np.maximum(widths, 40.0))
    layers, data = outline_layer(rows, name="find", color=HIGHLIGHT_COLOR, width_px=5.0,
                                 fill_alpha=90, point_radius_m=30.0, point_px=(10.0, 40.0),
                                 pickable=False, on_top=True)
    out.layers += layers
    out.data.update(data)
    cx, cy = hit.center
    st.caption(tr("find.where", e=f"{cx:.1f}", n=f"{cy:.1f}", match=tr(f"find.match.{hit.match}")))
    if st.session_state.get("find_nonce") == st.session_state.get("view_nonce", 0):
        west, south, east, north = hit.wgs84_bounds()
        pad = max(east - west, north - south, 0.002) * 0.25
        out.view = bounds_view((west - pad, south - pad, east + pad, north + pad), pitch=45.0,
                               max_zoom=18.0)
        out.view["transitionDuration"] = FLY_MS  # deck.gl animates to a changed view


def _picked_point(url: str, tokens: dict):
    """The point of the object picked on the one map (key ``map``), once per pick."""
    try:
        objects = st.session_state["map"]["selection"]["objects"]
    except (KeyError, TypeError):
        return None
    for deck_id, objs in (objects or {}).items():
        row = pick_position(objs[0]) if objs else None
        name, _key = split_layer_id(deck_id)
        if row is None or name not in tokens:
            continue
        pick = (name, int(row))
        if st.session_state.get("measure_last_pick") == pick:
            return None
        st.session_state["measure_last_pick"] = pick
        frame = read_layer(url, name, tokens[name][1], tokens[name][2])
        if 0 <= pick[1] < len(frame):
            return feature_point(frame.iloc[pick[1]])
    return None


def _measure(url: str, tokens: dict, out: ToolOutput) -> None:
    if st.session_state.get("measure_click"):
        point = _picked_point(url, tokens)
        if point is not None:
            text = st.session_state.get("measure_text", "").rstrip()
            st.session_state["measure_text"] = (text + "\n" if text else "") + format_point(point)
    with st.expander(tr("measure.title"), expanded=bool(st.session_state.get("measure_text"))
                     or bool(st.session_state.get("measure_click"))):
        mode = st.radio(tr("measure.mode"), MODES, horizontal=True, key="measure_mode",
                        format_func=lambda m: tr(f"measure.mode.{m}"))
        st.toggle(tr("measure.click"), key="measure_click", help=tr("measure.click_help"))
        text = st.text_area(tr("measure.points"), key="measure_text", height=100,
                            placeholder="491000,3955000,4.5\n491300,3955400,12.0",
                            help=tr("measure.points_help"))
        if not text.strip():
            return
        try:
            result = measure(mode, parse_points(text))
        except TwinError as exc:
            st.warning(str(exc))
            return
        unit = result.unit
        st.metric(tr(f"measure.mode.{mode}"), f"{result.value:,.3f} {unit}")
        if result.check_value is not None:
            st.caption(tr("measure.check", value=f"{result.check_value:,.3f}", unit=unit,
                          diff=f"{100 * (result.check_diff or 0):.4f}"))
        st.code(result.text(), language=None)
        pts = result.points
        if mode == "area":
            geom = shapely.Polygon(pts[:, :2])
        else:
            geom = shapely.LineString(pts[:, :2])
        marks = gpd.GeoDataFrame({"t": [f"{result.value:,.3f} {unit}"] * (len(pts) + 1),
                                  "width_m": [3.0] * (len(pts) + 1)},
                                 geometry=[geom, *shapely.points(pts[:, :2])],
                                 crs=working_crs())
        layers, data = outline_layer(marks, name="measure", color=MEASURE_COLOR, width_px=3.0,
                                     fill_alpha=60, point_radius_m=4.0, point_px=(5.0, 12.0),
                                     pickable=False)
        out.layers += layers
        out.data.update(data)


def map_tools(url: str, tokens: dict, language: str) -> ToolOutput:
    """Draw the search box and the measurement panel; return what they add to the map."""
    out = ToolOutput()
    _search(url, tokens, language, out)
    _measure(url, tokens, out)
    return out

