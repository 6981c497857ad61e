"""The dashboard's charts (一屏通览): land-use mix, FAR by parcel against its limit, sensor
alerts over time, and the key-project portfolio (investment by sector, progress against
plan, the delayed projects). Streamlit's native charts (Vega-Lite, shipped with Streamlit,
offline). The dashboard calls :func:`dashboard_charts` once."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import shapely
import streamlit as st

from app_pages.common import read_layer, tr
from twin.i18n import label
from twin.projects import delayed_projects, projects_at
from twin.render.palette import land_use_group
from twin.sensor_playback import alerts_over_time

__all__ = ["dashboard_charts", "FAR_BARS"]

FAR_BARS = 25  # parcels in the FAR chart: the highest built FAR first


def _concat(url: str, tokens: dict, kind: str):
    frames = [read_layer(url, n, v[1], v[2]) for n, v in sorted(tokens.items()) if v[0] == kind]
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return None
    out = pd.concat(frames, ignore_index=True)
    if hasattr(frames[0], "geometry"):
        import geopandas as gpd

        out = gpd.GeoDataFrame(out, geometry="geometry", crs=frames[0].crs)
    return out


@st.cache_data(show_spinner=False, max_entries=8)
def chart_data(url: str, key: tuple, tokens: dict) -> dict:
    """Every table the charts draw, computed once per set of layer versions (``key``)."""
    from twin.query.indicators import parcel_indicators

    out: dict = {}
    parcels, buildings = _concat(url, tokens, "parcel"), _concat(url, tokens, "building")
    if parcels is not None:
        area = shapely.area(parcels.geometry.to_numpy()) / 1e4
        groups = [land_use_group(c) for c in parcels["land_use"].tolist()]
        mix = pd.Series(area, index=groups).groupby(level=0).sum()
        out["mix"] = (mix / mix.sum() * 100).round(1)
    if parcels is not None and buildings is not None:
        ind, _ = parcel_indicators(parcels, buildings, roads=_concat(url, tokens, "road"))
        far = pd.DataFrame({"id": ind["id"].astype(str), "far": ind["far"],
                            "max_far": ind["max_far"]}).dropna(subset=["far"])
        out["far"] = far.sort_values("far", ascending=False).head(FAR_BARS)
    sensors, readings = _concat(url, tokens, "sensor"), _concat(url, tokens, "sensor_reading")
    if sensors is not None and readings is not None:
        out["alerts"] = alerts_over_time(readings, sensors)
    projects = _concat(url, tokens, "project")
    if projects is not None:
        out["projects"] = pd.DataFrame(projects.drop(columns="geometry", errors="ignore"))
    return out


def dashboard_charts(url: str, tokens: dict, language: str) -> None:
    """Draw the charts for the store's current layers (``tokens`` as from
    :func:`app_pages.common.layer_tokens`)."""
    key = tuple(sorted((n, v[1], v[2]) for n, v in tokens.items()))
    data = chart_data(url, key, tokens)
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**{tr('dashc.mix')}**")
        if "mix" in data:
            mix = data["mix"]
            st.bar_chart(pd.DataFrame({tr("dashc.share"): mix.to_numpy()},
                                      index=[f"{k} {label('landuse', k, language)}"
                                             for k in mix.index]), horizontal=True, height=260)
        else:
            st.caption(tr("dash.no_data"))
    with c2:
        st.markdown(f"**{tr('dashc.far', n=FAR_BARS)}**")
        if "far" in data and len(data["far"]):
            far = data["far"].set_index("id")[["far", "max_far"]].rename(columns={
                "far": tr("dashc.far_built"), "max_far": tr("dashc.far_limit")})
            st.bar_chart(far, stack=False, height=260)
        else:
            st.caption(tr("dash.no_data"))
    st.markdown(f"**{tr('dashc.alerts')}**")
    alerts = data.get("alerts")
    if alerts is not None and len(alerts) and alerts.to_numpy().sum():
        st.area_chart(alerts.rename(columns=lambda k: label("sensor", k, language)), height=220)
    else:
        st.caption(tr("dashc.no_alerts"))
    projects = data.get("projects")
    if projects is None or not len(projects):
        return
    today = dt.date.today()
    at = projects_at(projects, today)
    money = pd.to_numeric(at["investment_cny"], errors="coerce").fillna(0.0) / 1e8
    c3, c4 = st.columns(2)
    with c3:
        st.markdown(f"**{tr('dashc.invest')}**")
        by = pd.DataFrame({"sector": [label("sector", s, language) for s in at["sector"].astype(str)],
                           "state": [tr(f"portfolio.state.{s}") for s in at["state"]],
                           "yi": money})
        table = by.pivot_table(index="sector", columns="state", values="yi", aggfunc="sum",
                               fill_value=0.0)
        st.bar_chart(table, horizontal=True, height=280, y_label="", x_label=tr("dashc.yi"))
    with c4:
        st.markdown(f"**{tr('dashc.progress')}**")
        prog = at.set_index("name")[["progress_pct", "expected_pct"]].rename(columns={
            "progress_pct": tr("portfolio.col.progress"),
            "expected_pct": tr("portfolio.col.expected")})
        st.bar_chart(prog, stack=False, horizontal=True, height=280)
    late = delayed_projects(projects, today)
    st.markdown(f"**{tr('portfolio.delayed', date=today.isoformat())}**")
    if late.empty:
        st.caption(tr("portfolio.none_delayed"))
    else:
        st.dataframe(pd.DataFrame({
            tr("portfolio.col.id"): late["id"], tr("portfolio.col.name"): late["name"],
            tr("portfolio.col.owner"): late["owner"],
            tr("portfolio.col.finish"): late["finish_date"],
            tr("portfolio.col.progress"): late["progress_pct"],
            tr("portfolio.col.behind"): late["behind_pct"]}), hide_index=True, width="stretch")
