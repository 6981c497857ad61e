"""辅助决策 Queries: every query of the registry (:mod:`twin.query`) with a form built from its
parameters; the result's summary, table and map (coloured by status)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages.common import deck_options, gui_message, lang, store_or_stop, store_url, tr
from app_pages.query_extras import description, metric_label, result_extras, volume_parts
from twin.display import display_frame, display_value, field_label
from twin.errors import TwinError
from twin.render import (
    build_deck,
    deck_layers,
    map_legend_html,
    overview_view,
    prepare_features,
    union_bounds,
)


def legend_value(column, key: str) -> str:
    """A legend class in the interface language: pass/fail and other codes labelled."""
    return display_value(str(column or "status"), key, lang()) if key not in ("n/a", "other") \
        else tr(f"queries.legend.{key.replace('/', '')}")


def _widget(param, key: str, language: str):
    title = (param.label_zh if language == "zh" else param.label_en) or param.name
    default = param.default
    if param.type == "bool":
        return st.checkbox(title, value=bool(default), key=key, help=param.help or None)
    if param.type == "choice":
        options = list(param.choices)
        index = options.index(default) if default in options else 0
        return st.selectbox(title, options, index=index, key=key, help=param.help or None)
    if param.type in ("float", "int") and default is not None:
        kwargs = {}
        if param.min is not None:
            kwargs["min_value"] = type(default)(param.min) if param.type == "int" \
                else float(param.min)
        if param.max is not None:
            kwargs["max_value"] = type(default)(param.max) if param.type == "int" \
                else float(param.max)
        value = int(default) if param.type == "int" else float(default)
        return st.number_input(title, value=value, key=key, help=param.help or None, **kwargs)
    if param.type == "date" and isinstance(default, dt.date):
        return st.date_input(title, value=default, key=key, help=param.help or None)
    text = "" if default is None else (default.isoformat() if hasattr(default, "isoformat")
                                       else str(default))
    return st.text_input(title, value=text, key=key, help=param.help or None)


def _param_controls(spec) -> dict[str, str]:
    """``{--option: the form field}`` of ``spec``'s parameters, for its error messages."""
    return {f"--{p.name.replace('_', '-')}": (p.label_zh if language == "zh" else p.label_en)
            or p.name for p in spec.params}


language = lang()
url = store_url()
st.subheader(tr("queries.title"))
try:
    from twin.query import queries, run
except ImportError as exc:  # the query package is being written by another engineer
    st.info(tr("queries.none") + f" ({exc})")
    st.stop()

specs = list(queries())
if not specs:
    st.info(tr("queries.none"))
    st.stop()
names = [s.name for s in specs]
by_name = {s.name: s for s in specs}
chosen = st.selectbox(tr("queries.pick"), names, key="query_name",
                      format_func=lambda n: by_name[n].title_zh if language == "zh"
                      else by_name[n].title_en)
spec = by_name[chosen]
if spec.description:
    st.caption(description(spec))
with st.form(f"query_form_{chosen}"):
    cols = st.columns(3)
    values = {}
    for i, param in enumerate(spec.params):
        with cols[i % 3]:
            values[param.name] = _widget(param, f"q::{chosen}::{param.name}", language)
    submitted = st.form_submit_button(tr("queries.run"), type="primary")

the_store, tokens = store_or_stop()
if submitted:
    try:
        params = {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}
        with st.spinner(tr("dash.computing")):
            result = run(chosen, the_store, **params)
        st.session_state["query_result"] = (chosen, url, tokens, result)
    except TwinError as exc:
        st.session_state.pop("query_result", None)
        st.error(tr("queries.error", error=gui_message(exc, controls=_param_controls(spec))))

held = st.session_state.get("query_result")
# a result shows only while the store still holds the versions it was computed from
if held and held[0] == chosen and held[1] == url and held[2] == tokens:
    result = held[3]
    st.markdown(f"**{tr('queries.summary')}**")
    summary = result.summary_json()
    if summary:
        items = list(summary.items())
        for start in range(0, len(items), 4):
            row = st.columns(4)
            for col, (key, value) in zip(row, items[start:start + 4]):
                name = metric_label(chosen, key)
                col.metric(field_label(key, language) if name == str(key) else name,
                           display_value(str(key), value, language))
    layers, data, bounds = [], {}, []
    legend = []  # (title, [(label, colour)]) per drawn layer: the compact legend under the map
    color_by = result.status_column or result.color_by or spec.color_by
    frames = [("result", result.layer, color_by)] + [
        (name, frame, None) for name, frame in result.extra_layers.items()]
    for offset, (name, frame, colour) in enumerate(frames):
        if frame is None or len(frame) == 0 or "geometry" not in frame:
            continue
        if colour is None:  # an extra layer: by depth when it has one (flood), else its own colour
            colour = next((c for c in ("depth_m", "max_depth_m") if c in frame.columns), None)
        prep = prepare_features(frame, name=f"q-{name}", color_by=colour,
                                id_column=result.id_column, color_offset=offset)
        more, more_data = deck_layers(prep, opacity=0.8)
        layers += more
        data.update(more_data)
        boxes, box_data = volume_parts(name, frame, result.id_column)
        layers += boxes
        data.update(box_data)
        title = tr("queries.legend.result") if name == "result" else field_label(name, language)
        legend.append((title, [(f"{legend_value(colour, g.key) if g.key != 'all' else title}"
                                 f" · {g.count}", g.color) for g in prep.groups]))
        bounds.append(prep.bounds)
    if layers:
        st.markdown(f"**{tr('queries.map')}**")
        st.pydeck_chart(build_deck(layers, data, view=overview_view(union_bounds(bounds)),
                                   **deck_options()),
                        height=480, key="query_map", width="stretch")
        st.markdown(map_legend_html(legend, title=tr("map.legend"), overlay_on_px=480),
                    unsafe_allow_html=True)
    st.markdown(f"**{tr('queries.table')}**")
    table = pd.DataFrame(result.table)
    st.dataframe(display_frame(table, language), hide_index=True, height=280)
    result_extras(result, the_store, tokens)

# ---- the planning review report (as `twin report`) -----------------------------------------
st.divider()
with st.expander(tr("queries.report"), expanded=False):
    ids_text = st.text_input(tr("queries.report_parcels"), key="report_parcels",
                             placeholder="P220, P079")
    if st.button(tr("queries.report_build"), key="report_build"):
        from twin.report import write_report

        parcels = [p.strip() for p in ids_text.replace("，", ",").split(",") if p.strip()]
        out = Path(tempfile.mkdtemp(prefix="twin-report-")) / "review.html"
        try:
            with st.spinner(tr("dash.computing")):
                write_report(the_store, out, parcels=parcels or None)
        except TwinError as exc:
            st.error(tr("queries.error", error=gui_message(exc, upload=out, name=out.name)))
        else:
            st.session_state["report_file"] = (tokens, str(out))
    ready = st.session_state.get("report_file")
    if ready and ready[0] == tokens and Path(ready[1]).exists():
        st.download_button(tr("queries.report_download"), Path(ready[1]).read_bytes(),
                           file_name="规划审查报告.html", mime="text/html", key="report_download")
