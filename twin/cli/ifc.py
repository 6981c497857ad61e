"""``twin ifc``: look into IFC files and fix their georeferencing.

* ``twin ifc info FILE`` — schema, units, element counts and georeferencing; writes nothing.
* ``twin ifc doctor FILE`` — the georeferencing status: which source, units, scale, CRS,
  the lon/lat of the project origin, contradictions and suggested fixes. Exits 1 when the
  file cannot be placed.
* ``twin ifc georef FILE --anchor LON,LAT,ELEV,ROT --write OUT.ifc`` — write an
  IfcMapConversion + IfcProjectedCRS (target: the working CRS) into a copy (IFC2X3:
  ePSet_MapConversion + ePSet_ProjectedCRS); ``--anchor-point`` too.
* ``twin ifc check FILE [--ids RULES.ids] [--json] [--bcf OUT.bcf]`` — the model check
  (:mod:`twin.ifc.check`); exit status 1 on failures.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import console, emit_json

__all__ = ["register", "ifc_app"]

ANCHOR_HELP = ("LON,LAT,ELEV,ROT: put the project origin there (overrides the file's "
               "georeference; ROT = azimuth of +Y, degrees clockwise from north).")
ANCHOR_POINT_HELP = ("X,Y,Z=LON,LAT,ELEV[,ROT]: put the model point X,Y,Z (model metres) "
                     "there (overrides the file; ROT defaults to the file's true north).")

ifc_app = typer.Typer(help="Inspect IFC files and write their georeferencing.",
                      no_args_is_help=True)


def _line(label: str, value) -> None:
    console.print(f"  {label:<17}{value}", markup=False)


def _print_georef(geo: dict) -> None:
    source = geo.get("source")
    _line("source", source or "none")
    placement = geo.get("placement") or {}
    for name in ("IfcMapConversion", "ePSet_MapConversion"):
        mc = geo.get("sources", {}).get(name)
        if mc:
            scale = "missing (1.0)" if mc["scale"] is None else f"{mc['scale']:g}"
            _line("map conversion", f"{name} → {mc['crs']}: E {mc['eastings']:.3f} "
                  f"N {mc['northings']:.3f} H {mc['orthogonal_height']:.3f} "
                  f"rotation {mc['rotation_deg']:.4f}° Scale {scale} map unit {mc['map_unit']}")
    site = geo.get("sources", {}).get("IfcSite.RefLatitude")
    if site:
        _line("site", f"RefLatitude {site['lat']:.7f} RefLongitude {site['lon']:.7f} "
              f"RefElevation {site['elev_m']:.3f} m, true north {site['true_north_deg']:.3f}°")
    anchor = geo.get("sources", {}).get("anchor")
    if anchor:
        rot = ("the file's true north" if anchor["rotation_deg"] is None
               else f"{anchor['rotation_deg']}°")
        point = anchor.get("model_point_m")
        at = "" if point is None else f"model point {point[0]},{point[1]},{point[2]} m at "
        _line("anchor", f"{at}{anchor['lon']},{anchor['lat']} elev {anchor['elev_m']} m "
              f"rotation {rot}")
    for entry in geo.get("overridden") or []:
        _line("! overridden", entry["message"])
    if geo.get("pinned"):
        _line("! pinned", geo["pinned"]["message"])
    if placement:
        _line("crs", placement["crs"])
        _line("scale", f"{placement['helmert']['scale']:g} (project unit "
              f"{placement['project_unit_to_m']:g} m, map unit {placement['map_unit_to_m']:g} m)")
    if geo.get("origin_lonlat"):
        lon, lat, h = geo["origin_lonlat"]
        _line("origin lon/lat", f"{lon:.7f}, {lat:.7f}, height {h:.3f} m (project origin)")
    if geo.get("origin_working"):
        x, y = geo["origin_working"]
        _line("working CRS", f"{geo['working_crs']}: x {x:.3f} y {y:.3f}"
              + ("" if geo.get("inside_working_crs") else "  (outside its area of use)"))
    for check in geo.get("checks", []):
        if check["code"] in ("anchor_overrides", "anchor_pins_elements"):
            continue  # printed above
        mark = {"error": "✗", "warning": "!", "info": "·"}.get(check["level"], "!")
        _line(f"{mark} check", check["message"])
    for c in geo.get("contradictions", []):
        _line("✗ contradiction", f"{c['a']} at {c['a_lonlat'][0]}, {c['a_lonlat'][1]} vs "
              f"{c['b']} at {c['b_lonlat'][0]}, {c['b_lonlat'][1]}: {c['distance_m']:.1f} m "
              f"apart (tolerance {c['tolerance_m']:g} m); {c['used']} is used")
    for note in geo.get("notes", []):
        _line("! note", note)
    for fix in geo.get("applied_fixes", []):
        _line("applied fix", fix)
    for fix in geo.get("suggested_fixes", []):
        _line("suggested fix", fix)
    if geo.get("error"):
        _line("✗ error", geo["error"])


@ifc_app.command("info")
def info_cmd(
    file: Path = typer.Argument(..., help="An .ifc or .ifczip file."),
    anchor: str = typer.Option(None, "--anchor", help=ANCHOR_HELP),
    anchor_point: str = typer.Option(None, "--anchor-point", help=ANCHOR_POINT_HELP),
    fix_scale: bool = typer.Option(False, "--fix-scale", help="Apply the expected Scale."),
    member: str = typer.Option(None, "--member", help="The .ifc inside a .zip to read."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print schema, units, names, element counts and georeferencing; writes nothing."""
    from ..ifc.doctor import inspect_ifc

    info = inspect_ifc(file, anchor=anchor, anchor_point=anchor_point, fix_scale=fix_scale,
                       member=member)
    if as_json:
        emit_json(info)
        return
    console.print(f"{file}", markup=False)
    units = info["units"]
    _line("schema", info["schema"])
    _line("units", f"{units['length_name']} ({units['length_to_m']:g} m)")
    for what, names in info["names"].items():
        if names:
            _line(what, ", ".join("(no name)" if n is None else n for n in names[:12])
                  + (f" … and {len(names) - 12} more" if len(names) > 12 else ""))
    _line("elements", f"{info['elements']} in {len(info['buildings'])} building(s), "
          f"{info['storeys']} storeys, {info['spaces']} spaces")
    for cls, n in info["counts_by_class"].items():
        _line("", f"{cls} {n}")
    for w in info["syntax_warnings"]:
        _line("! syntax", f"{w['feature']}: {w['reason']}")
    _print_georef(info["georeferencing"])


@ifc_app.command("doctor")
def doctor_cmd(
    file: Path = typer.Argument(..., help="An .ifc or .ifczip file."),
    anchor: str = typer.Option(None, "--anchor", help=ANCHOR_HELP),
    anchor_point: str = typer.Option(None, "--anchor-point", help=ANCHOR_POINT_HELP),
    member: str = typer.Option(None, "--member", help="The .ifc inside a .zip to read."),
    fix_scale: bool = typer.Option(False, "--fix-scale", help="Show the result with the "
                                   "expected Scale applied."),
    tolerance: float = typer.Option(100.0, "--tolerance", help="Metres two sources may "
                                    "differ before it is a contradiction."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Georeferencing status: source, units, scale, CRS, origin lon/lat, contradictions,
    suggested fixes."""
    from ..ifc.doctor import inspect_ifc

    info = inspect_ifc(file, anchor=anchor, anchor_point=anchor_point, fix_scale=fix_scale,
                       tolerance_m=tolerance, member=member)
    if as_json:
        emit_json(info)
    else:
        units = info["units"]
        console.print(f"{file}: georeferencing {info['status'].upper()}", markup=False)
        _line("schema", info["schema"])
        _line("units", f"{units['length_name']} ({units['length_to_m']:g} m)")
        _print_georef(info["georeferencing"])
    if info["status"] == "error":
        raise typer.Exit(1)


@ifc_app.command("georef")
def georef_cmd(
    file: Path = typer.Argument(..., help="An .ifc or .ifczip file."),
    anchor: str = typer.Option(None, "--anchor", help=ANCHOR_HELP),
    anchor_point: str = typer.Option(None, "--anchor-point", help=ANCHOR_POINT_HELP),
    write: Path = typer.Option(..., "--write", help="The copy to write (.ifc)."),
    crs: str = typer.Option(None, "--crs", help="Target CRS (default: the working CRS)."),
    member: str = typer.Option(None, "--member", help="The .ifc inside a .zip to read."),
) -> None:
    """Write the placement of --anchor / --anchor-point into a copy of FILE:
    IfcMapConversion + IfcProjectedCRS (IFC4, IFC4X3) or ePSet_MapConversion +
    ePSet_ProjectedCRS (IFC2X3), replacing the file's own georeference."""
    from ..ifc.write_georef import write_georef

    done = write_georef(file, write, anchor, target_crs=crs, anchor_point=anchor_point,
                        member=member)
    for entry in done["overridden"]:
        console.print(f"  replaced: {entry['message']}", markup=False)
    if done["pinned"]:
        console.print(f"  pinned: {done['pinned']['message']}", markup=False)
    kind = "ePSet_MapConversion" if done["schema"] == "IFC2X3" else "IfcMapConversion"
    console.print(f"wrote {done['out']}: {kind} → {done['crs']} E "
                  f"{done['Eastings']:.3f} N {done['Northings']:.3f} H "
                  f"{done['OrthogonalHeight']:.3f} XAxis ({done['XAxisAbscissa']:.9f}, "
                  f"{done['XAxisOrdinate']:.9f}) Scale {done['Scale']:g}", markup=False)


_MARK = {"pass": "✓", "fail": "✗", "warning": "!", "n/a": "·"}


def print_check(report: dict) -> None:
    """Print a model check (:meth:`twin.ifc.check.ModelCheck.to_dict`) as lines."""
    for rule in report["rules"]:
        ids = ", ".join(rule["failing"][:8]) + (" …" if rule["count"] > 8 else "")
        _line(f"{_MARK[rule['status']]} {rule['code']}", f"{rule['title']}: {rule['message']}"
              + (f" [{ids}]" if rule["failing"] else ""))
    if report.get("ids_file"):
        _line("IDS", report["ids_file"])
    for spec in report.get("ids", []):
        ids = ", ".join(spec["failing"][:8]) + (" …" if spec["failed"] > 8 else "")
        _line(f"{_MARK[spec['status']]} IDS", f"{spec['name']}: {spec['applicable']} applicable, "
              f"{spec['failed']} failing" + (f" [{ids}]" if spec["failing"] else ""))
    verdict = "passed" if report["passed"] else f"{report['failures']} failure(s)"
    console.print(f"  check {verdict}, {report['warnings']} warning(s)", markup=False)


@ifc_app.command("check")
def check_cmd(
    file: Path = typer.Argument(..., help="An .ifc, .ifczip or .zip file."),
    ids: str = typer.Option(None, "--ids", help="An IDS file (RULES.ids) to check "
                            "against; default: the Boli review shipped with twin; 'none' for "
                            "the built-in rules only."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    bcf: Path = typer.Option(None, "--bcf", help="Also write the failures as BCF (OUT.bcf)."),
    member: str = typer.Option(None, "--member", help="The .ifc inside a .zip to read."),
) -> None:
    """Model check (入库检查): georeferencing (GRF) rules, unique GlobalIds, units, spatial
    containment, storey order and an IDS via ifctester. Exit status 1 on failures."""
    from ..ifc.check import check_file, write_bcf

    report = check_file(file, ids=ids, member=member)
    data = report.to_dict()
    if bcf is not None:
        data["bcf"] = str(write_bcf(report, file, bcf))
    if as_json:
        emit_json(data)
    else:
        console.print(f"{file}: model check", markup=False)
        print_check(data)
        if bcf is not None:
            _line("BCF", data["bcf"])
    if report.failures:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``twin ifc ...`` to ``app``."""
    app.add_typer(ifc_app, name="ifc")
