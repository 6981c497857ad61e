"""导入 Import: upload an IFC or GeoJSON file, preview what the reader makes of it (the
georeferencing on a small map, warnings and repairs, an anchor form when an IFC has none),
then commit it as a new version; list versions and roll back."""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import ifc_panel
from app_pages.common import (
    deck_options,
    gui_message,
    lang,
    localize_uploader,
    store,
    store_url,
    tr,
)
from twin.config import upload_limit_bytes, upload_limit_mb
from twin.errors import GeoreferenceError, TwinError
from twin.i18n import label
from twin.import_modes import layer_name_from_file, plan_import, rename_layers
from twin.importer import commit_result, read_file
from twin.io import readers
from twin.kinds import KINDS
from twin.number_format import fmt_count
from twin.render import build_deck, deck_layers, overview_view, prepare_layer, union_bounds

KIND_CHOICES = ["auto", "parcel", "road", "river", "building", "facility", "sensor",
                "sensor_reading", "terrain"]
# every suffix a reader takes, but shapefiles (their side files cannot come in one upload)
UPLOAD_TYPES = sorted({s.lstrip(".") for r in readers() for s in r.suffixes} - {"shp"})
EXPORT_FORMATS = {"GeoPackage": ".gpkg", "GeoJSON": ".geojson", "GeoParquet": ".parquet",
                  "CSV": ".csv"}
ON_INVALID = ["fix", "warn", "raise"]


def _upload_dir() -> Path:
    path = st.session_state.get("upload_dir")
    if not path or not Path(path).exists():
        path = tempfile.mkdtemp(prefix="twin-upload-")
        st.session_state["upload_dir"] = path
    return Path(path)


def _save(uploaded) -> Path:
    """Write the upload to a private temporary folder under its own (sanitised) name."""
    data = uploaded.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:12]
    name = re.sub(r"[^\w.\-]+", "_", Path(uploaded.name).name) or "upload"
    folder = _upload_dir() / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        path.write_bytes(data)
    return path


def _options(kind: str, layer: str, crs: str, on_invalid: str, anchor: dict | None,
             building_id: str = "", fix_scale: bool = False) -> dict:
    opts: dict = {"on_invalid": on_invalid}
    if kind != "auto":
        opts["kind"] = kind
    if layer.strip():
        opts["layer"] = layer.strip()
    if crs.strip():
        opts["crs"] = crs.strip()
    if anchor:
        opts["anchor"] = anchor
    if building_id.strip():
        opts["building_id"] = building_id.strip()
    if fix_scale:
        opts["fix_scale"] = True
    return opts


def _preview(path: Path, options: dict):
    bar = st.progress(0.0, text=tr("import.reading"))
    progress = ifc_panel.progress_callback(bar)

    try:
        result = read_file(path, progress=progress, **options)
    finally:
        bar.progress(1.0, text=tr("import.read_done"))
    return result


def _show_report(result) -> None:
    report = result.report
    counts = {item.name: (item.kind, len(item.data) if hasattr(item.data, "__len__") else 1)
              for item in result.layers}
    st.markdown(f"**{tr('import.layers')}**")
    st.dataframe(pd.DataFrame([{tr("import.col.layer"): n, tr("import.col.kind"): k,
                                tr("import.col.rows"): c} for n, (k, c) in counts.items()]),
                 hide_index=True)
    georef = {k: v for k, v in report.extra.items() if "geo" in k.lower()}
    st.markdown(f"**{tr('import.georef')}**")
    if georef:
        st.json(georef, expanded=False)
    st.caption(tr("import.crs", src=report.source_crs or "?", dst=report.crs or "?"))
    for title, items in ((tr("import.warnings"), report.warnings),
                         (tr("import.repairs"), report.repairs),
                         (tr("import.skipped"), report.skipped)):
        st.markdown(f"**{title}** ({len(items)})")
        if items:
            st.dataframe(pd.DataFrame(items).astype("string"), hide_index=True, height=160)
    drawn, bounds = [], []
    layers, data, bounds, replaced = ifc_panel.check_layers(result)  # failing IFC elements
    for item in result.layers:
        if item.name in replaced:
            continue
        if getattr(KINDS.get(item.kind), "is_table", True) or item.kind not in (
                "parcel", "road", "river", "building", "facility", "sensor"):
            continue
        prep = prepare_layer(item.data, item.kind, name=f"preview-{item.name}")
        more, more_data = deck_layers(prep, pickable=False)
        layers += more
        data.update(more_data)
        drawn.append(item.name)
        bounds.append(prep.bounds)
    if layers:
        st.markdown(f"**{tr('import.preview_map')}**")
        st.pydeck_chart(build_deck(layers, data, view=overview_view(union_bounds(bounds)), **deck_options()),
                        height=320,
                        key="preview_map")


WRITE_MODES = ["new", "append", "merge", "replace"]


def _gui(exc) -> str:
    """An import error as the page shows it: the upload's own name instead of its private
    path, the page's controls instead of CLI options (:func:`app_pages.common.gui_message`)."""
    upload = st.session_state.get("upload")
    name = getattr(upload, "name", "") if upload is not None else ""
    return gui_message(exc, name=name)


def _write_choice(result, file_name: str):
    """When committing ``result`` would replace features of a layer that exists, say so
    with the numbers and let the user choose a new layer (the default, named after the
    file), append, merge by id or replace. Returns ``(result to commit, mode)``, or
    ``(None, None)`` when the chosen way cannot work (the reason is shown)."""
    the_store = store()
    try:
        plans = plan_import(the_store, result)
    except TwinError as exc:
        st.error(_gui(exc))
        return None, None
    clashing = [p for p in plans if p.mode == "replace" and p.current_rows > 0]
    if not clashing:
        return result, None
    for plan in clashing:
        st.warning(tr("import.mode.warning", layer=plan.layer,
                      current=fmt_count(plan.current_rows),
                      incoming=fmt_count(plan.incoming_rows)))
    choice = st.radio(tr("import.mode"), WRITE_MODES, horizontal=True, key="import_mode",
                      format_func=lambda m: tr(f"import.mode.{m}"))
    if choice == "new":
        taken = {info.name for info in the_store.layers()}
        default = layer_name_from_file(file_name, taken, kind=clashing[0].kind)
        name = st.text_input(tr("import.mode.new_name"), value=default,
                             key=f"import_new_layer::{default}").strip()
        renames = {plan.layer: name if i == 0 else f"{name}_{plan.layer}"
                   for i, plan in enumerate(clashing)}
        try:
            result = rename_layers(result, renames)
            plans = plan_import(the_store, result)
        except TwinError as exc:
            st.error(tr("import.mode.bad_name", error=_gui(exc)))
            return None, None
        mode = None
    else:
        mode = choice
        try:
            plans = plan_import(the_store, result, mode)
        except TwinError as exc:
            st.error(_gui(exc))
            return None, None
    for plan in plans:
        st.caption(tr("import.mode.result", layer=plan.layer, current=fmt_count(plan.current_rows),
                      result=fmt_count(plan.result_rows)))
        if choice == "replace" and plan.lost_rows:
            st.warning(tr("import.mode.replace_confirm", layer=plan.layer,
                          lost=fmt_count(plan.lost_rows)))
    return result, mode


language = lang()
st.subheader(tr("import.title"))
limit_mb = upload_limit_mb()
uploaded = st.file_uploader(tr("import.upload", mb=f"{limit_mb:g}"),
                            type=UPLOAD_TYPES, key="upload")
localize_uploader()
c1, c2, c3, c4 = st.columns(4)
kind = c1.selectbox(tr("import.kind"), KIND_CHOICES, key="import_kind",
                    format_func=lambda k: tr("import.kind.auto") if k == "auto"
                    else label("kind", k, language))
layer_name = c2.text_input(tr("import.layer"), key="import_layer")
crs = c3.text_input(tr("import.crs_input"), key="import_crs", placeholder="EPSG:4549")
on_invalid = c4.selectbox(tr("import.on_invalid"), ON_INVALID, key="import_on_invalid",
                          format_func=lambda v: tr(f"import.on_invalid.{v}"))

anchor = st.session_state.get("import_anchor")
if uploaded is not None:
    if uploaded.size > upload_limit_bytes():
        st.error(tr("import.too_big", name=uploaded.name, mb=round(uploaded.size / 2**20, 1),
                    limit=f"{limit_mb:g}"))
        st.stop()
    path = _save(uploaded)
    building_id, fix_scale = "", False
    if ifc_panel.is_ifc(path):
        i1, i2 = st.columns(2)
        building_id = i1.text_input(tr("import.building_id"), key="import_building_id")
        fix_scale = i2.checkbox(tr("import.fix_scale"), key="import_fix_scale")
    options = _options(kind, layer_name, crs, on_invalid, anchor, building_id, fix_scale)
    options.update(ifc_panel.check_options(path))
    signature = (str(path), repr(sorted(options.items())))
    if st.button(tr("import.preview"), key="import_preview", type="secondary"):
        st.session_state.pop("import_result", None)
        st.session_state.pop("import_error", None)
        st.session_state.pop("import_done", None)
        try:
            st.session_state["import_result"] = (signature, _preview(path, options))
        except GeoreferenceError as exc:
            st.session_state["import_error"] = (signature, _gui(exc), True)
        except TwinError as exc:
            st.session_state["import_error"] = (signature, _gui(exc), False)
        except Exception as exc:  # noqa: BLE001 - a reader bug is shown to the user
            st.session_state["import_error"] = (signature, f"{type(exc).__name__}: {exc}", False)

    error = st.session_state.get("import_error")
    if error and error[0] == signature:
        st.error(error[1])
    held = st.session_state.get("import_result")
    ifc_panel.placement_form(path, georef_error=bool(error and error[0] == signature
                                                     and error[2]),
                             held=held[1] if held else None)

    held = st.session_state.get("import_result")
    if held and held[0] == signature:
        result = held[1]
        _show_report(result)
        blocked = ifc_panel.show_check(result)
        result, mode = _write_choice(result, uploaded.name)
        note = st.text_input(tr("import.note"), key="import_note")
        if st.button(tr("import.commit"), key="import_commit", type="primary",
                     disabled=result is None or blocked):
            try:
                versions = commit_result(store(), result, note=note, mode=mode)
            except TwinError as exc:
                st.error(_gui(exc))
            else:
                st.session_state["import_done"] = versions
                st.session_state.pop("import_result", None)
                st.session_state.pop("import_anchor", None)
                st.rerun()

done = st.session_state.get("import_done")
if done:
    st.success(tr("import.committed", versions=", ".join(f"{k} v{v}" for k, v in done.items())))

# ---- versions and rollback ---------------------------------------------------------------
st.divider()
st.markdown(f"**{tr('import.versions')}** · `{store_url()}`")
try:
    the_store = store()
    infos = the_store.layers()
except TwinError as exc:
    st.error(gui_message(exc))
    infos = []
if not infos:
    st.caption(tr("import.no_layers"))
else:
    names = [i.name for i in infos]
    chosen = st.selectbox(tr("import.layer_pick"), names, key="versions_layer")
    versions = the_store.versions(chosen)
    current = the_store.current_version(chosen)
    st.dataframe(pd.DataFrame([{
        tr("import.col.version"): v.version,
        tr("import.col.current"): "✓" if v.version == current else "",
        tr("import.col.created"): v.created,
        tr("import.col.rows"): v.rows,
        tr("import.col.source"): Path(v.source).name if v.source else "",
        tr("import.col.note"): v.note,
    } for v in versions]), hide_index=True)
    others = [v.version for v in versions if v.version != current]
    if others:
        r1, r2 = st.columns([1, 2])
        target = r1.selectbox(tr("import.rollback_to"), others, key="rollback_version")
        if r2.button(tr("import.rollback"), key="rollback_button"):
            try:
                the_store.rollback(chosen, int(target))
            except TwinError as exc:
                st.error(gui_message(exc))
            else:
                st.session_state["rollback_done"] = (chosen, int(target))
                st.rerun()
    rolled = st.session_state.pop("rollback_done", None)
    if rolled:
        st.success(tr("import.rolled_back", layer=rolled[0], version=rolled[1]))
    # export the current version (the same writer as `twin export`)
    e1, e2 = st.columns([1, 2])
    fmt = e1.selectbox(tr("import.export_format"), list(EXPORT_FORMATS), key="export_format")
    if e2.button(tr("import.export"), key="export_button"):
        out = _upload_dir() / "export" / f"{chosen}{EXPORT_FORMATS[fmt]}"
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            written = the_store.export(chosen, out)
        except TwinError as exc:
            st.error(gui_message(exc))
        else:
            st.session_state["export_file"] = (chosen, current, str(written))
    ready = st.session_state.get("export_file")
    if ready and ready[:2] == (chosen, current) and Path(ready[2]).exists():
        name = Path(ready[2]).name
        st.download_button(tr("import.download", name=name), Path(ready[2]).read_bytes(),
                           file_name=name, key="export_download")
