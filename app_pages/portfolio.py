"""项目管家 Key projects: the portfolio on the map by state, a 4D timeline slider that shows
the town as built on a chosen date (projects and the buildings they deliver appear by their
dates), progress and investment charts, and the delayed projects."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app_pages.common import deck_options, lang, read_layer, store_or_stop, store_url, tr
from twin.i18n import label
from twin.number_format import fmt_count, fmt_money
from twin.projects import STATES, delayed_projects, hidden_buildings, projects_at
from twin.render import (
    build_deck,
    deck_layers,
    nudge_view,
    overview_view,
    prepare_layer,
    union_bounds,
)
from twin.render.scenario import WORSE_COLOR, outline_layer

BASE_KINDS = ("parcel", "river", "road", "building")
ORDER = {"parcel": 0, "river": 1, "road": 2, "building": 3}
STATE_COLORS = {"under_construction": (240, 140, 0), "finished": (0, 150, 90)}


@st.cache_data(show_spinner=False, max_entries=32)
def base_layer(url: str, name: str, kind: str, version: int, sha: str, hidden: tuple):
    """One base layer's drawing data, with the buildings in ``hidden`` left out (cached)."""
    return prepare_layer(read_layer(url, name, version, sha), kind, name=name, hidden_ids=hidden,
                         color_by="use")


def _projects(url: str, tokens: dict) -> pd.DataFrame | None:
    frames = [read_layer(url, n, v[1], v[2]).assign(layer=n) for n, v in tokens.items()
              if v[0] == "project"]
    if not frames:
        return None
    import geopandas as gpd

    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def _range(projects) -> tuple[dt.date, dt.date]:
    days = pd.to_datetime(pd.concat([projects["start_date"], projects["finish_date"]])
                          .astype("string"), errors="coerce").dropna()
    if days.empty:
        today = dt.date.today()
        return today.replace(year=today.year - 5), today.replace(year=today.year + 5)
    first, last = days.min().date(), days.max().date()
    return first.replace(day=1) - dt.timedelta(days=31), last + dt.timedelta(days=31)


language = lang()
url = store_url()
st.subheader(tr("portfolio.title"))
the_store, tokens = store_or_stop()
projects = _projects(url, tokens)
if projects is None or not len(projects):
    st.info(tr("portfolio.empty"))
    st.stop()

first, last = _range(projects)
today = min(max(dt.date.today(), first), last)
day = st.slider(tr("portfolio.date"), min_value=first, max_value=last, value=today,
                step=dt.timedelta(days=1), format="YYYY-MM-DD", key="pf_date",
                help=tr("portfolio.date_help"))
at = projects_at(projects, day)
hidden = tuple(sorted(hidden_buildings(projects, day)))

# ---- the 4D map ------------------------------------------------------------------------
layers, data, bounds = [], {}, []
for name in sorted((n for n, v in tokens.items() if v[0] in BASE_KINDS),
                   key=lambda n: (ORDER[tokens[n][0]], n)):
    kind, version, sha = tokens[name]
    prep = base_layer(url, name, kind, version, sha, hidden if kind == "building" else ())
    if prep.bounds is not None:
        bounds.append(prep.bounds)
    more, more_data = deck_layers(prep, opacity=0.5 if kind == "parcel" else 0.9)
    layers += more
    data.update(more_data)
for state in ("under_construction", "finished"):
    rows = at[at["state"] == state]
    if not len(rows):
        continue
    shown = rows.assign(t=[f"{r.name} · {tr('portfolio.state.' + state)} · "
                           f"{r.progress_pct:g}%" for r in rows.itertuples()],
                        height_m=0.0)
    more, more_data = outline_layer(shown, name=f"pf_{state}", color=STATE_COLORS[state],
                                    width_px=3.0, fill_alpha=120)
    layers += more
    data.update(more_data)
late = at[at["delayed"] & (at["state"] != "not_started")]
if len(late):
    more, more_data = outline_layer(late.assign(t=late["name"], height_m=0.0), name="pf_delayed",
                                    color=WORSE_COLOR, width_px=6.0, fill_alpha=0)
    layers += more
    data.update(more_data)

view = nudge_view(overview_view(union_bounds(bounds)), 0)
left, right = st.columns([3, 1.3], gap="small")
with left:
    st.pydeck_chart(build_deck(layers, data, view=view, **deck_options()), key="pf_map",
                    height=560, width="stretch")
    st.caption(tr("portfolio.legend", hidden=len(hidden)))
with right:
    counts = at["state"].value_counts()
    money = pd.to_numeric(at["investment_cny"], errors="coerce").fillna(0.0)
    st.metric(tr("portfolio.total"), tr("portfolio.count", n=len(at)),
              fmt_money(money.sum(), language), delta_color="off", delta_arrow="off")
    for state in STATES:
        st.metric(tr(f"portfolio.state.{state}"), fmt_count(int(counts.get(state, 0))),
                  fmt_money(money[at["state"] == state].sum(), language),
                  delta_color="off", delta_arrow="off")

# ---- charts and lists ------------------------------------------------------------------
c1, c2 = st.columns(2)
with c1:
    st.markdown(f"**{tr('portfolio.by_sector')}**")
    sector = at.assign(yi=money / 1e8).groupby("sector", dropna=False)["yi"].sum()
    sector.index = [label("sector", s, language) for s in sector.index.astype(str)]
    st.bar_chart(sector.rename(tr("portfolio.yi_axis")), horizontal=True, height=300)
with c2:
    st.markdown(f"**{tr('portfolio.progress')}**")
    prog = at.set_index("name")[["progress_pct", "expected_pct"]].rename(columns={
        "progress_pct": tr("portfolio.col.progress"), "expected_pct": tr("portfolio.col.expected")})
    st.bar_chart(prog, stack=False, horizontal=True, height=300)

st.markdown(f"**{tr('portfolio.delayed', date=day.isoformat())}**")
behind = delayed_projects(projects, day)
if behind.empty:
    st.caption(tr("portfolio.none_delayed"))
else:
    st.dataframe(pd.DataFrame({
        tr("portfolio.col.id"): behind["id"], tr("portfolio.col.name"): behind["name"],
        tr("portfolio.col.owner"): behind["owner"],
        tr("portfolio.col.finish"): behind["finish_date"],
        tr("portfolio.col.progress"): behind["progress_pct"],
        tr("portfolio.col.expected"): behind["expected_pct"],
        tr("portfolio.col.behind"): behind["behind_pct"]}), hide_index=True, width="stretch")

st.markdown(f"**{tr('portfolio.list')}**")
table = pd.DataFrame({
    tr("portfolio.col.id"): at["id"], tr("portfolio.col.name"): at["name"],
    tr("portfolio.col.state"): [tr(f"portfolio.state.{s}") for s in at["state"]],
    tr("portfolio.col.sector"): [label("sector", s, language) for s in at["sector"].astype(str)],
    tr("portfolio.col.start"): at["start_date"], tr("portfolio.col.finish"): at["finish_date"],
    tr("portfolio.col.progress"): at["progress_pct"],
    tr("portfolio.col.invest"): (money / 1e8).round(2)})
st.dataframe(table, hide_index=True, width="stretch", column_config={
    tr("portfolio.col.progress"): st.column_config.ProgressColumn(
        tr("portfolio.col.progress"), min_value=0, max_value=100, format="%.0f%%")})
