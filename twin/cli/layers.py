"""Store commands: import, layers, versions, rollback, export, info."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from ..errors import TwinError
from ..import_modes import MODES, plan_import, refuse_shrink
from ..importer import commit_result, read_file, refuse_empty, refuse_other_crs
from .common import console, emit_json, get_store, progress_bar

__all__ = ["register", "parse_mapping"]


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """Turn ``["src=dst", ...]`` into ``{src: dst}``; a malformed item is an error."""
    out: dict[str, str] = {}
    for item in items or []:
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise TwinError(f"--map takes SRC=DST, got {item!r}",
                            hint="for example --map HEIGHT=height_m")
        out[src.strip()] = dst.strip()
    return out


def _read_options(kind, layer, crs, mapping, on_invalid, anchor, building_id,
                  fix_scale, encoding=None, anchor_point=None, member=None) -> dict:
    """The reader options shared by `twin import` and `twin info` (unset ones left out)."""
    options = {"kind": kind, "layer": layer, "crs": crs, "mapping": parse_mapping(mapping),
               "on_invalid": on_invalid, "anchor": anchor, "building_id": building_id,
               "fix_scale": True if fix_scale else None, "encoding": encoding,
               "anchor_point": anchor_point, "member": member}
    return {k: v for k, v in options.items() if v not in (None, {}, "")}


def _print_report(report: dict) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in report.get("counts", {}).items())
    console.print(f"  source  {report.get('source')}  sha256 {report.get('source_sha256', '')[:12]}")
    console.print(f"  crs     {report.get('source_crs') or '?'} → {report.get('crs')}")
    if counts:
        console.print(f"  counts  {counts}")
    for title, key in (("repaired", "repairs"), ("warning", "warnings"), ("skipped", "skipped")):
        items = report.get(key, [])
        for item in items[:20]:
            feature = item.get("feature")
            console.print(f"  {title:9s}{'file' if feature is None else feature}: "
                          f"{item.get('reason')}", markup=False)
        if len(items) > 20:
            console.print(f"  … and {len(items) - 20} more {key}")
    if report.get("nulls"):
        console.print("  nulls   " + ", ".join(f"{k} {v}" for k, v in report["nulls"].items()))


def _plan_text(plan) -> str:
    """One phrase for what an import did to a layer: new, appended, merged or replaced."""
    if plan.mode == "new":
        return f"new layer, {plan.result_rows:,} features"
    if plan.mode == "append":
        return f"appended {plan.incoming_rows:,} to {plan.current_rows:,} features"
    if plan.mode == "merge":
        return (f"merged by id: {plan.lost_rows:,} replaced, "
                f"{plan.result_rows - plan.current_rows:,} added, {plan.result_rows:,} in all")
    return f"replaced {plan.current_rows:,} features with {plan.result_rows:,}"


def register(app: typer.Typer) -> None:
    """Add the store commands to ``app``."""

    @app.command("import")
    def import_cmd(
        file: Path = typer.Argument(..., help="Source file (.geojson, .gpkg, .shp, .ifc, .tif, .csv…)."),
        kind: str = typer.Option(None, "--kind", "-k", help="Layer kind: parcel, road, river, "
                                 "building, facility, sensor, sensor_reading, terrain."),
        layer: str = typer.Option(None, "--layer", "-l", help="Layer name (default: from the kind)."),
        crs: str = typer.Option(None, "--crs", help="Source CRS when the file has none, e.g. EPSG:4549."),
        mapping: list[str] = typer.Option(None, "--map", help="Attribute mapping SRC=DST (repeatable)."),
        on_invalid: str = typer.Option("raise", "--on-invalid", help="raise | warn | fix"),
        format: str = typer.Option(None, "--format", help="Reader name, when the suffix is ambiguous."),
        anchor: str = typer.Option(None, "--anchor", help="IFC: LON,LAT,ELEV,ROT of the "
                                   "project origin; overrides the file's georeference."),
        anchor_point: str = typer.Option(None, "--anchor-point", help="IFC: X,Y,Z=LON,LAT,"
                                         "ELEV[,ROT]: a model point (model metres) at a map "
                                         "point; ROT defaults to the file's true north."),
        member: str = typer.Option(None, "--member", help="IFC: the .ifc to read inside a "
                                   ".zip holding several."),
        check_on_import: str = typer.Option("off", "--check-on-import", help="IFC: run the "
                                            "model check (twin ifc check) and store it with "
                                            "the version: off | report | strict (strict "
                                            "refuses a model with failures)."),
        building_id: str = typer.Option(None, "--building-id", help="IFC: id of the building."),
        fix_scale: bool = typer.Option(False, "--fix-scale", help="IFC: apply the expected "
                                       "MapConversion Scale when it mismatches the units."),
        encoding: str = typer.Option(None, "--encoding", help="Vector files: the text encoding "
                                     "when it is not UTF-8, e.g. gbk (older Chinese GIS tools)."),
        note: str = typer.Option("", "--note", help="A note stored with the version."),
        allow_empty: bool = typer.Option(False, "--allow-empty", help="Write the version even "
                                         "when the file gives no feature (it empties the layer)."),
        mode: str = typer.Option(None, "--mode", help="How the file meets a layer that "
                                 "exists: append | merge (by id) | replace. Default: replace, "
                                 "refused when it would drop more than half the layer."),
        replace: bool = typer.Option(False, "--replace", help="Replace the layer even when "
                                     "it loses more than half its features (--mode replace)."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Import a file as a new version of a layer."""
        if mode is not None and mode not in MODES:
            raise typer.BadParameter(f"{mode!r} is not one of {', '.join(MODES)}",
                                     param_hint="--mode")
        if replace and mode not in (None, "replace"):
            raise typer.BadParameter(f"--replace contradicts --mode {mode}",
                                     param_hint="--replace")
        options = _read_options(kind, layer, crs, mapping, on_invalid, anchor, building_id,
                                fix_scale, encoding, anchor_point, member)
        if check_on_import != "off":
            options["check_on_import"] = check_on_import
        store = get_store()
        refuse_other_crs(store)  # one working CRS per store: refused before the file is read
        with progress_bar(f"importing {file.name}",
                          enabled=not as_json and sys.stderr.isatty()) as progress:
            result = read_file(file, format=format, progress=progress, **options)
        report = result.report
        chosen = "replace" if replace else mode
        if not allow_empty:
            refuse_empty(result)  # its own message first: the file gives nothing
        plans = plan_import(store, result, chosen)
        refuse_shrink(plans, source=report.source)  # an explicit --mode replace passes
        versions = commit_result(store, result, note=note, allow_empty=allow_empty,
                                 mode=chosen)
        if as_json:
            emit_json({"versions": versions, "plans": [vars(p) for p in plans],
                       "report": report.to_dict()})
            return
        for plan in plans:
            if plan.layer in versions:
                console.print(f"imported {file.name} → layer [bold]{plan.layer}[/] version "
                              f"{versions[plan.layer]} ({_plan_text(plan)})")
        _print_report(report.to_dict())

    @app.command("layers")
    def layers_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
        """List the layers in the store."""
        infos = get_store().layers()
        if as_json:
            emit_json([i.to_dict() for i in infos])
            return
        if not infos:
            console.print("the store is empty: import a file with `twin import FILE --kind K`")
            return
        table = Table("layer", "kind", "rows", "version", "versions", "source")
        for i in infos:
            table.add_row(i.name, i.kind, str(i.rows), str(i.current), str(i.versions),
                          Path(i.source).name if i.source else "")
        console.print(table)

    @app.command("versions")
    def versions_cmd(layer: str, as_json: bool = typer.Option(False, "--json")) -> None:
        """List the versions of a layer (the current one is marked *)."""
        store = get_store()
        items = store.versions(layer)
        current = store.current_version(layer)
        if as_json:
            emit_json({"current": current, "versions": [v.to_dict() for v in items]})
            return
        table = Table("", "version", "created", "rows", "source", "sha256", "note")
        for v in items:
            table.add_row("*" if v.version == current else "", str(v.version), v.created,
                          str(v.rows), Path(v.source).name if v.source else "", v.sha256[:12],
                          v.note)
        console.print(table)

    @app.command("rollback")
    def rollback_cmd(layer: str, version: int) -> None:
        """Make an earlier version of a layer current again (nothing is deleted)."""
        get_store().rollback(layer, version)
        console.print(f"layer {layer} now at version {version}")

    @app.command("export")
    def export_cmd(
        layer: str,
        out: Path,
        driver: str = typer.Option(None, "--driver", help="GPKG, GeoJSON, Parquet or CSV."),
    ) -> None:
        """Export a layer to GeoPackage, GeoJSON (WGS84), GeoParquet or CSV."""
        path = get_store().export(layer, out, driver=driver)
        console.print(f"exported {layer} → {path}")

    @app.command("info")
    def info_cmd(
        file: Path,
        kind: str = typer.Option(None, "--kind", "-k"),
        layer: str = typer.Option(None, "--layer", "-l"),
        crs: str = typer.Option(None, "--crs"),
        mapping: list[str] = typer.Option(None, "--map"),
        on_invalid: str = typer.Option("raise", "--on-invalid", help="raise | warn | fix"),
        format: str = typer.Option(None, "--format"),
        anchor: str = typer.Option(None, "--anchor"),
        anchor_point: str = typer.Option(None, "--anchor-point"),
        member: str = typer.Option(None, "--member"),
        building_id: str = typer.Option(None, "--building-id"),
        fix_scale: bool = typer.Option(False, "--fix-scale"),
        encoding: str = typer.Option(None, "--encoding"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Read a file and describe what `twin import` with the same options would do;
        writes nothing."""
        options = _read_options(kind, layer, crs, mapping, on_invalid, anchor, building_id,
                                fix_scale, encoding, anchor_point, member)
        result = read_file(file, format=format, **options)
        rep = result.report.to_dict()
        summary = [{"layer": ld.name, "kind": ld.kind,
                    "rows": len(ld.data) if hasattr(ld.data, "__len__")
                    and not isinstance(ld.data, bytes) else 1}
                   for ld in result.layers]
        if as_json:
            emit_json({"layers": summary, "report": rep})
            return
        console.print(f"{file}  (reader {rep['reader']})")
        for s in summary:
            console.print(f"  → layer {s['layer']} ({s['kind']}), {s['rows']} rows")
        _print_report(rep)
