"""Is the placed model where it should be? The checks around a placement, with one wording.

* :func:`check_where` (before the geometry run): the point the placement puts the
  elements at (the centre of their placements, else the site origin) must fall inside
  the working CRS's area of use; otherwise :func:`outside_error`.
* :func:`outside_error`: the one message for a model that lands outside the working CRS:
  which source put it where, and the two fixes that work (``--anchor`` /
  ``--anchor-point``, which override the file, or a store whose ``$TWIN_CRS`` covers the
  place, with a suggested CRS from the PROJ database).
* :func:`check_near_anchor` (after placing the meshes): the elements must be near the
  point the user asked for; the distance goes into the report.

Example
-------
>>> from twin.ifc.placement_check import check_where
>>> check_where(decision, "EPSG:4549", (0, 0, 20, 10), path="m.ifc")  # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np

from ..crs import WGS84, bounds_in_area_of_use, parse_crs, transform_xy
from ..errors import GeoreferenceError

__all__ = ["check_where", "check_near_anchor", "outside_error", "suggest_local_crs",
           "NEAR_ANCHOR_M"]

NEAR_ANCHOR_M = 2000.0


def suggest_local_crs(lon: float, lat: float) -> str | None:
    """The WGS 84 / UTM zone CRS of ``lon, lat`` from the PROJ database (None if none)."""
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    try:
        found = query_utm_crs_info(datum_name="WGS 84",
                                   area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    except Exception:  # noqa: BLE001 - PROJ database unavailable
        return None
    return f"{found[0].auth_name}:{found[0].code}" if found else None


def _source_label(decision) -> str:
    placement = decision.placement
    if placement is None:
        return "the georeference"
    if decision.anchor is not None:
        return decision.anchor.label
    if placement.source in ("IfcMapConversion", "ePSet_MapConversion"):
        return f"the file's {placement.source} ({placement.crs_label})"
    return f"the file's {placement.source}"


def outside_error(decision, dst, lonlat, *, path) -> GeoreferenceError:
    """The error for a model placed outside ``dst``'s area of use (``lonlat`` None when
    the position is not even valid)."""
    dst = parse_crs(dst)
    label = dst.to_string()
    where = ("at no valid position (NaN or out of range)" if lonlat is None
             else f"at lon {lonlat[0]:.5f}, lat {lonlat[1]:.5f}")
    if decision.anchor is not None:
        return GeoreferenceError(
            f"{_source_label(decision)} puts the model {where}, outside the area of use of "
            f"the working CRS {label}", path=path,
            hint="check the anchor: longitude first, then latitude, in degrees")
    crs_hint = ""
    placement = decision.placement
    if placement is not None and placement.source in ("IfcMapConversion",
                                                      "ePSet_MapConversion") \
            and placement.crs != dst:
        crs_hint = f" (e.g. {placement.crs_label})"
    elif lonlat is not None:
        utm = suggest_local_crs(*lonlat)
        crs_hint = f" (e.g. {utm})" if utm else ""
    return GeoreferenceError(
        f"{_source_label(decision)} puts the model {where}, outside the area of use of the "
        f"working CRS {label}", path=path,
        hint="to place it here pass --anchor LON,LAT,ELEV,ROT or --anchor-point "
             "X,Y,Z=LON,LAT,ELEV (either overrides the file); to keep its own position use "
             f"a new store with $TWIN_CRS{crs_hint}")


def _lonlat(placement, x, y, z=0.0):
    try:
        lon, lat, _ = placement.lonlat(x, y, z)
    except Exception:  # noqa: BLE001 - pyproj fails on absurd input
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
            and -90 <= lat <= 90):
        return None
    return lon, lat


def check_where(decision, dst, local_box_m, *, path) -> None:
    """Refuse, before any geometry, a placement that puts the elements (the centre of
    ``local_box_m``) outside ``dst``'s area of use. Without a box (no element has a local
    placement: linear or grid placements only) the check waits for the meshes."""
    placement = decision.placement
    if placement is None or local_box_m is None:
        return
    x = (local_box_m[0] + local_box_m[2]) / 2
    y = (local_box_m[1] + local_box_m[3]) / 2
    try:
        tx, ty, _ = placement.local_to(np.array([x]), np.array([y]), np.array([0.0]), dst)
        inside = bool(bounds_in_area_of_use(dst, (float(tx[0]), float(ty[0]),
                                                  float(tx[0]), float(ty[0]))))
    except Exception:  # noqa: BLE001 - pyproj fails on absurd input
        inside = False
    if not inside:
        raise outside_error(decision, dst, _lonlat(placement, x, y), path=path)


def check_near_anchor(decision, placed, dst, *, path) -> float | None:
    """Distance in metres from the point the user's anchor asked for to the placed
    elements' box (0 inside it); refuses more than :data:`NEAR_ANCHOR_M`. None when no
    anchor was given or nothing was placed."""
    anchor = decision.anchor
    if anchor is None:
        return None
    fps = [g for g, k in zip(placed.footprints, placed.ok) if k and g is not None]
    if not fps:
        return None
    import shapely

    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(fps, dtype=object))
    ax, ay = transform_xy([anchor.lon], [anchor.lat], WGS84, dst)
    ax, ay = float(ax[0]), float(ay[0])
    dx = max(minx - ax, 0.0, ax - maxx)
    dy = max(miny - ay, 0.0, ay - maxy)
    dist = math.hypot(dx, dy)
    if dist > NEAR_ANCHOR_M:
        raise GeoreferenceError(
            f"the placed elements lie {dist / 1000:,.3f} km from the point {anchor.label} "
            f"asked for (lon {anchor.lon}, lat {anchor.lat})", path=path,
            hint="give --anchor-point X,Y,Z=LON,LAT,ELEV with a point of the model (model "
                 "metres, e.g. a grid intersection or the survey point)")
    return round(dist, 3)
