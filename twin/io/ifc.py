"""The IFC reader: BIM elements with meshes, LOD1 buildings and storeys, placed on the map.

Reads ``.ifc`` / ``.ifczip`` (IFC2X3, IFC4, IFC4X3_ADD2) with the modules of
:mod:`twin.ifc` and returns three layers (names prefixed by the ``layer`` option, if any):

``bim_element`` (kind bim_element)
    one row per element: ``guid``, ``ifc_class``, ``name``, ``predefined_type``,
    ``storey``, ``storey_guid``, ``elev_m`` (the storey's elevation, m), ``building_id``,
    ``building_guid``, ``psets`` (property sets and quantities as JSON), ``z_min_m`` /
    ``z_max_m``, the footprint polygon (``footprint_method`` hull or union) and the mesh:
    ``origin_x/origin_y/origin_z`` (working CRS, m; one origin per model),
    ``mesh_vertices`` (float32 x, y, z in metres relative to the origin, little-endian
    bytes), ``mesh_faces`` (uint32 triangle indices, bytes) and ``color`` (RGBA 0–255, or
    null when the IFC has no colour). An element without 3D geometry keeps its attributes
    with a null footprint and no mesh.
``ifc_building`` (kind building)
    one LOD1 row per IfcBuilding (see :mod:`twin.ifc.lod1`).
``ifc_storey`` (kind storey)
    ``building_id``, ``guid``, ``name``, ``elev_m`` (absolute, m) and ``elev_local_m``.

Each layer carries ``replace_key="building_id"``: importing a second model keeps the
buildings already in the layer and replaces only rows of the same building (see
:func:`twin.importer.import_file`).

Options: ``anchor`` ("LON,LAT,ELEV,ROT"), ``anchor_point`` ("X,Y,Z=LON,LAT,ELEV[,ROT]"),
``member`` (the ``.ifc`` inside an archive), ``check_on_import`` (off, report, strict:
:mod:`twin.ifc.check` stored in ``report.extra["model_check"]``) with ``check_ids``,
``building_id``, ``layer`` (name prefix),
``fix_scale``, ``georef_tolerance_m``, ``working_crs`` (defaults to
:func:`twin.crs.working_crs`), ``kernel``, ``fallback_kernel``, ``threads``,
``memory_limit_mb``, ``time_limit_s``, ``progress``.
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import WGS84, bounds_in_area_of_use, parse_crs, transform_xy, working_crs
from ..errors import GeoreferenceError, ReaderError
from ..ifc.elements import (
    Relations,
    element_records,
    model_buildings,
    model_elements,
    space_areas,
    storey_records,
)
from ..ifc.extent import mesh_box, placement_box
from ..ifc.geometry import DEFAULT_KERNEL, FALLBACK_KERNEL, start_geometry
from ..ifc.georef import DEFAULT_TOLERANCE_M, repin_anchor, resolve_georef
from ..ifc.lod1 import lod1_rows
from ..ifc.meshes import absurd_limit_m, place_meshes
from ..ifc.open import ifc_members, open_ifc
from ..ifc.placement_check import check_near_anchor, check_where, outside_error
from ..ifc.site_grid import grid_axes, site_meshes
from ..ifc.units import project_units
from .report import ImportReport, ImportResult, LayerData, file_sha256

__all__ = ["IfcReader", "LAYER_NAMES", "has_body_representation"]

LAYER_NAMES = {"bim_element": "bim_element", "building": "ifc_building", "storey": "ifc_storey",
               "site": "ifc_site", "grid": "ifc_grid"}
_NOT_BODY = {"Axis", "FootPrint", "Box", "Annotation", "Reference", "Profile", "CoG",
             "Clearance", "Lighting", "Survey"}


def has_body_representation(element) -> bool:
    """True when ``element`` has a 3D shape representation the iterator should mesh."""
    shape = getattr(element, "Representation", None)
    if shape is None:
        return False
    for rep in shape.Representations or ():
        ident = rep.RepresentationIdentifier
        ctx = rep.ContextOfItems
        ctx_type = getattr(ctx, "ContextType", None) if ctx is not None else None
        if ctx_type is None and ctx is not None and ctx.is_a("IfcGeometricRepresentationSubContext"):
            ctx_type = getattr(ctx.ParentContext, "ContextType", None)
        if ident not in _NOT_BODY and ctx_type in (None, "Model", "Design"):
            return True
    return False


def _noop(*_a, **_k):
    return None


class IfcReader:
    """Reader for ``.ifc``, ``.ifczip`` and a ``.zip`` holding ``.ifc`` files."""

    name = "ifc"
    suffixes = (".ifc", ".ifczip", ".zip")

    def can_read(self, path) -> bool:
        """True for ``.ifc`` / ``.ifczip``, and for a ``.zip`` with an ``.ifc`` inside."""
        suffix = Path(path).suffix.lower()
        if suffix == ".zip":
            return bool(ifc_members(path))
        return suffix in self.suffixes

    def read(self, path, **options) -> ImportResult:
        """Read an IFC model into the bim_element, building and storey layers.

        Library warnings raised on the way (pyproj's "best transformation is not
        available" for a missing PROJ grid) go into the report, not to the terminal."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self._read(path, **options)
        seen = set()
        for w in caught:
            text = _warning_text(w)
            if text not in seen:
                seen.add(text)
                result.report.warn("crs" if "transformation" in text else "library", text)
        return result

    def _read(self, path, **options) -> ImportResult:
        path = Path(path)
        progress = options.get("progress") or _noop
        kind = options.get("kind")
        if kind not in (None, "bim_element", "building", "storey"):
            raise ReaderError(f"an IFC file gives bim_element, building and storey layers, "
                              f"not {kind!r}", path=path, hint="leave out --kind")
        report = ImportReport(kind="bim_element")
        timings = report.timings
        t = time.perf_counter()
        progress(0, None, "opening")
        # The geometry child starts as soon as the model is open and its elements are
        # known; everything else (the DATA-section scan, georeferencing, attributes) runs
        # meanwhile. Any error on the way kills the child (finally below).
        opened = open_ifc(path, defer_body_check=True, member=options.get("member"))
        job = None
        try:
            model = opened.model
            no_project = not model.by_type("IfcProject")
            elements = model_elements(model)
            if no_project:
                opened.check_body()
                if not elements:
                    raise ReaderError("the file has no IfcProject and no building elements "
                                      "(IfcElement) to import", path=path,
                                      hint="export the model again with its project")
                report.warn("IfcProject", "the file has no IfcProject: lengths are taken as "
                            "metres and the file has no georeferencing")
            shaped = [el for el in elements if el.Representation is not None]
            t_geom = time.perf_counter()
            job = None if not elements else start_geometry(
                opened.ifc_path, model=model, elements=shaped,
                start_method=options.get("start_method"),
                kernel=options.get("kernel") or DEFAULT_KERNEL,
                fallback=options.get("fallback_kernel", FALLBACK_KERNEL),
                threads=options.get("threads"), memory_limit_mb=options.get("memory_limit_mb"),
                time_limit_s=options.get("time_limit_s"), shown_path=path)
            dst = parse_crs(options.get("working_crs") or working_crs())
            t_ref = time.perf_counter()
            try:
                box = placement_box(model, elements, project_units(model).length_to_m)
                decision = resolve_georef(model, path=path, anchor=options.get("anchor"),
                                          anchor_point=options.get("anchor_point"),
                                          fix_scale=bool(options.get("fix_scale")),
                                          tolerance_m=float(options.get("georef_tolerance_m")
                                                            or DEFAULT_TOLERANCE_M),
                                          local_box_m=box)
                placement = decision.require()
                # placement is decided before the geometry run: a model that would land
                # outside the working CRS is refused now, not after meshing
                check_where(decision, dst, box, path=path)
            except ReaderError:
                opened.check_body()  # a broken DATA section explains more
                raise
            timings["georef_s"] = round(time.perf_counter() - t_ref, 4)
            limit_m = absurd_limit_m(dst)
            total = len(shaped)
            # the DATA-section checks and the attributes while the child meshes
            prep = self._while_meshing(path, options, opened, elements, placement,
                                       decision.units, report, t)
            units, storeys, spaces = decision.units, prep["storeys"], prep["spaces"]
            buildings, attrs = prep["buildings"], prep["attrs"]
            report.crs = dst.to_string()
            report.source_crs = placement.crs_label
            shaped_guids = [el.GlobalId for el in shaped]
            t = t_geom
            meshes = job.wait(lambda d, n, m: progress(d, total, m))
            threads = job.threads
            job = None
            meshed = set(meshes.guids)
            # only the elements without a mesh need the (slow) question: should they have one?
            with_body = [el for el, guid in zip(shaped, shaped_guids)
                         if guid not in meshed and has_body_representation(el)]
            timings["geometry_s"] = round(time.perf_counter() - t, 4)
            t = time.perf_counter()
            local_box = mesh_box(meshes.verts)
            if repin_anchor(decision, model, local_box):
                placement = decision.placement  # the meshes sit far from the origin
            elif box is None:  # no element placement was readable: check the meshes
                check_where(decision, dst, local_box, path=path)
            placed = place_meshes(meshes, placement, dst, path=path, limit_m=limit_m)
            self._check_area(placed, dst, path, decision)
            near = check_near_anchor(decision, placed, dst, path=path)
            timings["place_s"] = round(time.perf_counter() - t, 4)
            t = time.perf_counter()
            layers = self._layers(path, options, report, decision, dst, attrs, storeys,
                                  spaces, buildings, with_body, placed)
            layers += self._site_and_grid(options, report, prep, placement, dst, limit_m,
                                          attrs["fallback_id"])
            timings["frames_s"] = round(time.perf_counter() - t, 4)
            report.extra["georeferencing"] = decision.to_dict()
            if near is not None:
                report.extra["georeferencing"]["placed_distance_m"] = near
            report.extra["geometry"] = {
                "kernel": meshes.kernel, "attempts": meshes.attempts,
                "threads": threads, "elements_meshed": len(meshes),
                "transform": placed.method, "affine_residual_m": placed.residual_m,
                "origin": list(placed.origin)}
            report.extra["schema"] = opened.schema
            report.extra["units"] = units.to_dict()
            progress(total, total, "done")
            return ImportResult(layers=layers, report=report)
        finally:
            if job is not None:
                job.kill()
            opened.close()

    def _while_meshing(self, path, options, opened, elements, placement, units, report,
                       t_open) -> dict:
        """What the import needs besides the meshes and the georeferencing: the
        DATA-section checks and the element attributes (run while the child meshes;
        raises the reader's errors)."""
        timings = report.timings
        model = opened.model
        opened.check_body()
        timings["open_s"] = round(time.perf_counter() - t_open, 4)
        for w in opened.warnings:
            report.warn(w["feature"], w["reason"])
        if options.get("crs"):
            report.warn("options", "--crs is ignored for IFC: the georeferencing comes "
                        "from the file or --anchor")
        if not elements:
            raise ReaderError("the model has no building elements (IfcElement) to import",
                              path=path, hint="check that the export included the model's "
                                              "elements, not only its project tree")
        t = time.perf_counter()
        relations = Relations(model)
        records = element_records(model, elements, relations)
        storeys = storey_records(model, units.length_to_m, relations)
        spaces = space_areas(model, units.area_to_m2, relations)
        buildings = model_buildings(model)
        attrs = self._attributes(path, options, placement, records, storeys, buildings)
        self._model_check(path, options, model, report)
        report.source_sha256 = file_sha256(path)  # here rather than after the import
        timings["attributes_s"] = round(time.perf_counter() - t, 4)
        # the IfcSite terrain and the IfcGrid axes, in model metres (placed later)
        sites, site_problems = site_meshes(model, kernel=options.get("kernel")
                                           or DEFAULT_KERNEL)
        axes, axis_problems = grid_axes(model, length_to_m=units.length_to_m)
        for text in site_problems + axis_problems:
            report.warn("site/grid", text)
        return {"storeys": storeys, "spaces": spaces, "buildings": buildings, "attrs": attrs,
                "sites": sites, "site_entities": model.by_type("IfcSite"), "axes": axes}

    @staticmethod
    def _site_and_grid(options, report, prep, placement, dst, limit_m, building_id) -> list:
        """The ``ifc_site`` layer (each IfcSite's terrain mesh and ground outline) and the
        ``ifc_grid`` layer (each IfcGridAxis as a line), placed like the elements; none
        when the model has neither."""
        prefix = options.get("layer")
        names = {k: (f"{prefix}_{v}" if prefix else v) for k, v in LAYER_NAMES.items()}
        out = []
        sites = prep["sites"]
        if len(sites):
            try:
                placed = place_meshes(sites, placement, dst, limit_m=limit_m)
            except GeoreferenceError as exc:
                report.warn("IfcSite", f"the site terrain is not imported: {exc.message}")
                placed = None
            if placed is not None and placed.ok.any():
                keep = np.flatnonzero(placed.ok)
                site_names = {s.GlobalId: s.Name for s in prep["site_entities"]}
                frame = pd.DataFrame({
                    "id": [sites.guids[i] for i in keep],
                    "name": [site_names.get(sites.guids[i]) for i in keep],
                    "ifc_class": "IfcSite", "building_id": building_id,
                    "z_min_m": placed.z_min[keep], "z_max_m": placed.z_max[keep],
                    "mesh_vertices": [placed.vertex_bytes[i] for i in keep],
                    "mesh_faces": [placed.face_bytes[i] for i in keep],
                    "footprint_method": [placed.footprint_method[i] for i in keep]})
                frame["origin_x"], frame["origin_y"], frame["origin_z"] = placed.origin
                out.append(LayerData(names["site"], "feature", gpd.GeoDataFrame(
                    frame, geometry=list(placed.footprints[keep]), crs=dst),
                    replace_key="building_id"))
                report.extra["site_terrain"] = {"sites": len(keep),
                                                "triangles": int(sites.counts[keep, 1].sum())}
        axes = prep["axes"]
        if axes:
            lines, rows, seen = [], [], {}
            for axis in axes:
                p = axis.points_m
                x, y, h = placement.local_to(p[:, 0], p[:, 1], p[:, 2], dst)
                ok = np.isfinite(x).all() and np.isfinite(y).all() and \
                    max(np.abs(x).max(), np.abs(y).max()) <= limit_m
                if not ok:
                    report.skip(f"{axis.grid_guid}/{axis.tag}", "grid axis at NaN or absurd "
                                "coordinates after georeferencing", ifc_class="IfcGridAxis")
                    continue
                key = f"{axis.grid_guid}/{axis.direction}/{axis.tag}"
                seen[key] = seen.get(key, 0) + 1
                rows.append({"id": key if seen[key] == 1 else f"{key}#{seen[key]}",
                             "name": axis.tag, "ifc_class": "IfcGridAxis",
                             "grid_guid": axis.grid_guid, "grid_name": axis.grid_name,
                             "direction": axis.direction, "building_id": building_id,
                             "elev_m": float(np.mean(h))})
                lines.append(shapely.linestrings(np.column_stack([x, y])))
            if rows:
                out.append(LayerData(names["grid"], "feature", gpd.GeoDataFrame(
                    pd.DataFrame(rows), geometry=lines, crs=dst), replace_key="building_id"))
                report.extra["grid_axes"] = len(rows)
        return out

    @staticmethod
    def _model_check(path, options, model, report) -> None:
        """``check_on_import`` report|strict: the model check (:mod:`twin.ifc.check`) on
        the open model, stored in the report; strict refuses a model with failures."""
        mode = options.get("check_on_import") or "off"
        if mode == "off":
            return
        if mode not in ("report", "strict"):
            raise ReaderError(f"--check-on-import takes off, report or strict, not {mode!r}",
                              path=path)
        from ..ifc.check import check_model

        t = time.perf_counter()
        # every failing GlobalId is kept: the Import page colours them on its preview map
        check = check_model(model, path=path, ids=options.get("check_ids"), limit=None)
        report.extra["model_check"] = check.to_dict()
        report.timings["check_s"] = round(time.perf_counter() - t, 4)
        failed = [r.code for r in check.rules if r.status == "fail"] + [
            f"IDS '{s.name}'" for s in check.ids if s.status == "fail"]
        if failed and mode == "strict":
            raise ReaderError(f"the model check found {len(failed)} failure(s): "
                              + ", ".join(failed), path=path,
                              hint="see `twin ifc check FILE`; fix the model, or import with "
                                   "--check-on-import report to store it with the failures")
        for code in failed:
            report.warn("model check", f"{code} failed (see the stored model_check)")

    @staticmethod
    def _check_area(placed, dst, path, decision) -> None:
        good = placed.ok
        fps = [g for g, k in zip(placed.footprints, good) if k and g is not None]
        if not fps:
            return
        bounds = shapely.total_bounds(np.asarray(fps, dtype=object))
        if not bounds_in_area_of_use(dst, tuple(bounds)):
            lon, lat = transform_xy([(bounds[0] + bounds[2]) / 2], [(bounds[1] + bounds[3]) / 2],
                                    dst, WGS84)
            lonlat = (float(lon[0]), float(lat[0]))
            ok = all(np.isfinite(lonlat)) and -180 <= lonlat[0] <= 180 and -90 <= lonlat[1] <= 90
            raise outside_error(decision, dst, lonlat if ok else None, path=path)

    @staticmethod
    def _attributes(path, options, placement, records, storeys, buildings) -> dict:
        """Everything about the elements that does not need their meshes: building ids,
        storey elevations and one attribute row per element (built while the geometry
        child meshes)."""
        user_id = options.get("building_id")
        ids: dict = {}
        for n, b in enumerate(buildings):
            if user_id:
                ids[b.GlobalId] = str(user_id) if n == 0 else f"{user_id}-{n + 1}"
            else:
                ids[b.GlobalId] = b.GlobalId
        # elements outside any IfcBuilding: the only building, else the user's id, else
        # the file's stem
        if len(ids) == 1:
            fallback_id = next(iter(ids.values()))
        else:
            fallback_id = str(user_id) if user_id else _model_fallback_id(path)

        def abs_height(z_local_m: float) -> float:
            _, _, h = placement.local_to_map(np.array([0.0]), np.array([0.0]),
                                             np.array([z_local_m]))
            return float(h[0])

        storey_elev = {s["guid"]: abs_height(s["elev_local_m"]) for s in storeys}
        rows = [{"guid": rec.guid, "ifc_class": rec.ifc_class, "name": rec.name,
                 "predefined_type": rec.predefined_type, "storey": rec.storey,
                 "storey_guid": rec.storey_guid, "elev_m": storey_elev.get(rec.storey_guid),
                 "building_id": (ids.get(rec.building_guid) if rec.building_guid else None)
                 or fallback_id,
                 "building_guid": rec.building_guid, "psets": rec.psets}
                for rec in records]
        return {"ids": ids, "fallback_id": fallback_id, "storey_elev": storey_elev,
                "records": records, "frame": pd.DataFrame(rows)}

    def _layers(self, path, options, report, decision, dst, attrs, storeys, spaces,
                buildings, with_body, placed):
        meshes = placed.meshes
        index = {g: i for i, g in enumerate(meshes.guids)}
        body_guids = {el.GlobalId for el in with_body} | set(meshes.guids)
        ids, fallback_id = attrs["ids"], attrs["fallback_id"]
        storey_elev = attrs["storey_elev"]
        units = decision.units
        failures = _failure_reasons(meshes.log or "")
        no_geometry = unmeshed = 0
        keep: list[int] = []
        mesh_of: list[int] = []
        for r, rec in enumerate(attrs["records"]):
            i = index.get(rec.guid)
            if i is not None and not placed.ok[i] and meshes.counts[i, 0] == 0:
                i = None  # an empty mesh: the element keeps its attributes, no geometry
            elif i is not None and not placed.ok[i]:
                report.skip(rec.guid, "NaN or absurd coordinates after georeferencing",
                            ifc_class=rec.ifc_class)
                continue
            elif i is None and rec.guid in body_guids:
                # the kernel could not mesh it (a broken body, a grid placement...): it
                # keeps its attributes with no geometry, like an element without a shape
                unmeshed += 1
                report.warn(rec.guid, f"{rec.ifc_class}: {failures.get(rec.guid, _NO_SHAPE)}; "
                            "kept with its attributes and no geometry")
            if i is None:
                no_geometry += 1
            keep.append(r)
            mesh_of.append(-1 if i is None else i)
        mi = np.asarray(mesh_of, dtype=np.int64)
        has = mi >= 0
        take = np.where(has, mi, 0)
        frame = attrs["frame"].iloc[keep].reset_index(drop=True)
        frame["origin_x"], frame["origin_y"], frame["origin_z"] = placed.origin
        nan = np.full(len(mi), np.nan)
        frame["z_min_m"] = np.where(has, placed.z_min[take], nan) if len(mi) else nan
        frame["z_max_m"] = np.where(has, placed.z_max[take], nan) if len(mi) else nan
        colours = meshes.colours
        no_colour = np.isnan(colours[:, 0]) if len(colours) else np.zeros(0, bool)
        rgba = np.rint(np.nan_to_num(colours.astype(np.float64)) * 255).astype(np.int64) \
            if len(colours) else np.zeros((0, 4), np.int64)
        frame["mesh_vertices"] = [placed.vertex_bytes[i] if i >= 0 else None for i in mesh_of]
        frame["mesh_faces"] = [placed.face_bytes[i] if i >= 0 else None for i in mesh_of]
        frame["color"] = [None if i < 0 or no_colour[i] else rgba[i].tolist() for i in mesh_of]
        frame["footprint_method"] = [placed.footprint_method[i] if i >= 0 else None
                                     for i in mesh_of]
        geoms = [placed.footprints[i] if i >= 0 else None for i in mesh_of]
        if no_geometry:
            report.warn("elements", f"{no_geometry} elements have no 3D geometry; they keep "
                        "their attributes with an empty footprint")
        frame = gpd.GeoDataFrame(frame, geometry=geoms, crs=dst)
        if not len(frame):
            reasons = "; ".join(f"{k['feature']}: {k['reason']}" for k in report.skipped[:3])
            raise ReaderError(f"no element could be imported (all were skipped: {reasons})",
                              path=path, hint="check the georeferencing with `twin ifc "
                                              "doctor FILE` and the file with an IFC validator")
        report.counts = {str(k): int(v) for k, v in frame["ifc_class"].value_counts().items()}
        report.extra["counts_by_class"] = report.counts
        report.extra["elements"] = int(len(frame))
        report.extra["elements_without_geometry"] = no_geometry
        report.extra["elements_not_meshed"] = unmeshed
        for c in decision.checks:
            if c["level"] in ("warning", "error"):
                report.warn("georeferencing", c["message"])
        for c in decision.contradictions:
            report.warn("georeferencing", f"contradiction: {c['message']}")
        for fix in decision.applied_fixes:
            report.repaired("georeferencing", f"{fix} (fix_scale)")
        if not decision.applied_fixes and decision.anchor is None:
            for fix in decision.fixes:
                report.warn("georeferencing", f"suggested fix: {fix}")
        # storeys
        storey_frame = pd.DataFrame([{
            "building_id": ids.get(s["building_guid"]) or fallback_id, "guid": s["guid"],
            "name": s["name"], "elev_m": storey_elev[s["guid"]],
            "elev_local_m": s["elev_local_m"], "building_guid": s["building_guid"]}
            for s in storeys], columns=["building_id", "guid", "name", "elev_m",
                                        "elev_local_m", "building_guid"])
        # LOD1
        binfo = [{"guid": b.GlobalId, "id": ids[b.GlobalId], "name": b.Name,
                  "use": getattr(b, "ObjectType", None) or getattr(b, "LongName", None)}
                 for b in buildings]
        if not binfo:
            report.warn("buildings", "the model has no IfcBuilding: no LOD1 building row")
        lod1 = lod1_rows(binfo, frame, storeys, spaces, area_to_m2=units.area_to_m2)
        bcols = ["id", "building_id", "name", "use", "height_m", "floors", "base_elev_m",
                 "gfa_m2", "gfa_method", "source", "ifc_guid", "elements"]
        bframe = gpd.GeoDataFrame(pd.DataFrame(lod1, columns=bcols + ["geometry"]).drop(
            columns="geometry"), geometry=[r["geometry"] for r in lod1], crs=dst)
        report.extra["buildings"] = [{k: r[k] for k in bcols} for r in lod1]
        prefix = options.get("layer")
        names = {k: (f"{prefix}_{v}" if prefix else v) for k, v in LAYER_NAMES.items()}
        return [
            LayerData(names["bim_element"], "bim_element", frame, replace_key="building_id"),
            LayerData(names["building"], "building", bframe, replace_key="building_id"),
            LayerData(names["storey"], "storey", storey_frame, replace_key="building_id"),
        ]


_GRID = re.compile(r"missing Grid\(short_name=([^,]+)")


def _warning_text(w) -> str:
    """A short line for a caught warning (a missing PROJ grid is named)."""
    message = str(w.message)
    grid = _GRID.search(message)
    if grid:
        return (f"the PROJ grid {grid.group(1)} is not installed, so pyproj used a less "
                "accurate transformation (metre-level); install the grid for survey accuracy")
    return f"{w.category.__name__}: {message.splitlines()[0][:200]}"


def _model_fallback_id(path) -> str:
    """A building id for elements outside any IfcBuilding: the file's stem."""
    return Path(path).stem


_NO_SHAPE = "the geometry kernel produced no shape for it"
_GUID = re.compile(r"(?<![0-9A-Za-z_$])[0-9A-Za-z_$]{22}(?![0-9A-Za-z_$])")


def _failure_reasons(log: str) -> dict[str, str]:
    """``{GlobalId: reason}`` from the kernel log: the first line naming each GlobalId."""
    out: dict[str, str] = {}
    for line in log.splitlines():
        for guid in _GUID.findall(line):
            out.setdefault(guid, f"geometry failed: {line.strip()[:200]}")
    return out
