"""多屏对比 Compare: two maps side by side with the same camera — the base against a
scenario, two scenarios, or two versions of one layer — with the changed buildings outlined
and the feature diff listed below."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import (
    deck_options,
    gui_message,
    lang,
    read_layer,
    store_or_stop,
    store_url,
    tr,
)
from twin.errors import TwinError
from twin.i18n import label
from twin.kinds import get_kind
from twin.layer_diff import diff_frames
from twin.render import (
    bounds_view,
    build_deck,
    deck_layers,
    nudge_view,
    overview_view,
    prepare_layer,
    union_bounds,
)
from twin.render.prepare import wgs84_bounds
from twin.render.scenario import REMOVED_COLOR, WORSE_COLOR, ghost_buildings, outline_layer
from twin.scenario import apply, load_base, load_scenario
from twin.store import open_store

DRAWN = ("parcel", "river", "road", "building", "facility")
ORDER = {"parcel": 0, "river": 1, "road": 2, "building": 3, "facility": 4}
BASE = "__base__"


@st.cache_data(show_spinner=False, max_entries=8)
def scenario_frames(url: str, name: str, tokens: tuple, doc: str) -> dict:
    """``{layer: (kind, frame)}`` of the drawn kinds: the base (``name`` is BASE) or a
    scenario's view (cached on every layer version and the scenario document)."""
    st_obj = open_store(url)
    base = load_base(st_obj, kinds=list(DRAWN))
    view = base if name == BASE else apply(base, load_scenario(st_obj, name))
    return {n: (view.kinds[n], view.data[n]) for n in view.data if view.kinds[n] in DRAWN}


def version_frames(url: str, tokens: dict, layer: str, version: int) -> dict:
    """``{layer: (kind, frame)}`` of the drawn kinds at their current versions, with
    ``layer`` at ``version``."""
    out = {}
    for name, (kind, current, sha) in tokens.items():
        if kind not in DRAWN:
            continue
        if name == layer and version != current:
            out[name] = (kind, open_store(url).read(name, version=version))
        else:
            out[name] = (kind, read_layer(url, name, current, sha))
    return out


@st.cache_data(show_spinner=False, max_entries=64)
def _prepared(side: str, _frame, kind: str, name: str):
    """The drawing data of one layer of one side (``side`` is that side's cache key)."""
    return prepare_layer(_frame, kind, name=name)


def side_diffs(left: dict, right: dict) -> dict:
    """``{layer: LayerDiff}`` of every layer present on both sides that differs."""
    out = {}
    for name, (kind, frame) in right.items():
        if name not in left or left[name][0] != kind:
            continue
        result = diff_frames(left[name][1], frame, get_kind(kind).id_column or "id", layer=name)
        if len(result.added) or len(result.removed) or len(result.changed):
            out[name] = result
    return out


def draw(side: str, frames: dict, outlines: list, only_here: dict) -> tuple[list, dict, list]:
    """Deck layers, data and WGS84 bounds of one side (``side``: its cache key), with its
    outlines on top; the buildings in ``only_here`` (``{layer: ids}``, on this side only)
    are drawn ghosted in the proposal colour instead of as ordinary blocks."""
    layers, data, bounds, ghosts = [], {}, [], []
    for name in sorted(frames, key=lambda n: (ORDER.get(frames[n][0], 9), n)):
        kind, frame = frames[name]
        ids = only_here.get(name) if kind == "building" else None
        if ids:
            mine = frame[get_kind(kind).id_column].astype("string").isin(ids).to_numpy()
            more, more_data = ghost_buildings(frame[mine], name=f"cmp_only_{name}",
                                              opacity=0.8, pickable=False)
            ghosts += more
            data.update(more_data)
            frame = frame[~mine]
        prep = _prepared(side + f"|-{sorted(ids or [])}", frame, kind, name)
        if prep.bounds is not None:
            bounds.append(prep.bounds)
        more, more_data = deck_layers(prep, opacity=0.9 if kind != "building" else 1.0)
        layers += more
        data.update(more_data)
    layers += ghosts
    for frame, name, color, elevation in outlines:
        if len(frame):
            more, more_data = outline_layer(frame, name=name, color=color, elevation=elevation,
                                            width_px=4.0, fill_alpha=60)
            layers += more
            data.update(more_data)
    return layers, data, bounds


def _bump():
    st.session_state["cmp_nonce"] = st.session_state.get("cmp_nonce", 0) + 1


language = lang()
url = store_url()
st.subheader(tr("compare.title"))
the_store, tokens = store_or_stop()
if not any(v[0] in DRAWN for v in tokens.values()):
    st.info(tr("map.empty", url=url))
    st.stop()

mode = st.radio(tr("compare.mode"), ["scenario", "versions"], horizontal=True,
                format_func=lambda m: tr(f"compare.mode.{m}"), key="cmp_mode", on_change=_bump)
key_tokens = tuple(sorted((n, v[1], v[2]) for n, v in tokens.items() if v[0] in DRAWN))
try:
    if mode == "scenario":
        names = [BASE, *the_store.scenarios()]
        if len(names) < 2:
            st.info(tr("compare.no_scenarios"))
            st.stop()
        c1, c2 = st.columns(2)
        pick = {BASE: tr("compare.base")}
        left_name = c1.selectbox(tr("compare.left"), names, index=0, key="cmp_left",
                                 format_func=lambda n: pick.get(n, n), on_change=_bump)
        right_name = c2.selectbox(tr("compare.right"), names, index=1, key="cmp_right",
                                  format_func=lambda n: pick.get(n, n), on_change=_bump)

        def _doc(name):
            if name == BASE:
                return ""
            return repr(load_scenario(the_store, name).to_dict().get("edits"))

        left = scenario_frames(url, left_name, key_tokens, _doc(left_name))
        right = scenario_frames(url, right_name, key_tokens, _doc(right_name))
        titles = (pick.get(left_name, left_name), pick.get(right_name, right_name))
        keys = (f"{left_name}|{_doc(left_name)}|{key_tokens}",
                f"{right_name}|{_doc(right_name)}|{key_tokens}")
    else:
        drawn = sorted(n for n, v in tokens.items() if v[0] in DRAWN)
        c0, c1, c2 = st.columns([2, 1, 1])
        layer = c0.selectbox(tr("compare.layer"), drawn, key="cmp_layer", on_change=_bump,
                             format_func=lambda n: f"{label('kind', tokens[n][0], language)} · {n}")
        versions = [v.version for v in the_store.versions(layer)]
        v1 = c1.selectbox(tr("compare.v1"), versions, index=max(len(versions) - 2, 0),
                          key="cmp_v1", on_change=_bump)
        v2 = c2.selectbox(tr("compare.v2"), versions, index=len(versions) - 1, key="cmp_v2",
                          on_change=_bump)
        left = version_frames(url, tokens, layer, int(v1))
        right = version_frames(url, tokens, layer, int(v2))
        titles = (tr("compare.version", layer=layer, v=v1), tr("compare.version", layer=layer, v=v2))
        keys = (f"{layer}@{v1}|{key_tokens}", f"{layer}@{v2}|{key_tokens}")
except TwinError as exc:
    st.error(gui_message(exc))
    st.stop()

diffs = side_diffs(left, right)
left_out, right_out = [], []
for name, d in diffs.items():
    before = left[name][1]
    left_out.append((before[before[d.id_column].astype("string").isin(d.ids("changed"))],
                     f"cmp_before_{name}", WORSE_COLOR, False))
    right_out.append((d.changed, f"cmp_changed_{name}", WORSE_COLOR, False))
    if left[name][0] != "building":  # buildings on one side only are drawn ghosted
        left_out.append((d.removed, f"cmp_removed_{name}", REMOVED_COLOR, False))
        right_out.append((d.added, f"cmp_added_{name}", WORSE_COLOR, False))

left_layers, left_data, bounds = draw(keys[0], left, left_out,
                                     {n: d.ids("removed") for n, d in diffs.items()})
right_layers, right_data, bounds_r = draw(keys[1], right, right_out,
                                         {n: d.ids("added") for n, d in diffs.items()})

# ---- one camera for both maps ----------------------------------------------------------
targets = {"overview": tr("compare.camera.overview")}
rows = []
for name, d in diffs.items():
    rows.append(d.rows().assign(layer=name))
    for change in ("added", "changed", "removed"):
        frame = getattr(d, change)
        for i in range(len(frame)):
            ident = str(frame[d.id_column].iloc[i])
            targets[f"{name}|{change}|{ident}"] = tr("compare.camera.feature", layer=name,
                                                     id=ident, change=tr(f"compare.{change}"))
target = st.selectbox(tr("compare.camera"), list(targets), format_func=targets.get,
                      key="cmp_camera", on_change=_bump)
view = overview_view(union_bounds(bounds + bounds_r))
if target != "overview":
    name, change, ident = target.split("|", 2)
    frame = getattr(diffs[name], change) if name in diffs else None
    if frame is not None:
        sub = frame[frame[diffs[name].id_column].astype("string") == ident]
        box = wgs84_bounds(sub)
        if box is not None:
            pad = 0.002
            view = bounds_view((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad),
                               pitch=50.0, max_zoom=18.0)
view = nudge_view(view, st.session_state.get("cmp_nonce", 0))

col_left, col_right = st.columns(2, gap="small")
for col, title, layers, data, key in ((col_left, titles[0], left_layers, left_data, "cmp_a"),
                                      (col_right, titles[1], right_layers, right_data, "cmp_b")):
    with col:
        st.markdown(f"**{title}**")
        st.pydeck_chart(build_deck(layers, data, view=view, **deck_options()), key=key,
                        height=560, width="stretch")
st.caption(tr("compare.legend"))

if rows:
    table = pd.concat(rows, ignore_index=True)[["layer", "change", "id", "name", "columns"]]
    table["change"] = [tr(f"compare.{c}") for c in table["change"]]
    st.markdown(f"**{tr('compare.diff', n=len(table))}**")
    st.dataframe(table.rename(columns={c: tr(f"compare.col.{c}") for c in table.columns}),
                 hide_index=True, width="stretch")
else:
    st.caption(tr("compare.same"))
