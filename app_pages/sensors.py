"""全域感知 Sensor playback: a time slider and play button over the readings, the sensors
coloured by their reading at that time with alerts marked, one sensor's series with its
threshold, and the flood query run at the water level a gauge read at that time."""

from __future__ import annotations

import time

import geopandas as gpd
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
from twin.number_format import fmt_area, fmt_count
from twin.query import run
from twin.render import (
    build_deck,
    deck_layers,
    nudge_view,
    overview_view,
    prepare_layer,
    union_bounds,
)
from twin.render.scenario import outline_layer
from twin.render.sensor_time import sensor_points
from twin.sensor_playback import reading_times, readings_at, series_of, water_level_at

BASE_KINDS = ("parcel", "river", "road", "building")
ORDER = {"parcel": 0, "river": 1, "road": 2, "building": 3}
FLOOD_COLOR = (30, 110, 255)
PLAY_STEP_S = 0.6


def _concat(url: str, tokens: dict, kind: str):
    frames = [read_layer(url, n, v[1], v[2]) for n, v in sorted(tokens.items()) if v[0] == kind]
    if not frames:
        return None
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, crs=frames[0].crs) if hasattr(frames[0], "geometry") else out


@st.cache_data(show_spinner=False, max_entries=32)
def base_layer(url: str, name: str, kind: str, version: int, sha: str):
    """One base layer's drawing data (cached)."""
    return prepare_layer(read_layer(url, name, version, sha), kind, name=name, color_by="use")


@st.cache_data(show_spinner=False, max_entries=32)
def flood_at(url: str, level_cm: int, tokens: tuple):
    """The flood query at ``level_cm`` centimetres (cached on the level and the layers)."""
    from twin.store import open_store

    result = run("flood", open_store(url), level_m=level_cm / 100.0)
    return result.summary_json(), result.extra_layers.get("flooded_area")


def _fmt_time(stamp, tz) -> str:
    return (stamp.tz_convert(tz) if tz is not None else stamp).strftime("%m-%d %H:%M")


def _toggle_play():
    st.session_state["sp_playing"] = not st.session_state.get("sp_playing", False)


language = lang()
url = store_url()
st.subheader(tr("sensors.title"))
the_store, tokens = store_or_stop()
sensors = _concat(url, tokens, "sensor")
readings = _concat(url, tokens, "sensor_reading")
if sensors is None or readings is None or not len(readings):
    st.info(tr("sensors.empty"))
    st.stop()
times = reading_times(readings)
if not times:
    st.info(tr("sensors.empty"))
    st.stop()
first = str(readings["time"].dropna().iloc[0])
tz = pd.Timestamp(first).tz

# ---- time slider and play button ---------------------------------------------------------
if st.session_state.get("sp_time") not in times:
    st.session_state["sp_time"] = times[0]
if st.session_state.get("sp_playing"):
    pos = times.index(st.session_state["sp_time"])
    if pos + 1 < len(times):
        st.session_state["sp_time"] = times[pos + 1]
    else:
        st.session_state["sp_playing"] = False
c1, c2 = st.columns([6, 1], vertical_alignment="bottom")
with c1:
    when = st.select_slider(tr("sensors.time"), options=times, key="sp_time",
                            format_func=lambda s: _fmt_time(s, tz))
with c2:
    st.button(tr("sensors.pause") if st.session_state.get("sp_playing") else tr("sensors.play"),
              on_click=_toggle_play, key="sp_play", width="stretch")

state = readings_at(readings, sensors, when)
kinds = {k: label("sensor", k, language) for k in state["kind"].dropna().unique()}
texts = []
for row in state.itertuples(index=False):
    value = "—" if pd.isna(row.value) else f"{row.value:g} {row.unit or ''}".strip()
    th = "" if pd.isna(row.threshold) else f" / {row.threshold:g}"
    texts.append(f"{row.sensor_id} · {kinds.get(row.kind, row.kind)} · {value}{th}"
                 + (" · ⚠" if row.alarm else ""))

# ---- flood linked to a water-level gauge ---------------------------------------------------
gauges = state.loc[state["kind"] == "water_level", "sensor_id"].tolist()
has_terrain = any(v[0] == "terrain" for v in tokens.values())
flood_layers, flood_data, flood_summary = [], {}, None
with st.sidebar:
    st.markdown(f"**{tr('sensors.flood')}**")
    if gauges and has_terrain:
        linked = st.toggle(tr("sensors.flood_on"), key="sp_flood", value=False)
        gauge = st.selectbox(tr("sensors.gauge"), gauges, key="sp_gauge")
        if linked:
            try:
                level, read_at = water_level_at(readings, sensors, gauge, when)
                key = tuple(sorted((n, v[1], v[2]) for n, v in tokens.items()))
                flood_summary, area = flood_at(url, int(round(level * 100)), key)
                st.caption(tr("sensors.flood_level", level=f"{level:.2f}", time=read_at))
                if area is not None and len(area):
                    flood_layers, flood_data = outline_layer(
                        area.assign(t=tr("sensors.flooded")), name="sp_flood",
                        color=FLOOD_COLOR, width_px=1.0, fill_alpha=110, pickable=False)
            except TwinError as exc:
                st.warning(gui_message(exc))
    else:
        st.caption(tr("sensors.flood_none"))

# ---- the map -------------------------------------------------------------------------------
layers, data, bounds = [], {}, []
for name in sorted((n for n, v in tokens.items() if v[0] in BASE_KINDS),
                   key=lambda n: (ORDER[tokens[n][0]], n)):
    kind, version, sha = tokens[name]
    prep = base_layer(url, name, kind, version, sha)
    if prep.bounds is not None:
        bounds.append(prep.bounds)
    more, more_data = deck_layers(prep, opacity=0.35 if kind in ("parcel", "building") else 0.8,
                                  pickable=False)
    layers += more
    data.update(more_data)
layers += flood_layers
data.update(flood_data)
more, more_data = sensor_points(sensors, state, texts=texts)
layers += more
data.update(more_data)

left, right = st.columns([3, 1.3], gap="small")
with left:
    st.pydeck_chart(build_deck(layers, data, view=nudge_view(overview_view(union_bounds(bounds)), 0),
                               **deck_options()),
                    on_select="rerun", selection_mode="single-object", key="sp_map", height=560,
                    width="stretch")
    st.caption(tr("sensors.legend"))


def _picked() -> str | None:
    try:
        objects = st.session_state["sp_map"]["selection"]["objects"]
    except (KeyError, TypeError):
        return None
    for objs in (objects or {}).values():
        if objs and "k" in objs[0]:
            k = int(objs[0]["k"])
            if 0 <= k < len(state):
                return str(state["sensor_id"].iat[k])
    return None


with right:
    alerts = state[state["alarm"]]
    st.metric(tr("sensors.alerts"), int(len(alerts)), help=tr("sensors.alerts_help"))
    if len(alerts):
        st.dataframe(pd.DataFrame({tr("sensors.col.id"): alerts["sensor_id"],
                                   tr("sensors.col.value"): alerts["value"],
                                   tr("sensors.col.threshold"): alerts["threshold"]}),
                     hide_index=True, width="stretch")
    if flood_summary is not None:
        st.metric(tr("sensors.flood_buildings"),
                  fmt_count(flood_summary.get("affected_buildings", 0)))
        st.metric(tr("sensors.flood_area"),
                  fmt_area(flood_summary.get("land_flooded_area_m2", 0.0), language))

# ---- one sensor's series -------------------------------------------------------------------
ids = state["sensor_id"].tolist()
picked = _picked()
if picked is not None and st.session_state.get("sp_last_pick") != picked:
    st.session_state["sp_sensor"] = picked
    st.session_state["sp_last_pick"] = picked
chosen = st.selectbox(tr("sensors.series"), ids, key="sp_sensor",
                      format_func=lambda s: texts[ids.index(s)])
try:
    series = series_of(readings, chosen).set_index("time")
except TwinError:
    st.caption(tr("sensors.no_series"))
else:
    row = state[state["sensor_id"] == chosen].iloc[0]
    chart = series.rename(columns={"value": tr("sensors.col.value")})
    if pd.notna(row["threshold"]):
        chart[tr("sensors.col.threshold")] = float(row["threshold"])
    chart[tr("sensors.now")] = chart[tr("sensors.col.value")].where(
        chart.index <= when.tz_convert(chart.index.tz) if chart.index.tz else chart.index <= when)
    st.line_chart(chart, height=260)

if st.session_state.get("sp_playing"):
    time.sleep(PLAY_STEP_S)
    st.rerun()
