"""The Import page's IFC parts: the placement form (anchor or anchor point, which
overrides a file's own georeference), the model-check table shown before commit, and a
progress line with elapsed and remaining time. The page calls these few functions."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from app_pages.common import tr

IFC_SUFFIXES = (".ifc", ".ifczip", ".zip")
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
    failures = int(check["failures"])
    if failures:
        st.warning(tr("ifcpanel.check_failed", n=failures))
    else:
        st.success(tr("ifcpanel.check_passed"))
    strict = st.checkbox(tr("ifcpanel.strict"), key="ifc_check_strict")
    return bool(strict and failures)
