"""Where a model's elements are in its own coordinates, before any geometry is computed.

:func:`placement_box` reads the ObjectPlacement of (a sample of) the elements with
:func:`ifcopenshell.util.placement.get_local_placement` and returns the box of their
origins in local metres. The importer uses it to decide the placement before the geometry
run: a plain ``--anchor`` pins the elements rather than a project origin kilometres away,
and a georeference that puts them outside the working CRS is refused at once.
:func:`mesh_box` gives the same box from the meshes once they exist.

Example
-------
>>> from twin.ifc.extent import placement_box
>>> placement_box(model, elements, 0.001)  # doctest: +SKIP
(2.0, 3.0, 22.0, 13.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["placement_box", "mesh_box", "SAMPLE"]

SAMPLE = 64


def placement_box(model, elements, length_to_m: float, *, sample: int = SAMPLE):
    """``(minx, miny, maxx, maxy)`` in local metres of the placement origins of up to
    ``sample`` evenly spread ``elements``, their 10th to 90th percentiles (None when none
    has a readable placement; grid and linear placements are skipped)."""
    import ifcopenshell.util.placement as up

    if not elements:
        return None
    step = max(1, len(elements) // sample)
    points = []
    for el in elements[::step]:
        placement = getattr(el, "ObjectPlacement", None)
        if placement is None or not placement.is_a("IfcLocalPlacement"):
            continue
        try:
            m = up.get_local_placement(placement)
        except Exception:  # noqa: BLE001 - a malformed placement tells nothing
            continue
        points.append((float(m[0, 3]), float(m[1, 3])))
    if not points:
        return None
    return _core_box(np.asarray(points) * float(length_to_m))


def _core_box(xy: np.ndarray):
    """The box of the 10th to 90th percentile of the finite points (one stray element
    does not move it), or None."""
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return None
    lo = np.percentile(xy, 10, axis=0)
    hi = np.percentile(xy, 90, axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def mesh_box(verts: np.ndarray, *, sample: int = 20000):
    """The 10th–90th percentile box of (up to ``sample`` evenly spread) mesh vertices in
    local metres, or None."""
    if verts is None or not len(verts):
        return None
    step = max(1, len(verts) // sample)
    return _core_box(np.asarray(verts[::step, :2], dtype=float))
