"""IfcSite terrain and IfcGrid axes: what a model says about the ground and its grid.

:func:`site_meshes` meshes each IfcSite that has a Body representation (a terrain TIN,
an IfcPolygonalFaceSet or a shell) with ifcopenshell's geometry, in the same world
coordinates the geometry child gives for the elements, so they are placed on the map by
:func:`twin.ifc.meshes.place_meshes` exactly like the elements. :func:`grid_axes` reads
each IfcGridAxis curve (IfcPolyline, IfcIndexedPolyCurve or IfcLine-based trimmed curves
are meshed as curves by ifcopenshell's geometry) in its IfcGrid's placement, in metres.

Example
-------
>>> from twin.ifc.site_grid import grid_axes, site_meshes
>>> sites = site_meshes(model, kernel="opencascade")  # doctest: +SKIP
>>> axes = grid_axes(model, length_to_m=0.001)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import MeshSet

__all__ = ["GridAxis", "site_meshes", "grid_axes"]

_AXES = (("UAxes", "U"), ("VAxes", "V"), ("WAxes", "W"))


def _has_body(product) -> bool:
    from ..io.ifc import has_body_representation

    return has_body_representation(product)


def site_meshes(model, *, kernel: str | None = None) -> tuple[MeshSet, list[str]]:
    """The meshes of the model's IfcSites that have a Body representation (world
    coordinates in metres) and one message per site that could not be meshed.
    ``ifcopenshell.geom`` (its kernels load for ~0.2 s) is imported only when a site has
    a body: the elements are meshed in the geometry child."""
    sites = [s for s in model.by_type("IfcSite") if s.Representation is not None
             and _has_body(s)]
    verts, faces, counts, guids, problems = [], [], [], [], []
    if sites:
        import ifcopenshell.geom

        settings = ifcopenshell.geom.settings()
        settings.set("use-world-coords", True)
        for site in sites:
            try:
                shape = (ifcopenshell.geom.create_shape(settings, site, geometry_library=kernel)
                         if kernel else ifcopenshell.geom.create_shape(settings, site))
            except Exception as exc:  # noqa: BLE001 - the kernel's own error, one line
                text = str(exc).strip().splitlines()[0] if str(exc).strip() else \
                    type(exc).__name__
                problems.append(f"IfcSite {site.GlobalId}: its terrain could not be meshed "
                                f"({text})")
                continue
            geometry = getattr(shape, "geometry", shape)
            v = np.frombuffer(geometry.verts_buffer, dtype=np.float64)
            f = np.frombuffer(geometry.faces_buffer, dtype=np.int32)
            if not len(f):
                problems.append(f"IfcSite {site.GlobalId}: its Body representation has no "
                                "faces")
                continue
            verts.append(v)
            faces.append(f.astype(np.uint32))
            counts.append((len(v) // 3, len(f) // 3))
            guids.append(site.GlobalId)
    meshes = MeshSet(
        guids=guids, classes=["IfcSite"] * len(guids),
        verts=(np.concatenate(verts) if verts else np.zeros(0)).reshape(-1, 3),
        faces=np.concatenate(faces) if faces else np.zeros(0, np.uint32),
        counts=np.asarray(counts, dtype=np.int64).reshape(-1, 2),
        colours=np.full((len(guids), 4), np.nan, dtype=np.float32),
        kernel=str(kernel or "default"))
    return meshes, problems


@dataclass
class GridAxis:
    """One IfcGridAxis: its grid, tag, direction (U, V or W) and the axis curve's points
    in the model's world coordinates, metres (N×3)."""

    grid_guid: str
    grid_name: str | None
    tag: str
    direction: str
    points_m: np.ndarray


def _curve_points(curve) -> np.ndarray | None:
    """The 2D/3D points of an axis curve in its grid's coordinates (project units)."""
    if curve is None:
        return None
    if curve.is_a("IfcPolyline"):
        pts = [tuple(p.Coordinates) for p in curve.Points]
    elif curve.is_a("IfcIndexedPolyCurve"):
        pts = [tuple(p) for p in curve.Points.CoordList]
    else:  # a trimmed line or another curve: ifcopenshell's geometry draws it as edges
        import ifcopenshell.geom

        settings = ifcopenshell.geom.settings()
        try:
            shape = ifcopenshell.geom.create_shape(settings, curve)
        except Exception:  # noqa: BLE001 - an unsupported curve is reported by the caller
            return None
        v = np.asarray(getattr(shape, "verts", ()), dtype=float).reshape(-1, 3)
        if len(v) < 2:
            return None
        # the kernel gives metres; the caller expects project units like the cases above
        return v
    if len(pts) < 2:
        return None
    out = np.zeros((len(pts), 3))
    for i, p in enumerate(pts):
        out[i, :len(p)] = p[:3]
    return out


def grid_axes(model, *, length_to_m: float) -> tuple[list[GridAxis], list[str]]:
    """Every IfcGridAxis with a readable curve, placed by its grid's ObjectPlacement, in
    world metres; and one message per axis that was skipped."""
    import ifcopenshell.util.placement as up

    axes, problems = [], []
    for grid in model.by_type("IfcGrid"):
        matrix = up.get_local_placement(grid.ObjectPlacement) if grid.ObjectPlacement \
            else np.eye(4)
        for attribute, direction in _AXES:
            for axis in getattr(grid, attribute, None) or ():
                curve = axis.AxisCurve
                local = _curve_points(curve)
                tag = str(axis.AxisTag or "")
                if local is None:
                    problems.append(f"IfcGrid {grid.GlobalId} axis {tag or '?'}: its "
                                    f"{curve.is_a() if curve else 'missing'} curve cannot be "
                                    "read; skipped")
                    continue
                if not (curve.is_a("IfcPolyline") or curve.is_a("IfcIndexedPolyCurve")):
                    local = local / length_to_m  # the kernel's metres back to project units
                world = local @ matrix[:3, :3].T + matrix[:3, 3]
                axes.append(GridAxis(grid_guid=grid.GlobalId, grid_name=grid.Name, tag=tag,
                                     direction=direction, points_m=world * length_to_m))
    return axes, problems
