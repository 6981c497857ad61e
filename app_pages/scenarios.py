"""方案比选 Scenarios: create, edit and duplicate what-if scenarios, draw or type a proposed
building, upload an IFC proposal, toggle base/scenario on the map and read the before/after
table with the changed parcels and buildings highlighted."""

from __future__ import annotations

import hashlib
import shlex
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st
from shapely.geometry import LineString, Point, Polygon

from app_pages.common import (
    deck_options,
    gui_message,
    lang,
    localize_uploader,
    read_layer,
    store_or_stop,
    store_url,
    tr,
)
from app_pages.ifc_panel import anchor_title, georef_source
from twin.config import upload_limit_bytes, upload_limit_mb
from twin.crs import transform_xy, working_crs
from twin.display import diff_frame, edit_text
from twin.errors import TwinError
from twin.i18n import label
from twin.render import (
    bounds_view,
    nudge_view,
)
from twin.render.prepare import wgs84_bounds
from twin.render.scenario import (
    BETTER_COLOR,
    PROPOSED_COLOR,
    REMOVED_COLOR,
    WORSE_COLOR,
    ghost_buildings,
    outline_layer,
    snap_grid,
)
from twin.render.scene import Scene
from twin.scenario import (
    AddBuilding,
    AddIfc,
    Scenario,
    apply,
    load_base,
    load_scenario,
    parse_edits,
    save_scenario,
)
from twin.scenario.diff import diff
from twin.scenario.export import changes_frame
from twin.scenario.syntax import parse_points
from twin.scenario.view import CHANGE_COLUMN
from twin.scenario.zones import river_buffer_zones
from twin.store import open_store
from twin.store.base import ScenarioDeletion

DRAWN = ("parcel", "river", "road", "building", "facility")
ORDER = {"parcel": 0, "river": 1, "road": 2, "building": 3, "facility": 4}
USES = ["R", "B", "A", "M", "W", "S", "U"]
GRID_STEP_M = 5.0
FOCUS_MARGIN_M = 250.0


# ---- cached computations ------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def scenario_bundle(url: str, name: str, version: str, tokens: tuple, flood_level: float | None,
                    full: bool = False):
    """The scenario's view (drawn kinds), its changes and its diff (cached on the scenario
    version, every layer version and the base flood level)."""
    st_obj = open_store(url)
    scenario = load_scenario(st_obj, name)
    base = load_base(st_obj, versions=scenario.base)
    view = apply(base, scenario)
    params = {"flood": {"level_m": flood_level}} if flood_level is not None else {}
    result = diff(base, view, params=params, full=full)
    layers = {n: (view.kinds[n], view.data[n]) for n in view.data
              if view.kinds[n] in DRAWN}
    return {"layers": layers, "changes": changes_frame(view), "zones": river_buffer_zones(view),
            "status": result.status_changes, "indicators": result.indicators,
            "skipped": result.skipped, "seconds": result.timings.get("total", 0.0)}


def _labels(text, options) -> object:
    """A ``format_func`` giving each option the label ``text(option)`` has in this run's
    language (computed now, not when Streamlit calls it later)."""
    return {o: text(o) for o in options}.__getitem__


def _query_titles(language: str) -> dict[str, str]:
    """``{query: title}`` in ``language`` for the diff tables."""
    from twin.query.registry import queries

    return {s.name: s.title_zh if language == "zh" else s.title_en for s in queries()}


def _versions(st_obj, name: str) -> str:
    """A cache key for the scenario's current document (its version and checksum)."""
    try:
        for v in st_obj.scenario_versions(name):
            if v.get("current"):
                return f"{v['version']}:{v['sha256']}"
    except TwinError:
        pass
    doc = load_scenario(st_obj, name).to_dict()
    doc.pop("created", None)
    return hashlib.sha256(repr(doc).encode("utf-8")).hexdigest()


def _report(message) -> None:
    """Show ``message`` (an error, reworded for the app by :func:`gui_message`) once: on the
    next run of the page, not after later actions or a language switch."""
    st.session_state["scen_error"] = gui_message(message)


def _save(st_obj, scenario: Scenario, *, check: bool = True) -> bool:
    """Check the scenario against the store and save it; errors are shown, not raised."""
    try:
        if check:
            apply(st_obj, scenario)
        save_scenario(st_obj, scenario)
    except TwinError as exc:
        _report(exc)
        return False
    return True


def _new_name(text: str, names: list[str], control: str) -> str | None:
    """``text`` as the name of a new scenario, or None with the reason reported (an empty
    name names the box to fill; a taken name says so)."""
    chosen = text.strip()
    if not chosen:
        _report(tr("scen.name_required", control=tr(control)))
        return None
    if chosen in names:  # saving would replace that scenario's edits
        _report(tr("scen.exists", name=chosen))
        return None
    return chosen


@st.cache_data(show_spinner=False, max_entries=8)
def _upload_georef(sha: str, _data: bytes, suffix: str) -> dict:
    """The georeferencing summary of an uploaded IFC (cached on its checksum ``sha``);
    empty when the file cannot be read (the edit's own check reports why)."""
    from twin.ifc.doctor import inspect_ifc

    with tempfile.TemporaryDirectory(prefix="twin-scen-") as tmp:
        path = Path(tmp) / f"proposal{suffix}"
        path.write_bytes(_data)
        try:
            return inspect_ifc(path).get("georeferencing") or {}
        except TwinError:
            return {}


def _delete_control(st_obj, name: str) -> None:
    """Delete the chosen scenario, after a confirmation (its saved versions stay)."""
    if not isinstance(st_obj, ScenarioDeletion):
        return
    if st.session_state.get("scen_confirm_delete") != name:
        if st.button(tr("scen.delete"), key="scen_delete_btn"):
            st.session_state["scen_confirm_delete"] = name
            st.rerun()
        return
    st.warning(tr("scen.delete_confirm", name=name))
    yes, no = st.columns(2)
    if yes.button(tr("scen.delete_yes"), key="scen_delete_yes", type="primary"):
        st.session_state.pop("scen_confirm_delete", None)
        try:
            st_obj.delete_scenario(name)
        except TwinError as exc:
            _report(exc)
        else:
            st.session_state["scen_select_next"] = ""
            st.session_state["scen_notice"] = tr("scen.deleted", name=name)
        st.rerun()
    if no.button(tr("scen.delete_no"), key="scen_delete_no"):
        st.session_state.pop("scen_confirm_delete", None)
        st.rerun()


def _grid(parcels: pd.DataFrame, parcel_id: str):
    """A snapping grid of square cells over one parcel (working CRS) for click-to-draw; each
    cell's ``t`` is its centre in lon,lat."""
    row = parcels[parcels["id"].astype("string") == parcel_id]
    if row.empty:
        return None
    minx, miny, maxx, maxy = row.total_bounds
    pad = GRID_STEP_M * 2
    xs = np.arange(np.floor(minx - pad), maxx + pad, GRID_STEP_M)
    ys = np.arange(np.floor(miny - pad), maxy + pad, GRID_STEP_M)
    if len(xs) * len(ys) > 6000:  # keep the grid light: coarsen on a large parcel
        step = GRID_STEP_M * np.ceil(np.sqrt(len(xs) * len(ys) / 6000))
        xs = np.arange(np.floor(minx - pad), maxx + pad, step)
        ys = np.arange(np.floor(miny - pad), maxy + pad, step)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    half = (xs[1] - xs[0]) / 2 if len(xs) > 1 else GRID_STEP_M / 2
    lon, lat = transform_xy(gx, gy, working_crs(), "EPSG:4326")
    return gpd.GeoDataFrame({"t": [f"{a:.7f},{b:.7f}" for a, b in zip(lon, lat)]},
                            geometry=shapely.box(gx - half, gy - half, gx + half, gy + half),
                            crs=working_crs())


def _picked_vertex() -> str | None:
    state = st.session_state.get("scen_map")
    try:
        objects = state["selection"]["objects"]
    except (KeyError, TypeError):
        return None
    for deck_id, objs in (objects or {}).items():
        if deck_id.startswith("scen_grid") and objs:
            return str(objs[0].get("t", "")) or None
    return None


def _draw_proposals(scene: Scene, bundle: dict, *, outline_only: bool, pickable: bool) -> None:
    """What the scenario proposes: ghosted new buildings, removed ones, other new features
    and the setback zones its river_buffer edits moved (the setbacks query's own)."""
    changes = bundle["changes"]
    proposed = []
    for kind, frame in bundle["layers"].values():
        if kind == "building" and CHANGE_COLUMN in frame.columns:
            rows = frame[frame[CHANGE_COLUMN].astype("string").fillna("") == "added"]
            if len(rows):
                proposed.append(rows.assign(t=[f"{tr('scen.proposed')} {i} · {h:g} m"
                                               for i, h in zip(rows["id"], rows["height_m"])]))
    if proposed:
        frame = pd.concat(proposed, ignore_index=True)
        scene.add(ghost_buildings(frame, name="scen_proposed", pickable=pickable,
                                  outline_only=outline_only), bounds_of=frame)
    removed = changes[changes["change"] == "removed"]
    scene.add(outline_layer(removed.assign(t=[f"{tr('scen.removed')} {i}"
                                              for i in removed["id"]]),
                            name="scen_removed", color=REMOVED_COLOR, pickable=pickable))
    other = changes[(changes["change"] == "added") & (changes["kind"] != "building")]
    scene.add(outline_layer(other.assign(t=[f"{tr('scen.proposed')} {i}" for i in other["id"]]),
                            name="scen_other", color=PROPOSED_COLOR, pickable=pickable))
    zone = bundle["zones"]
    if len(zone):
        zone = zone.assign(t=[f"{tr('scen.buffer')} {i} · {d:g} m"
                              for i, d in zip(zone["ref_id"], zone["required_m"])])
        scene.add(outline_layer(zone, name="scen_buffer", color=PROPOSED_COLOR, width_px=2.0,
                                fill_alpha=35, pickable=pickable))


def _draw_status_changes(scene: Scene, status: pd.DataFrame, source: dict, *,
                         pickable: bool) -> None:
    """Outline the parcels and buildings whose pass/fail changed (red worse, green better);
    ``source`` is ``{layer: (kind, frame)}`` of the side shown."""
    for change, color in (("worse", WORSE_COLOR), ("better", BETTER_COLOR)):
        rows = status[status["change"] == change]
        for kind in ("parcel", "building"):
            ids = set(rows.loc[rows["kind"] == kind, "id"].astype(str))
            if not ids:
                continue
            frames = [f[f["id"].astype("string").isin(ids).fillna(False).to_numpy(dtype=bool)]
                      for k, f in source.values() if k == kind]
            frames = [f for f in frames if len(f)]
            if not frames:
                continue
            hit = pd.concat(frames, ignore_index=True)
            checks = rows.groupby("id")["check"].agg(lambda s: ", ".join(sorted(set(s))))
            hit = hit.assign(t=[f"{i}: {checks.get(str(i), '')} → {change}" for i in hit["id"]])
            hit = gpd.GeoDataFrame(hit, geometry="geometry", crs=frames[0].crs)
            scene.add(outline_layer(hit, name=f"scen_{change}_{kind}", color=color,
                                    pickable=pickable, elevation=(kind == "building")))


# ---- page -----------------------------------------------------------------------------------
language = lang()
url = store_url()
st.subheader(tr("scen.title"))
the_store, tokens = store_or_stop()
names = the_store.scenarios()

# The footprint box is cleared (after a building was added) before it is drawn again.
if st.session_state.pop("scen_clear_fp", False):
    st.session_state["scen_fp"] = ""
    st.session_state["scen_last_vertex"] = _picked_vertex()

# Click-to-draw: a picked grid point adds a vertex to the footprint being typed.
vertex = _picked_vertex()
if vertex and vertex != st.session_state.get("scen_last_vertex"):
    st.session_state["scen_last_vertex"] = vertex
    current = st.session_state.get("scen_fp", "").strip()
    st.session_state["scen_fp"] = f"{current};{vertex}" if current else vertex

top = st.columns([2, 2, 2])
with top[0]:
    pending = st.session_state.pop("scen_select_next", None)
    if pending in names:
        st.session_state["scen_name"] = pending
    elif pending == "":  # the chosen scenario was deleted: choose the first one left
        st.session_state.pop("scen_name", None)
    extra = {} if "scen_name" in st.session_state else {"index": 0 if names else None}
    name = st.selectbox(tr("scen.pick"), names, key="scen_name", placeholder=tr("scen.none"),
                        **extra)
with top[1], st.form("scen_new_form", clear_on_submit=True, border=False):
    new_name = st.text_input(tr("scen.new_name"), key="scen_new")
    new_desc = st.text_input(tr("scen.description"), key="scen_desc")
    if st.form_submit_button(tr("scen.create"), key="scen_create"):
        chosen = _new_name(new_name, names, "scen.new_name")
        if chosen and _save(the_store, Scenario(chosen, description=new_desc), check=False):
            st.session_state["scen_select_next"] = chosen
        st.rerun()
with top[2]:
    if name:
        dup = st.text_input(tr("scen.duplicate_as"), key="scen_dup")
        if st.button(tr("scen.duplicate"), key="scen_dup_btn"):
            chosen = _new_name(dup, names, "scen.duplicate_as")
            if chosen and _save(the_store, load_scenario(the_store, name).copy(chosen),
                                check=False):
                st.session_state["scen_select_next"] = chosen
            st.rerun()
        _delete_control(the_store, name)

# a message is shown on the run after the action that caused it, then it is gone
error = st.session_state.pop("scen_error", None)
if error:
    st.error(error)
notice = st.session_state.pop("scen_notice", None)
if notice:
    st.success(notice)
if not name:
    st.info(tr("scen.empty"))
    st.stop()

scenario = load_scenario(the_store, name)
version = _versions(the_store, name)

# ---- edits ------------------------------------------------------------------------------------
edit_col, map_col = st.columns([1.25, 2], gap="medium")
with edit_col:
    st.markdown(f"**{tr('scen.edits')}**" + (f" · {scenario.description}"
                                              if scenario.description else ""))
    if scenario.edits:
        st.dataframe(pd.DataFrame({"#": range(len(scenario.edits)),
                                   tr("scen.edit"): [edit_text(e, language) for e in scenario.edits]}),
                     hide_index=True, width="stretch", key="scen_edits_table")
        rm = st.number_input(tr("scen.edit_no"), 0, len(scenario.edits) - 1, 0, key="scen_rm")
        if st.button(tr("scen.remove_edit"), key="scen_rm_btn"):
            scenario.remove(int(rm))
            _save(the_store, scenario, check=False)
            st.rerun()
    else:
        st.caption(tr("scen.no_edits"))

    tab_b, tab_ifc, tab_other = st.tabs([tr("scen.tab.building"), tr("scen.tab.ifc"),
                                         tr("scen.tab.other")])
    with tab_b:
        crs_choice = st.radio(tr("scen.crs"), ["EPSG:4326", working_crs().to_string()],
                              format_func=_labels(lambda c: tr("scen.crs.wgs84")
                                                  if c == "EPSG:4326"
                                                  else tr("scen.crs.working", crs=c),
                                                  ["EPSG:4326", working_crs().to_string()]),
                              horizontal=True,
                              key="scen_crs")
        st.text_area(tr("scen.footprint"), key="scen_fp", height=90,
                     help=tr("scen.footprint_help"))
        parcels_tok = [(n, v) for n, v in tokens.items() if v[0] == "parcel"]
        draw_on = None
        if parcels_tok:
            pframe = pd.concat([read_layer(url, n, v[1], v[2]) for n, v in parcels_tok],
                               ignore_index=True)
            pids = sorted(pframe["id"].astype(str).tolist())
            draw_on = st.selectbox(tr("scen.draw_on"), [""] + pids, key="scen_draw_on",
                                   format_func=_labels(lambda p: p or tr("scen.draw_off"),
                                                       [""] + pids))
        c1, c2, c3 = st.columns(3)
        height = c1.number_input(tr("scen.height"), 1.0, 1000.0, 30.0, 1.0, key="scen_height")
        floors = c2.number_input(tr("scen.floors"), 0, 300, 0, 1, key="scen_floors",
                                 help=tr("scen.floors_help"))
        use = c3.selectbox(tr("scen.use"), USES, key="scen_use",
                           format_func=_labels(lambda u: f"{u} {label('landuse', u, language)}",
                                               USES))
        bid = st.text_input(tr("scen.id"), key="scen_bid", placeholder=f"new-{len(scenario.edits) + 1}")
        if st.button(tr("scen.add_building"), key="scen_add_building", type="primary"):
            try:
                pts = parse_points(st.session_state.get("scen_fp", ""), "footprint")
                edit = AddBuilding(footprint=pts, height_m=float(height),
                                   floors=int(floors) or None, use=use,
                                   id=bid.strip() or None,
                                   crs="EPSG:4326" if crs_choice == "EPSG:4326" else crs_choice)
            except TwinError as exc:
                _report(exc)
                st.rerun()
            scenario.add(edit)
            if _save(the_store, scenario):
                st.session_state["scen_clear_fp"] = True
            st.rerun()
        if st.button(tr("scen.clear_fp"), key="scen_clear"):
            st.session_state["scen_clear_fp"] = True
            st.rerun()
    with tab_ifc:
        upload = st.file_uploader(tr("scen.ifc_file"), type=["ifc"], key="scen_ifc")
        localize_uploader()
        if upload is not None:  # titled by whether the file has its own georeference
            data = upload.getvalue()
            geo = _upload_georef(hashlib.sha256(data).hexdigest(), data,
                                 Path(upload.name).suffix or ".ifc")
            st.markdown(f"**{anchor_title(georef_source(geo))}**")
        anchor = st.text_input(tr("scen.anchor"), key="scen_anchor",
                               help=tr("scen.anchor_help"))
        ifc_id = st.text_input(tr("scen.id"), key="scen_ifc_id")
        if st.button(tr("scen.add_ifc"), key="scen_add_ifc") and upload is not None:
            if upload.size > upload_limit_bytes():
                _report(tr("import.too_big", name=upload.name,
                           mb=round(upload.size / 2**20, 1), limit=f"{upload_limit_mb():g}"))
                st.rerun()
            data = upload.getvalue()
            # kept by the store, named by content (never by the client), carried by copies
            key, new_file = the_store.save_attachment(data, ".ifc")
            path = the_store.attachment_path(key)
            scenario.add(AddIfc(path=str(path), anchor=anchor.strip() or None,
                                id=ifc_id.strip() or None,
                                sha256=hashlib.sha256(data).hexdigest()))
            if not _save(the_store, scenario):
                scenario.edits.pop()            # the refused edit and its file leave nothing
                if new_file:
                    the_store.delete_attachment(key)
                # the message names the file the user chose, not where it was kept
                st.session_state["scen_error"] = gui_message(
                    st.session_state["scen_error"].replace(str(path.resolve()), upload.name),
                    upload=path, name=upload.name)
            st.rerun()
    with tab_other:
        line = st.text_input(tr("scen.edit_line"), key="scen_line",
                             placeholder="set-parcel id=P1 max_far=3.5 · flood level=4.5",
                             help=tr("scen.edit_line_help"))
        if st.button(tr("scen.add_edit"), key="scen_add_line") and line.strip():
            try:
                for e in parse_edits(shlex.split(line), start=len(scenario.edits)):
                    scenario.add(e)
            except (TwinError, ValueError) as exc:
                _report(exc)
                st.rerun()
            _save(the_store, scenario)
            st.rerun()
    base_level = st.number_input(tr("scen.base_flood"), value=None, step=0.5,
                                 key="scen_base_flood", help=tr("scen.base_flood_help"))
    full = st.toggle(tr("scen.full"), value=False, key="scen_full", help=tr("scen.full_help"))

# ---- the scenario's view and diff ---------------------------------------------------------
tok_key = tuple(sorted((n, v[1], v[2]) for n, v in tokens.items()))
try:
    with st.spinner(tr("scen.computing")):
        bundle = scenario_bundle(url, name, version, tok_key,
                                 None if base_level is None else float(base_level), full)
except TwinError as exc:
    st.error(gui_message(exc))
    st.stop()

with map_col:
    c1, c2, c3 = st.columns(3)
    c3.radio(tr("scen.frame"), ["changes", "town"], horizontal=True, key="scen_frame",
             format_func=_labels(lambda v: tr(f"scen.frame.{v}"), ["changes", "town"]),
             on_change=lambda: st.session_state.update(
                 scen_view_nonce=st.session_state.get("scen_view_nonce", 0) + 1))
    show = c1.radio(tr("scen.show"), ["scenario", "base"], horizontal=True, key="scen_show",
                    format_func=_labels(lambda v: tr(f"scen.show.{v}"), ["scenario", "base"]))
    style = c2.radio(tr("scen.proposed_style"), ["ghost", "outline"], horizontal=True,
                     key="scen_style",
                     format_func=_labels(lambda v: tr(f"scen.style.{v}"), ["ghost", "outline"]))
    picking = not draw_on  # while drawing, only the snapping grid answers clicks
    changes = bundle["changes"]
    status = bundle["status"]
    scene = Scene()
    if show == "base":
        drawn = [(n, v[0], read_layer(url, n, v[1], v[2])) for n, v in tokens.items()
                 if v[0] in DRAWN]
    else:
        drawn = [(n, kind, frame) for n, (kind, frame) in bundle["layers"].items()]
    for n, kind, frame in sorted(drawn, key=lambda d: (ORDER.get(d[1], 9), d[0])):
        if show == "scenario" and kind == "building" and CHANGE_COLUMN in frame.columns:
            frame = frame[frame[CHANGE_COLUMN].astype("string").fillna("") != "added"]
        scene.add_frame(frame, kind, name=n, opacity=0.55 if kind == "building" else 0.8,
                        pickable=picking)
    if show == "scenario":
        _draw_proposals(scene, bundle, outline_only=(style == "outline"), pickable=picking)
    if status["change"].isin(["worse", "better"]).any():
        _draw_status_changes(scene, status, bundle["layers"] if show == "scenario" else {
            n: (v[0], read_layer(url, n, v[1], v[2])) for n, v in tokens.items()
            if v[0] in ("parcel", "building")}, pickable=picking)
    grid = _grid(pframe, draw_on) if draw_on else None
    if grid is not None:
        scene.add(snap_grid(grid, name="scen_grid"), bounds_of=grid)
    fp_text = st.session_state.get("scen_fp", "").strip()
    if fp_text:
        try:
            pts = parse_points(fp_text)
            src = "EPSG:4326" if crs_choice == "EPSG:4326" else crs_choice
            geom = Polygon(pts) if len(pts) >= 3 else LineString(pts) if len(pts) == 2 \
                else Point(pts[0])
            sketch = gpd.GeoDataFrame({"t": [tr("scen.sketch")], "height_m": [float(height)]},
                                      geometry=[geom], crs=src).to_crs(working_crs())
            scene.add(outline_layer(sketch, name="scen_sketch", color=PROPOSED_COLOR,
                                    pickable=picking, elevation=len(pts) >= 3))
        except (TwinError, ValueError):
            st.caption(tr("scen.sketch_bad"))
    focus_changes = len(changes) > 0 and st.session_state.get("scen_frame", "changes") == "changes"
    if grid is not None:
        view = bounds_view(wgs84_bounds(grid.buffer(40)), pitch=30.0)
    elif focus_changes:
        # Frame what the scenario changes, with the neighbourhood it can affect.
        view = bounds_view(wgs84_bounds(changes.buffer(FOCUS_MARGIN_M)), pitch=50.0)
    else:
        view = scene.overview()
    view = nudge_view(view, st.session_state.get("scen_view_nonce", 0))
    deck = scene.deck(view, **deck_options())
    st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="scen_map",
                    height=560, width="stretch")
    st.caption(tr("scen.legend"))

# ---- before / after -------------------------------------------------------------------------
def _shaded(raw: pd.DataFrame, colors: list[str]):
    """``raw`` as the page shows it (:func:`twin.display.diff_frame`), each row shaded by
    ``colors`` (computed on the raw codes, which do not change with the language)."""
    shown = diff_frame(raw, language, titles=titles)
    return shown.style.apply(lambda r: [f"background-color: {colors[r.name]}"
                                        if colors[r.name] else ""] * len(r), axis=1)


titles = _query_titles(language)
st.markdown(f"**{tr('scen.status_changes')}**")
if status.empty:
    st.caption(tr("scen.no_status_change"))
else:
    shades = {"worse": "#fde2e1", "better": "#dff5e3"}
    st.dataframe(_shaded(status, [shades.get(c, "") for c in status["change"]]),
                 hide_index=True, width="stretch", key="scen_status_table")
st.markdown(f"**{tr('scen.indicators')}**")
ind = bundle["indicators"]
only_changed = st.toggle(tr("scen.only_changed"), value=True, key="scen_only_changed")
shown = (ind[ind["changed"]] if only_changed else ind).reset_index(drop=True)
st.dataframe(_shaded(shown, ["#fff3cd" if c else "" for c in shown["changed"]]),
             hide_index=True, width="stretch", key="scen_diff_table")
st.caption(tr("scen.timing", seconds=f"{bundle['seconds']:.2f}"))
for q, reason in sorted(bundle["skipped"].items()):
    st.caption(tr("scen.skipped", query=titles.get(q, q), reason=gui_message(reason)))
