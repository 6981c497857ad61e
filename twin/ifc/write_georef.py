"""Write an anchor into a copy of an IFC file as IfcMapConversion + IfcProjectedCRS.

Other tools then place the model where twin places it. The target CRS is the working CRS
(EPSG:4549) unless another is given. The parameters come from the same numbers twin uses
to place the model with the anchor: an affine fit of local metres → target CRS
(:meth:`twin.ifc.georef.Placement.affine_to`) gives the Eastings/Northings of the project
origin and the direction of the project's +X axis on the grid (XAxisAbscissa /
XAxisOrdinate, which include the meridian convergence); ``Scale`` converts the project
length unit to the map unit. The IfcSite RefLatitude / RefLongitude / RefElevation and the
context's TrueNorth are rewritten to agree, so that the copy has no contradiction. A
context with a WorldCoordinateSystem other than the identity gets parameters for points
relative to it, since readers apply IfcMapConversion there (see
:func:`twin.ifc.georef.context_wcs`).
Writing uses ``ifcopenshell.api.georeference``; IFC2X3 gets ``ePSet_MapConversion`` and
``ePSet_ProjectedCRS``.

Example
-------
>>> from twin.ifc.write_georef import write_georef
>>> write_georef("model.ifc", "placed.ifc", "119.905,35.733,4.5,12")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from ..crs import parse_crs, working_crs
from ..errors import GeoreferenceError, ReaderError
from .elements import model_elements
from .extent import placement_box
from .georef import check_upright, context_wcs, crs_unit_to_m, resolve_georef
from .open import open_ifc
from .units import project_units

__all__ = ["write_georef", "map_conversion_for"]


def map_conversion_for(placement, target, *, extent_m: float = 250.0,
                       centre_m=(0.0, 0.0)) -> dict:
    """IfcMapConversion attributes that reproduce ``placement`` in ``target`` near
    ``centre_m`` (local metres; fitted over ±``extent_m`` metres around it)."""
    target = parse_crs(target)
    if not target.is_projected:
        raise GeoreferenceError(f"the target CRS {target.to_string()} is not projected",
                                hint="IfcMapConversion needs a projected CRS (EPSG:4549)")
    cx, cy = (float(v) for v in centre_m[:2])
    matrix, _z_scale, z_off, resid = placement.affine_to(
        target, (cx - extent_m, cy - extent_m, cx + extent_m, cy + extent_m))
    crs_unit = crs_unit_to_m(target)
    ax, ay = float(matrix[0, 0]), float(matrix[1, 0])
    norm = math.hypot(ax, ay)
    return {"Eastings": float(matrix[0, 2]), "Northings": float(matrix[1, 2]),
            "OrthogonalHeight": float(z_off) / crs_unit,
            "XAxisAbscissa": ax / norm, "XAxisOrdinate": ay / norm,
            "Scale": placement.length_to_m / crs_unit,
            "_grid_scale_factor": norm, "_fit_residual_m": resid}


def write_georef(src, out, anchor=None, *, target_crs=None, anchor_point=None,
                 member=None) -> dict:
    """Write ``anchor`` (``"LON,LAT,ELEV,ROT"``) or ``anchor_point``
    (``"X,Y,Z=LON,LAT,ELEV[,ROT]"``) into a copy of ``src`` at ``out``, replacing any
    georeference the file has (IfcMapConversion + IfcProjectedCRS in IFC4/IFC4X3,
    ePSet_MapConversion + ePSet_ProjectedCRS in IFC2X3).

    The placement is the one ``twin import`` would use with the same option (a plain
    anchor pins far-away elements, see :func:`twin.ifc.georef.repin_anchor`), so the copy
    imports to the same place. Returns the written parameters. ``out`` must differ from
    ``src``; the source is never changed.
    """
    import ifcopenshell.api.georeference
    import ifcopenshell.api.unit
    import ifcopenshell.util.geolocation as geoloc
    import ifcopenshell.util.placement as up

    src, out = Path(src), Path(out)
    if out.resolve() == src.resolve():
        raise ReaderError("refusing to overwrite the source file", path=src,
                          hint="give another --write OUT.ifc")
    if out.suffix.lower() != ".ifc":
        raise ReaderError(f"--write takes a .ifc path, got {out.name!r}", path=src)
    if anchor is None and anchor_point is None:
        raise GeoreferenceError("no anchor given", path=src,
                                hint="--anchor LON,LAT,ELEV,ROT or --anchor-point "
                                     "X,Y,Z=LON,LAT,ELEV")
    target = parse_crs(target_crs or working_crs())
    code = target.to_epsg()
    if code is None:
        raise GeoreferenceError(f"the target CRS {target.to_string()} has no EPSG code",
                                path=src, hint="IfcProjectedCRS names an EPSG code")
    with open_ifc(src, member=member) as opened:
        model = opened.model
        if not model.by_type("IfcProject"):
            raise ReaderError("the file has no IfcProject", path=src)
        units = project_units(model)
        schema = model.schema
        box = placement_box(model, model_elements(model), units.length_to_m)
        decision = resolve_georef(model, path=src, anchor=anchor, anchor_point=anchor_point,
                                  local_box_m=box)
        placement = decision.placement
        anchor = decision.anchor
        rotation = _rotation_of(placement)
        centre = (0.0, 0.0) if box is None else ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        wcs = context_wcs(model)
        if wcs is not None:  # IfcMapConversion applies to points relative to the WCS
            check_upright(wcs, path=src)
            params = map_conversion_for(dataclasses.replace(placement, local_matrix=wcs),
                                        target, centre_m=centre)
        else:
            params = map_conversion_for(placement, target, centre_m=centre)
        op = {k: v for k, v in params.items() if not k.startswith("_")}
        if model.schema != "IFC2X3" and model.by_type("IfcCoordinateOperation"):
            ifcopenshell.api.georeference.remove_georeferencing(model)
        elif model.schema == "IFC2X3":
            _remove_ifc2x3_psets(model)
        ifcopenshell.api.georeference.add_georeferencing(model, name=f"EPSG:{code}")
        crs_attrs = {"Name": f"EPSG:{code}", "Description": target.name}
        if model.schema != "IFC2X3":
            crs_attrs["MapUnit"] = _metre(model)
        ifcopenshell.api.georeference.edit_georeferencing(
            model, coordinate_operation=op, projected_crs=crs_attrs)
        # make the site and true north agree with the anchor
        north_x, north_y = geoloc.angle2yaxis(rotation)
        for ctx in model.by_type("IfcGeometricRepresentationContext", include_subtypes=False):
            ctx.TrueNorth = model.createIfcDirection((float(north_x), float(north_y)))
        for site in model.by_type("IfcSite"):
            origin = np.zeros(3)
            if site.ObjectPlacement is not None:
                origin = up.get_local_placement(site.ObjectPlacement)[:3, 3] * units.length_to_m
            lon, lat, h = placement.lonlat(*origin)
            site.RefLatitude = geoloc.dd2dms(lat, use_us=True)
            site.RefLongitude = geoloc.dd2dms(lon, use_us=True)
            site.RefElevation = h / units.length_to_m
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        model.write(str(tmp))
        tmp.replace(out)
    return {"out": str(out), "crs": f"EPSG:{code}", "schema": schema, **params,
            "anchor": anchor.text(), "pinned": decision.pinned,
            "overridden": decision.overridden}


def _rotation_of(placement) -> float:
    """The rotation a lon/lat placement was made with (the inverse of
    ``ifcopenshell.util.geolocation.angle2xaxis``)."""
    return float(math.degrees(math.atan2(-placement.helmert[4], placement.helmert[3])))


def _metre(model):
    for unit in model.by_type("IfcSIUnit"):
        if unit.UnitType == "LENGTHUNIT" and unit.Name == "METRE" and not unit.Prefix:
            return unit
    return model.createIfcSIUnit(None, "LENGTHUNIT", None, "METRE")


def _remove_ifc2x3_psets(model) -> None:
    import ifcopenshell.api.pset
    import ifcopenshell.util.element as ue

    project = model.by_type("IfcProject")[0]
    for name in ("ePSet_MapConversion", "ePSet_ProjectedCRS"):
        pset = ue.get_pset(project, name)
        if pset:
            ifcopenshell.api.pset.remove_pset(model, product=project,
                                              pset=model.by_id(pset["id"]))
