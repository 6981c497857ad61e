"""一张图 The one map: every layer of the store in 3D, with a layer panel, legends, picking,
camera presets and BIM detail for IFC buildings."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import deck_options, lang, read_layer, store_or_stop, store_url, tr
from app_pages.map_terrain import SITE_KINDS, terrain_panel, terrain_parts
from app_pages.map_tiles import bim_tiled_parts, pick_position, tiled_parts, uses_tiles
from app_pages.map_tools import map_tools
from twin.display import display_value, field_label
from twin.i18n import catalog, label
from twin.render import (
    DRAWN_KINDS,
    attribute_html,
    bim_buildings,
    bim_layer,
    bounds_view,
    build_deck,
    deck_layers,
    has_meshes,
    latest_readings,
    legend_html,
    map_legend_html,
    nudge_view,
    overview_view,
    prepare_bim,
    prepare_layer,
    psets_of,
    split_layer_id,
    union_bounds,
)
from twin.render.palette import HEIGHT_BINS
from twin.render.view import FRAME_HEIGHT_PX, fitted_view

# Draw order, bottom to top.
ORDER = {"parcel": 0, "river": 1, "road": 2, "building": 3, "bim_element": 4, "facility": 5,
         "sensor": 6}
BIM_AUTO_TRIANGLES = 200_000  # draw all BIM detail by default up to this many triangles
DEFAULT_OPACITY = {"parcel": 0.7, "river": 0.9, "road": 1.0, "building": 1.0,
                   "bim_element": 1.0, "facility": 1.0, "sensor": 1.0}


def _labels(language: str) -> dict:
    """Display names of facility and sensor kinds, for the tooltips."""
    return {key.split(".", 1)[1]: text for key, text in catalog(language).items()
            if key.startswith(("facility.", "sensor."))}


@st.cache_data(show_spinner=False, max_entries=32)
def latest_for(url: str, readings: tuple, sensor: tuple) -> pd.DataFrame:
    """Latest reading per sensor over every reading table (cached on their versions)."""
    frames = [read_layer(url, name, version, sha) for name, version, sha in readings]
    table = pd.concat(frames, ignore_index=True) if frames else None
    sensors = [read_layer(url, name, version, sha) for name, version, sha in sensor]
    sensors_frame = pd.concat(sensors, ignore_index=True) if sensors else None
    return latest_readings(table, sensors_frame)


@st.cache_data(show_spinner=False, max_entries=64)
def prepared(url: str, layer: str, kind: str, version: int, sha: str, color_by: str,
             hidden: tuple, language: str, latest_key: tuple):
    """The compact drawing data of one layer (cached on every argument)."""
    frame = read_layer(url, layer, version, sha)
    latest = None
    if kind == "sensor":
        latest = latest_for(url, latest_key, ((layer, version, sha),))
    return prepare_layer(frame, kind, name=layer, color_by=color_by, hidden_ids=hidden,
                         latest=latest, labels=_labels(language), language=language)


@st.cache_data(show_spinner=False, max_entries=16)
def bim_index(url: str, layer: str, version: int, sha: str) -> dict:
    """``{building id: (WGS84 bounds, triangles)}`` of the buildings of a bim_element layer
    with meshes."""
    frame = read_layer(url, layer, version, sha)
    if not has_meshes(frame):
        return {}
    from twin.render.prepare import wgs84_bounds

    out = {}
    ids = frame["building_id"].astype("string")
    for bid in bim_buildings(frame):
        sub = frame[ids == bid]
        triangles = int(sum(len(f) for f in sub["mesh_faces"] if f is not None) // 12)
        out[bid] = (wgs84_bounds(sub), triangles)
    return out


@st.cache_data(show_spinner=False, max_entries=16)
def bim_detail(url: str, layer: str, version: int, sha: str, building_id: str):
    """The shaded BIM triangles of one building (cached)."""
    return prepare_bim(read_layer(url, layer, version, sha), building_id)


def _legend_label(kind: str, key: str, language: str) -> str:
    if kind == "parcel":
        return f"{label('landuse', key, language)} {key}"
    if kind == "road":
        return label("road", key, language)
    if kind == "river":
        return tr("legend.water")
    if kind == "building" and key.startswith("h") and key[1:].isdigit():
        i = int(key[1:])
        hi = HEIGHT_BINS[i + 1] if i + 1 < len(HEIGHT_BINS) else None
        return f"{HEIGHT_BINS[i]:g}–{hi:g} m" if hi else f"≥ {HEIGHT_BINS[i]:g} m"
    if kind == "building":
        return label("use", key, language)
    if kind in ("facility", "sensor"):
        if key == "alarm":
            return tr("legend.alarm")
        return label(kind, key, language)
    return key


def _selection() -> tuple[str, str, dict] | None:
    """``(store layer, group key, object)`` of the picked object, from the chart's state."""
    state = st.session_state.get("map")
    if not state:
        return None
    try:
        objects = state["selection"]["objects"]
    except (KeyError, TypeError):
        return None
    for deck_id, objs in (objects or {}).items():
        if objs:
            name, key = split_layer_id(deck_id)
            return name, key, objs[0]
    return None


def _fresh(picked):
    """``picked`` unless the camera flew to another preset since it was picked: the chart
    keeps its last selection, but a pick the user no longer looks at is not shown."""
    nonce = st.session_state.get("view_nonce", 0)
    if picked is None:
        st.session_state.pop("_pick_seen", None)
        return None
    key = (picked[0], picked[1], repr(picked[2].get("k") if isinstance(picked[2], dict) else None))
    seen = st.session_state.get("_pick_seen")
    if seen is None or seen[0] != key:
        st.session_state["_pick_seen"] = (key, nonce)
        return picked
    return picked if seen[1] == nonce else None


def _view_changed():
    st.session_state["view_nonce"] = st.session_state.get("view_nonce", 0) + 1


language = lang()
url = store_url()
# the map takes the page's width: the wide layout's side padding shrunk on this page
st.markdown("<style>[data-testid=stMainBlockContainer]{padding-left:1.25rem;"
            "padding-right:1.25rem}</style>", unsafe_allow_html=True)
st.subheader(tr("map.title"))
the_store, tokens = store_or_stop()

drawn = {n: v for n, v in tokens.items() if v[0] in DRAWN_KINDS or v[0] == "bim_element"}
if not drawn and not any(v[0] == "terrain" for v in tokens.values()):
    st.info(tr("map.empty", url=url))
    st.stop()

readings_key = tuple((n, v[1], v[2]) for n, v in tokens.items() if v[0] == "sensor_reading")
bim_layers = [n for n, v in drawn.items() if v[0] == "bim_element"]
bim_ids: dict[str, tuple[str, tuple]] = {}  # building id -> (bim layer, bounds)
bim_triangles = 0
for name in bim_layers:
    kind, version, sha = drawn[name]
    for bid, (bounds, triangles) in bim_index(url, name, version, sha).items():
        if bid not in bim_ids:
            bim_ids[bid] = (name, bounds)
            bim_triangles += triangles

# ---- layer panel (sidebar) --------------------------------------------------------------
with st.sidebar:
    st.markdown(f"**{tr('map.layers')}**")
    color_by = st.radio(tr("map.color_by"), ["use", "height"], horizontal=True,
                        format_func=lambda v: tr(f"map.color_by.{v}"), key="color_by")
    # Small enough: draw every IFC building's elements in place of its LOD1 block, so that
    # zooming in shows the real model. Otherwise only on pick or camera preset.
    # With tiles, every IFC building is drawn from its BIM tiles: a block further out, its
    # elements when the camera is close (the browser fetches them).
    bim_all = uses_tiles("bim_element") or st.toggle(
        tr("map.bim_all"), value=bim_triangles <= BIM_AUTO_TRIANGLES, key="bim_all",
        help=tr("map.bim_all_help", n=BIM_AUTO_TRIANGLES))
    panel = {}
    for name in sorted(drawn, key=lambda n: (ORDER.get(drawn[n][0], 9), n)):
        kind = drawn[name][0]
        with st.expander(f"{label('kind', kind, language)} · {name}", expanded=False):
            visible = st.checkbox(tr("map.visible"), value=True, key=f"vis::{name}")
            opacity = st.slider(tr("map.opacity"), 0.0, 1.0, DEFAULT_OPACITY.get(kind, 1.0),
                                0.05, key=f"op::{name}")
            legend_slot = st.empty()
        panel[name] = (visible, opacity, legend_slot)
    terrain_ui = terrain_panel(tokens, language)

# ---- camera presets ----------------------------------------------------------------------
presets = {"overview": tr("map.preset.overview")}
for bid in bim_ids:
    presets[f"bim:{bid}"] = tr("map.preset.building", id=bid)
# the map takes the page's width: the camera and tools above it, legend and attributes below
camera_col, tools_col = st.columns([1, 2], gap="small")
with camera_col:
    preset = st.selectbox(tr("map.camera"), list(presets), format_func=presets.get,
                          key="view_preset", on_change=_view_changed)
with tools_col:
    tools = map_tools(url, tokens, language)  # search + fly-to, measurement

# ---- which BIM buildings are shown ---------------------------------------------------------
bim_visible = any(panel[n][0] for n in drawn if drawn[n][0] == "bim_element")
picked = _fresh(_selection())
focus: set[str] = set(bim_ids) if bim_all else set()
if preset.startswith("bim:"):
    focus.add(preset[4:])
picked_frame = None
picked_row = None
if picked is not None:
    pname, pkey, pobj = picked
    k = pick_position(pobj)
    if pname in tokens and k is not None:
        pkind, pver, psha = tokens[pname]
        picked_frame = read_layer(url, pname, pver, psha)
        if 0 <= k < len(picked_frame):
            picked_row = picked_frame.iloc[k]
            if pkind == "building":
                for col in ("id", "ifc_guid"):
                    value = picked_row.get(col)
                    if value is not None and str(value) in bim_ids:
                        focus.add(str(value))
            elif pkind == "bim_element":
                focus.add(str(picked_row.get("building_id")))

# ---- layers -------------------------------------------------------------------------------
all_layers, all_data, bounds = [], {}, []
site_bounds = []  # the town's (parcels, buildings): what the first view fits
on_map_legend = []  # (title, [(label, colour)]) of the visible layers, under the map
with st.spinner(tr("map.loading")):
    all_layers, all_data, terrain_entries, terrain_bounds = terrain_parts(url, tokens,
                                                                         terrain_ui)
    if terrain_bounds is not None:  # a store holding only a DEM opens over it
        bounds.append(terrain_bounds)
    if terrain_entries:
        on_map_legend.append((label("kind", "terrain", language), terrain_entries))
    for name in sorted(drawn, key=lambda n: (ORDER.get(drawn[n][0], 9), n)):
        kind, version, sha = drawn[name]
        visible, opacity, legend_slot = panel[name]
        if kind == "bim_element" and uses_tiles(kind):
            layers, groups = bim_tiled_parts(url, name, version, sha, opacity=opacity,
                                             visible=visible)
            legend_slot.markdown(legend_html([(g.key, g.color, g.count) for g in groups]),
                                 unsafe_allow_html=True)
            all_layers += layers
            continue
        if kind == "bim_element":
            entries = []
            shown = [bid for bid in sorted(focus) if bim_ids.get(bid, (None,))[0] == name]
            for bid in shown:
                detail = bim_detail(url, name, version, sha, bid)
                if detail is None:
                    continue
                if visible:
                    layers, data = bim_layer(detail, name=name, opacity=opacity)
                    all_layers += layers
                    all_data.update(data)
                entries.append((tr("map.bim_legend", id=bid, n=detail.triangles),
                                (150, 150, 160), detail.elements))
            if not shown:
                legend_slot.caption(tr("map.bim_hint"))
            else:
                legend_slot.markdown(legend_html(entries), unsafe_allow_html=True)
            continue
        # an IFC building's block gives way to its elements only while they are shown
        hidden = tuple(sorted(focus)) if kind == "building" and bim_visible else ()
        tiled = tiled_parts(url, name, kind, version, sha, color_by=color_by, opacity=opacity,
                            visible=visible, hidden_ids=hidden,
                            language=language) if uses_tiles(kind) else None
        if tiled is not None:  # a large layer: drawn from its tiles
            layers, groups, tbounds = tiled
            bounds.append(tbounds)
            if kind in SITE_KINDS:
                site_bounds.append(tbounds)
            if visible:
                on_map_legend.append((label("kind", kind, language), [
                    (_legend_label(kind, g.key, language), g.color) for g in groups]))
            legend_slot.markdown(legend_html([(_legend_label(kind, g.key, language), g.color,
                                               g.count) for g in groups]),
                                 unsafe_allow_html=True)
            all_layers += layers
            continue
        prep = prepared(url, name, kind, version, sha, color_by if kind == "building" else "",
                        hidden, language, readings_key if kind == "sensor" else ())
        if prep.bounds is not None:
            bounds.append(prep.bounds)
            if kind in SITE_KINDS:
                site_bounds.append(prep.bounds)
        if visible:
            on_map_legend.append((label("kind", kind, language), [
                (_legend_label(kind, g.key, language), g.color) for g in prep.groups]))
        legend_slot.markdown(legend_html([(_legend_label(kind, g.key, language), g.color, g.count)
                                          for g in prep.groups]), unsafe_allow_html=True)
        if visible:
            layers, data = deck_layers(prep, opacity=opacity)
            all_layers += layers
            all_data.update(data)

town = union_bounds(bounds)
if preset.startswith("bim:") and preset[4:] in bim_ids and bim_ids[preset[4:]][1]:
    view = bounds_view(bim_ids[preset[4:]][1], pitch=55.0, bearing=-20.0, max_zoom=19.0)
    view["zoom"] = round(view["zoom"] - 0.4, 2)  # room around the building
else:
    site = union_bounds(site_bounds) or town
    view = fitted_view(site, pitch=40.0) if site is not None else overview_view(town)
view = tools.view or view
view = nudge_view(view, st.session_state.get("view_nonce", 0))

all_layers += tools.layers
all_data.update(tools.data)
deck = build_deck(all_layers, all_data, view=view, **deck_options())
st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="map",
                height=FRAME_HEIGHT_PX, width="stretch")
st.markdown(map_legend_html(on_map_legend, title=tr("map.legend"), overlay_on_px=FRAME_HEIGHT_PX),
            unsafe_allow_html=True)
below_legend, right = st.columns([3, 2], gap="medium")
with below_legend:
    st.caption(tr("map.stats", layers=len(all_layers), kb=round(deck.payload_bytes() / 1024)))

# ---- attribute panel ---------------------------------------------------------------------
with right:
    st.markdown(f"**{tr('map.attributes')}**")
    if picked_row is None:
        st.caption(tr("map.pick_hint"))
    else:
        pname, _, _ = picked
        pkind = tokens[pname][0]
        rows = []
        if pkind == "bim_element":
            for col, key in (("guid", "attr.guid"), ("ifc_class", "attr.ifc_class"),
                             ("name", "attr.name"), ("storey", "attr.storey"),
                             ("building_id", "attr.building"), ("elev_m", "attr.elev")):
                rows.append((tr(key), picked_row.get(col)))
            for pset, props in psets_of(picked_row.get("psets")).items():
                if isinstance(props, dict):
                    for prop, value in props.items():
                        rows.append((f"{pset}.{prop}", value))
                else:
                    rows.append((pset, props))
        else:
            skip = {"geometry", "mesh_vertices", "mesh_faces"}
            for col in picked_row.index:
                if col not in skip:
                    rows.append((field_label(col, language),
                                 display_value(str(col), picked_row[col], language)))
        title = f"{label('kind', pkind, language)} · {pname}"
        st.markdown(attribute_html(rows, title=title), unsafe_allow_html=True)
        if pkind == "building" and focus:
            st.caption(tr("map.bim_shown"))
