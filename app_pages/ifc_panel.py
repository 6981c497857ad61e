"""The Import page's IFC parts: the placement form (anchor or anchor point, which
overrides a file's own georeference), the model-check table shown before commit, the
failing elements coloured on the preview map (with a legend, a rule picker and a table of
which rule each element failed), and a progress line with elapsed and remaining time.
The page calls these few functions."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from app_pages.common import tr
from twin.ifc.check import failing_elements
from twin.render import deck_layers, legend_html
from twin.render.check_map import prepare_check

IFC_SUFFIXES = (".ifc", ".ifczip", ".zip")
ALL_RULES = "*"
_FILE_SOURCES = ("IfcMapConversion", "ePSet_MapConversion", "IfcSite.RefLatitude")


def is_ifc(path) -> bool:
    """True for the files the IFC reader takes."""
    return str(path).lower().endswith(IFC_SUFFIXES)


def check_options(path) -> dict:
    """Reader options for an IFC upload: the model check runs with the preview."""
    return {"check_on_import": "report"} if is_ifc(path) else {}


def progress_callback(bar):
    """A ``progress(done, total, message)`` for ``read_file`` that draws ``bar`` with the
    element count, the elapsed time and an estimate of the time remaining."""
    start = time.monotonic()

    def progress(done, total, message=""):
        elapsed = time.monotonic() - start
        frac = 0.0 if not total else max(0.0, min(1.0, float(done) / float(total)))
        text = f"{tr('import.reading')} {message or ''}".strip()
        if total:
            text += " " + tr("ifcpanel.progress", done=int(done), total=int(total),
                             elapsed=f"{elapsed:.1f}")
            if 0 < frac < 1:
                text += " " + tr("ifcpanel.remaining", seconds=f"{elapsed * (1 - frac) / frac:.1f}")
        bar.progress(frac, text=text)

    return progress


def georef_source(georeferencing: dict | None) -> str | None:
    """The file's own georeference source (``IfcMapConversion``…) named in a
    georeferencing summary (an import report's or :func:`twin.ifc.doctor.inspect_ifc`'s),
    if any."""
    sources = (georeferencing or {}).get("sources") or {}
    return next((name for name in _FILE_SOURCES if name in sources), None)


def anchor_title(source: str | None) -> str:
    """The anchor form's title: overriding the file's own georeference ``source``, or
    placing a file that has none."""
    return tr("ifcpanel.override_title", source=source) if source else tr("import.anchor")


def _file_georef(held) -> str | None:
    """The file's own georeference source in a held preview, if any."""
    return georef_source(held.report.extra.get("georeferencing")) if held else None


def placement_form(path, *, georef_error: bool, held) -> None:
    """The anchor form: shown when the IFC cannot be placed (``georef_error``), when an
    anchor is set, and, folded, to override a file's own georeference. Applying it stores
    ``import_anchor`` (an anchor, or an anchor point with ``model_point_m``) and reruns."""
    if not is_ifc(path):
        return
    anchor = st.session_state.get("import_anchor")
    source = _file_georef(held)
    if not (georef_error or anchor or source):
        return
    title = anchor_title(source)
    folded = source is not None and not (georef_error or anchor)
    box = st.expander(title, expanded=False) if folded else st.container()
    with box, st.form("anchor_form"):
        st.markdown(f"**{title}**")
        st.caption(tr("ifcpanel.help"))
        mode = st.radio(tr("ifcpanel.mode"), ["origin", "point"], horizontal=True,
                        key="anchor_mode", format_func=lambda m: tr(f"ifcpanel.mode.{m}"))
        p1, p2, p3 = st.columns(3)
        x = p1.number_input(tr("ifcpanel.x"), value=0.0, key="anchor_x")
        y = p2.number_input(tr("ifcpanel.y"), value=0.0, key="anchor_y")
        z = p3.number_input(tr("ifcpanel.z"), value=0.0, key="anchor_z")
        a1, a2, a3, a4 = st.columns(4)
        lon = a1.number_input(tr("import.anchor.lon"), value=119.90, format="%.6f",
                              key="anchor_lon")
        lat = a2.number_input(tr("import.anchor.lat"), value=35.73, format="%.6f",
                              key="anchor_lat")
        elev = a3.number_input(tr("import.anchor.elev"), value=0.0, key="anchor_elev")
        rot = a4.number_input(tr("import.anchor.rotation"), value=0.0, key="anchor_rot")
        if st.form_submit_button(tr("import.anchor.apply"), key="anchor_apply"):
            chosen = {"lon": lon, "lat": lat, "elev_m": elev, "rotation_deg": rot}
            if mode == "point":
                chosen["model_point_m"] = [x, y, z]
            st.session_state["import_anchor"] = chosen
            st.session_state.pop("import_error", None)
            st.rerun()


def show_check(result) -> bool:
    """The placement summary and the model check of a previewed IFC, as tables; returns
    True when the user asked for a strict check and it failed (commit is then refused)."""
    extra = result.report.extra
    geo = extra.get("georeferencing") or {}
    for entry in geo.get("overridden") or []:
        st.warning(entry["message"])
    if geo.get("pinned"):
        st.info(geo["pinned"]["message"])
    check = extra.get("model_check")
    if not check:
        return False
    st.markdown(f"**{tr('ifcpanel.check_title')}**")
    rows = [{tr("ifcpanel.col.status"): tr(f"ifcpanel.status.{r['status'].replace('/', '')}"),
             tr("ifcpanel.col.rule"): f"{r['code']} {r['title']}",
             tr("ifcpanel.col.count"): r["count"],
             tr("ifcpanel.col.failing"): ", ".join(r["failing"][:10]),
             tr("ifcpanel.col.message"): r["message"]} for r in check["rules"]]
    rows += [{tr("ifcpanel.col.status"): tr(f"ifcpanel.status.{s['status'].replace('/', '')}"),
              tr("ifcpanel.col.rule"): f"IDS {s['name']}",
              tr("ifcpanel.col.count"): s["failed"],
              tr("ifcpanel.col.failing"): ", ".join(s["failing"][:10]),
              tr("ifcpanel.col.message"): tr("ifcpanel.applicable", n=s["applicable"])}
             for s in check.get("ids", [])]
    st.dataframe(pd.DataFrame(rows).astype("string"), hide_index=True)
    failing_table(result)
    failures = int(check["failures"])
    if failures:
        st.warning(tr("ifcpanel.check_failed", n=failures))
    else:
        st.success(tr("ifcpanel.check_passed"))
    strict = st.checkbox(tr("ifcpanel.strict"), key="ifc_check_strict")
    return bool(strict and failures)


def _elements_and_failures(result):
    """The previewed bim_element layer, the building layer's name and ``{GlobalId: [rule]}``
    of the stored model check; None when the preview has no check or no elements."""
    check = result.report.extra.get("model_check")
    elements = next((item for item in result.layers if item.kind == "bim_element"), None)
    if not check or elements is None or not len(elements.data):
        return None
    buildings = [item.name for item in result.layers if item.kind == "building"]
    return elements, buildings, failing_elements(check)


def check_layers(result) -> tuple[list, dict, list, list]:
    """For an IFC preview with a model check: the elements as blocks coloured by the check
    (the chosen rule's failures red, other failures orange, the rest green), drawn instead
    of the LOD1 blocks they make up; shows the rule picker and the legend above the map.
    Returns ``(deck layers, their data, WGS84 bounds, names of the layers they replace)``;
    all empty when there is nothing to colour."""
    found = _elements_and_failures(result)
    if found is None:
        return [], {}, [], []
    elements, buildings, failing = found
    frame = elements.data
    guids = frame["guid"].astype("string").fillna("").tolist()
    rules = list(dict.fromkeys(r for g in guids for r in failing.get(g, ())))
    st.markdown(f"**{tr('ifcpanel.map_title')}**")
    chosen = ALL_RULES
    if rules:
        chosen = st.selectbox(tr("ifcpanel.map_rule"), [ALL_RULES, *rules], key="ifc_check_rule",
                              format_func=lambda r: tr("ifcpanel.map_all") if r == ALL_RULES
                              else r)
    status, texts = [], []
    names = frame["name"].astype("string").fillna("").tolist()
    classes = frame["ifc_class"].astype("string").fillna("").tolist()
    for guid, name, cls in zip(guids, names, classes):
        failed = failing.get(guid, [])
        if failed and (chosen == ALL_RULES or chosen in failed):
            status.append("fail")
        elif failed:
            status.append("warn")
        else:
            status.append("pass")
        label = f"{name} · {cls} · {guid}" if name else f"{cls} · {guid}"
        texts.append(label + " · " + (tr("ifcpanel.map_failed", rules=", ".join(failed))
                                      if failed else tr("ifcpanel.map_none")))
    prepared = prepare_check(frame, status, texts, name=f"preview-check-{elements.name}")
    legend = [(tr(f"ifcpanel.map_class.{g.key}"), g.color, g.count) for g in prepared.groups]
    if legend:
        st.markdown(legend_html(legend), unsafe_allow_html=True)
    layers, data = deck_layers(prepared, pickable=True)
    bounds = [prepared.bounds] if prepared.bounds else []
    return layers, data, bounds, ([elements.name, *buildings] if layers else [])


def failing_table(result) -> None:
    """The failing elements of a previewed IFC, one row each: GlobalId, class, name and
    the rules it failed (the map's tooltip says the same)."""
    found = _elements_and_failures(result)
    if found is None:
        return
    elements, _, failing = found
    frame = elements.data
    rows = [{tr("ifcpanel.col.guid"): g, tr("ifcpanel.col.class"): c,
             tr("ifcpanel.col.name"): n, tr("ifcpanel.col.rules"): ", ".join(failing[g])}
            for g, c, n in zip(frame["guid"].astype("string").fillna(""),
                               frame["ifc_class"].astype("string").fillna(""),
                               frame["name"].astype("string").fillna(""))
            if g in failing]
    if not rows:
        return
    st.markdown(f"**{tr('ifcpanel.failing_title', n=len(rows))}**")
    st.dataframe(pd.DataFrame(rows).astype("string"), hide_index=True)
