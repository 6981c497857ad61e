"""一屏通览 Dashboard: KPI cards and small charts over the current store: parcel area by land
use, total GFA, FAR and height compliance, facility coverage, sensor status and water
levels. Indicators come from :mod:`twin.query` (the same functions as the Queries page)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
import streamlit as st

from app_pages.common import gui_message, lang, read_layer, store_or_stop, store_url, tr
from app_pages.dashboard_charts import dashboard_charts
from twin.display import display_frame
from twin.errors import TwinError
from twin.i18n import label
from twin.number_format import fmt_area, fmt_count
from twin.render import latest_readings
from twin.render.palette import land_use_group


def _concat(url: str, items: tuple):
    frames = [read_layer(url, n, v, s) for n, v, s in items]
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return None
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames, ignore_index=True)
    if hasattr(frames[0], "crs"):
        import geopandas as gpd

        out = gpd.GeoDataFrame(out, geometry="geometry", crs=frames[0].crs)
    return out


@st.cache_data(show_spinner=False, max_entries=16)
def summary(url: str, by_kind: dict) -> dict:
    """Every figure of the dashboard, computed once per set of layer versions."""
    from twin.query.common import building_gfa
    from twin.query.coverage import run_coverage
    from twin.query.indicators import parcel_indicators
    from twin.query.inputs import QueryInputs

    frames = {kind: _concat(url, items) for kind, items in by_kind.items()}
    out: dict = {}
    parcels, buildings = frames.get("parcel"), frames.get("building")
    if parcels is not None:
        area = shapely.area(parcels.geometry.to_numpy())
        codes = parcels["land_use"] if "land_use" in parcels.columns else \
            pd.Series([None] * len(parcels))
        groups = [land_use_group(c) for c in codes.tolist()]
        out["landuse_area"] = (pd.DataFrame({"group": groups, "area_ha": area / 1e4})
                               .groupby("group", sort=True)["area_ha"].sum())
        out["parcel_area_ha"] = float(area.sum() / 1e4)
    if buildings is not None:
        gfa, _ = building_gfa(buildings)
        out["gfa_m2"] = float(np.nansum(gfa))
        out["buildings"] = int(len(buildings))
    if parcels is not None and buildings is not None:
        ind, _ = parcel_indicators(parcels, buildings, roads=frames.get("road"))
        out["compliance"] = {k: ind[f"{k}_status"].value_counts().to_dict()
                             for k in ("far", "height")}
        fails = ind[ind["status"] == "fail"]
        out["fails"] = pd.DataFrame({"id": fails["id"].astype(str),
                                     "name": fails["name"].astype(str),
                                     "fails": fails["fails"].astype(str)})
    if buildings is not None and frames.get("facility") is not None:
        res = run_coverage(QueryInputs(frames={k: v for k, v in frames.items() if v is not None}))
        out["coverage"] = pd.DataFrame(res.table)
    sensors = frames.get("sensor")
    readings = frames.get("sensor_reading")
    if sensors is not None:
        out["sensors"] = int(len(sensors))
    if readings is not None:
        out["latest"] = latest_readings(readings, sensors)
        water_ids = set()
        if sensors is not None and "kind" in sensors.columns:
            water_ids = set(sensors.loc[sensors["kind"].astype("string") == "water_level",
                                        "id"].astype(str))
        wl = readings[readings["sensor_id"].astype(str).isin(water_ids)].copy()
        if len(wl):
            wl["time"] = pd.to_datetime(wl["time"], errors="coerce", utc=True)
            wl["value"] = pd.to_numeric(wl["value"], errors="coerce")
            out["water"] = wl.pivot_table(index="time", columns="sensor_id", values="value",
                                          aggfunc="mean").sort_index()
    return out


def _town_layers(st_obj, names: list[str], tokens: dict) -> list[str]:
    """The layers counted by default: per kind, the one named after the kind, else the
    first one imported (the town's own), and every IFC import (``ifc_*``). A test file
    imported later as a new layer changes the figures only when chosen."""
    chosen = []
    for kind in dict.fromkeys(tokens[n][0] for n in names):
        of_kind = [n for n in names if tokens[n][0] == kind and not n.startswith("ifc_")]
        if kind in of_kind:
            chosen.append(kind)
        elif of_kind:
            chosen.append(min(of_kind, key=lambda n: (st_obj.versions(n)[0].created, n)))
    return [n for n in names if n in chosen or n.startswith("ifc_")]


language = lang()
url = store_url()
st.subheader(tr("dash.title"))
STATUS_HEX = {"#2ca25f": "pass", "#de2d26": "fail", "#bdbdbd": "n/a"}  # in column order
the_store, tokens = store_or_stop()
if not tokens:
    st.info(tr("map.empty", url=url))
    st.stop()

KINDS_USED = ("parcel", "building", "road", "facility", "sensor", "sensor_reading")
candidates = [n for n, v in sorted(tokens.items()) if v[0] in KINDS_USED]
default = _town_layers(the_store, candidates, tokens)
counted = st.multiselect(tr("dash.layers"), candidates, default=default, key="dash_layers",
                         format_func=lambda n: f"{label('kind', tokens[n][0], language)} · {n}")
by_kind: dict[str, tuple] = {}
for name in counted:
    kind, version, sha = tokens[name]
    by_kind[kind] = by_kind.get(kind, ()) + ((name, version, sha),)
try:
    with st.spinner(tr("dash.computing")):
        data = summary(url, by_kind)
except TwinError as exc:  # a layer that cannot be read: say which, and where to repair it
    st.error(tr("dash.error", error=gui_message(exc)))
    st.stop()

comp = data.get("compliance", {})
latest = data.get("latest")
alarms = int(latest["alarm"].sum()) if latest is not None and len(latest) else 0
exceeded = int(latest["exceeded"].sum()) if latest is not None and len(latest) else 0
k1, k2, k3, k4, k5 = st.columns(5)
k1.metric(tr("dash.kpi.parcel_area"), fmt_area(data.get("parcel_area_ha", 0) * 1e4, language))
k2.metric(tr("dash.kpi.gfa"), fmt_area(data.get("gfa_m2", 0), language))
k3.metric(tr("dash.kpi.buildings"), fmt_count(data.get("buildings", 0)))
k4.metric(tr("dash.kpi.far_fail"), fmt_count(comp.get("far", {}).get("fail", 0)))
k5.metric(tr("dash.kpi.alarms"), alarms, help=tr("dash.kpi.alarms_help", n=exceeded))

c1, c2 = st.columns(2)
with c1:
    st.markdown(f"**{tr('dash.landuse')}**")
    if "landuse_area" in data:
        la = data["landuse_area"]
        chart = pd.DataFrame({tr("dash.area_ha"): la.to_numpy()},
                             index=[f"{k} {label('landuse', k, language)}" for k in la.index])
        st.bar_chart(chart, height=260)
    else:
        st.caption(tr("dash.no_data"))
with c2:
    st.markdown(f"**{tr('dash.compliance')}**")
    if comp:
        rows = []
        for ind in ("far", "height"):
            counts = comp.get(ind, {})
            rows.append({tr("dash.indicator"): tr(f"dash.ind.{ind}"),
                         tr("dash.pass"): int(counts.get("pass", 0)),
                         tr("dash.fail"): int(counts.get("fail", 0)),
                         tr("dash.na"): int(counts.get("n/a", 0))})
        frame = pd.DataFrame(rows).set_index(tr("dash.indicator"))
        # colours follow the meaning, not the (language-dependent) column names
        st.bar_chart(frame, height=200, stack=True, color=list(STATUS_HEX))
        # a single failing parcel is a sliver at the chart's scale: the counts in words too
        for row in rows:
            st.caption(tr("dash.compliance_counts", indicator=row[tr("dash.indicator")],
                          ok=fmt_count(row[tr("dash.pass")]),
                          bad=fmt_count(row[tr("dash.fail")]),
                          na=fmt_count(row[tr("dash.na")])))
        fails = data.get("fails")
        if fails is not None and len(fails):
            st.dataframe(display_frame(fails, language), hide_index=True,
                         height=36 * (len(fails) + 1) + 2 if len(fails) < 6 else 220)
    else:
        st.caption(tr("dash.no_data"))

c3, c4 = st.columns(2)
with c3:
    st.markdown(f"**{tr('dash.coverage')}**")
    cov = data.get("coverage")
    if cov is not None and len(cov):
        cols = [c for c in ("kind", "radius_m", "share_buildings", "share_gfa") if c in cov]
        show = cov[cols].copy()
        st.dataframe(display_frame(show, language), hide_index=True)
    else:
        st.caption(tr("dash.no_data"))
with c4:
    st.markdown(f"**{tr('dash.sensors')}**")
    if latest is not None and len(latest):
        show = latest.copy()
        show["kind"] = [label("sensor", k, language) for k in show["kind"].astype(str)]
        show["alarm"] = np.where(show["alarm"], "⚠", "")
        show["exceeded"] = np.where(show["exceeded"], "⚠", "")
        st.dataframe(display_frame(show, language), hide_index=True, height=200)
    else:
        st.caption(tr("dash.no_data"))

st.markdown(f"**{tr('dash.water')}**")
water = data.get("water")
if water is not None and len(water):
    st.line_chart(water, height=220)
else:
    st.caption(tr("dash.no_data"))

try:
    dashboard_charts(url, tokens, language)  # land-use mix, FAR, alerts over time, projects
except TwinError as exc:
    st.error(tr("dash.error", error=gui_message(exc)))
