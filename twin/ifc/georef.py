"""Where an IFC model is on the earth: resolve, check and apply its georeferencing.

Resolution order (the first that exists wins):

1. **IfcMapConversion + IfcProjectedCRS** (``ePSet_MapConversion`` / ``ePSet_ProjectedCRS``
   on the IfcProject in IFC2X3), read with
   :func:`ifcopenshell.util.geolocation.get_helmert_transformation_parameters`.
2. **IfcSite RefLatitude / RefLongitude / RefElevation** with the TrueNorth of the model
   context (:func:`ifcopenshell.util.geolocation.get_true_north`): the site's origin sits at
   that lon/lat, and project north is rotated by the true-north angle.
3. **A user anchor** ``LON,LAT,ELEV,ROT``: the project origin (0, 0, 0) sits at lon/lat,
   at elevation ELEV metres, and ROT is the azimuth of the model's +Y axis in degrees
   clockwise from true north (which equals the IFC TrueNorth angle, anticlockwise).

Sources 2 and 3 become the same kind of :class:`Placement` as 1: a Helmert transformation
(:func:`ifcopenshell.util.geolocation.xyz2enh`) into a map CRS, here a local transverse
Mercator centred on the lon/lat. Every placement then goes to the working CRS with pyproj
through :mod:`twin.crs`; heights stay in metres.

Checks: Scale against the project length unit and ``IfcProjectedCRS.MapUnit`` (a 1000×
mismatch, mm project and metre map without Scale, is flagged; ``fix_scale=True`` applies
the right Scale, and divides Eastings/Northings given in project units); an invalid or
unknown EPSG name raises :class:`GeoreferenceError` naming it; MapConversion and
RefLatitude further apart than ``tolerance_m`` are reported with both positions and their
distance. A model context whose WorldCoordinateSystem is not the identity has the
IfcMapConversion applied to points relative to it, as
:func:`ifcopenshell.util.geolocation.auto_xyz2enh` does (the check names the offset, since
tools that ignore it place the model elsewhere); a tilted one is refused.

Example
-------
>>> from twin.ifc.georef import resolve_georef
>>> decision = resolve_georef(model, path="model.ifc")  # doctest: +SKIP
>>> placement = decision.require()                     # doctest: +SKIP
>>> placement.local_to(x_m, y_m, z_m, "EPSG:4549")     # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from pyproj import CRS, Geod

from ..crs import WGS84, bounds_in_area_of_use, parse_crs, transformer
from ..errors import GeoreferenceError
from .units import ProjectUnits, project_units, unit_label, unit_to_metres

__all__ = [
    "Anchor",
    "context_wcs",
    "check_upright",
    "parse_anchor",
    "parse_anchor_point",
    "anchor_placement",
    "FAR_FROM_ORIGIN_M",
    "Placement",
    "GeorefDecision",
    "resolve_georef",
    "local_tm_crs",
    "latlon_placement",
    "crs_unit_to_m",
    "DEFAULT_TOLERANCE_M",
]

DEFAULT_TOLERANCE_M = 100.0
# an anchor pins the project origin; elements further than this from it are pinned instead
FAR_FROM_ORIGIN_M = 1000.0
_EPSG = re.compile(r"^\s*EPSG\s*:\s*(\d+)\s*$", re.I)
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Anchor:
    """A user-given position of the project origin: lon/lat (WGS84), elevation in metres,
    and the rotation (azimuth of the model's +Y axis, degrees clockwise from true north)."""

    lon: float
    lat: float
    elev_m: float = 0.0
    rotation_deg: float | None = 0.0
    model_point_m: tuple | None = None

    def text(self) -> str:
        """``LON,LAT,ELEV,ROT`` (or ``X,Y,Z=LON,LAT,ELEV[,ROT]``) as the CLI takes it."""
        rot = "" if self.rotation_deg is None else f",{self.rotation_deg}"
        if self.model_point_m is not None:
            x, y, z = self.model_point_m
            return f"{x},{y},{z}={self.lon},{self.lat},{self.elev_m}{rot}"
        return f"{self.lon},{self.lat},{self.elev_m}{rot or ',0.0'}"

    @property
    def label(self) -> str:
        """``--anchor`` or ``--anchor-point``, as the user gave it."""
        return "--anchor-point" if self.model_point_m is not None else "--anchor"


def parse_anchor(value, *, path=None) -> Anchor:
    """Parse ``"LON,LAT[,ELEV[,ROT]]"`` (or a tuple / :class:`Anchor`) into an Anchor."""
    if value is None or isinstance(value, Anchor):
        return value
    if isinstance(value, dict) and value.get("model_point_m") is not None:
        return parse_anchor_point(value, path=path)  # the Import page's anchor point
    if isinstance(value, dict):
        return Anchor(float(value["lon"]), float(value["lat"]), float(value.get("elev_m", 0)),
                      float(value.get("rotation_deg", 0)))
    parts = value.split(",") if isinstance(value, str) else list(value)
    try:
        nums = [float(p) for p in parts]
    except (TypeError, ValueError):
        nums = []
    if not 2 <= len(nums) <= 4 or not all(math.isfinite(n) for n in nums):
        raise GeoreferenceError(f"--anchor takes LON,LAT,ELEV,ROT, got {value!r}", path=path,
                                hint="for example --anchor 119.905,35.733,4.5,0")
    lon, lat = nums[0], nums[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise GeoreferenceError(f"--anchor lon/lat {lon},{lat} out of range (lon first)",
                                path=path, hint="give longitude first, then latitude")
    nums += [0.0] * (4 - len(nums))
    return Anchor(lon, lat, nums[2], nums[3])


def parse_anchor_point(value, *, path=None) -> Anchor | None:
    """Parse ``"X,Y,Z=LON,LAT,ELEV[,ROT]"``: the model point X, Y, Z (metres, in the
    model's own coordinates) sits at LON, LAT, ELEV. Without ROT the rotation is the
    file's true north (IfcGeometricRepresentationContext.TrueNorth; 0 when absent)."""
    if value is None or isinstance(value, Anchor):
        return value
    if isinstance(value, dict):
        point = tuple(float(v) for v in value["model_point_m"])
        rot = value.get("rotation_deg")
        return Anchor(float(value["lon"]), float(value["lat"]), float(value.get("elev_m", 0)),
                      None if rot is None else float(rot), point)
    left, sep, right = str(value).partition("=")
    usage = GeoreferenceError(f"--anchor-point takes X,Y,Z=LON,LAT,ELEV[,ROT], got {value!r}",
                              path=path, hint="for example --anchor-point "
                                              "12.5,-3,0=119.905,35.733,4.5 (model metres = "
                                              "map position; ROT defaults to the file's true "
                                              "north)")
    try:
        point = [float(p) for p in left.split(",")]
        rest = [float(p) for p in right.split(",")]
    except ValueError:
        raise usage from None
    if not sep or len(point) not in (2, 3) or not 2 <= len(rest) <= 4 or not all(
            math.isfinite(n) for n in point + rest):
        raise usage
    point += [0.0] * (3 - len(point))
    base = parse_anchor(",".join(str(v) for v in rest[:3]), path=path)
    rot = rest[3] if len(rest) == 4 else None
    return Anchor(base.lon, base.lat, base.elev_m, rot, tuple(point))


def local_tm_crs(lon: float, lat: float) -> CRS:
    """A transverse Mercator on WGS84 centred on ``lon, lat`` (true north = grid north there)."""
    return CRS.from_proj4(f"+proj=tmerc +lat_0={lat!r} +lon_0={lon!r} +k=1 +x_0=0 +y_0=0 "
                          "+datum=WGS84 +units=m +no_defs +type=crs")


@dataclass
class Placement:
    """One way of putting local model coordinates on the earth.

    ``helmert`` are the (effective) IfcMapConversion parameters, applied with
    :func:`ifcopenshell.util.geolocation.xyz2enh` to coordinates in *project units*
    (after subtracting ``local_offset`` and applying ``local_matrix``, a 4×4 matrix in
    project units: the inverse of the context's WorldCoordinateSystem for an
    IfcMapConversion, as :func:`ifcopenshell.util.geolocation.auto_xyz2enh` does); its
    result is in map units, turned into the CRS's native axis unit
    (``map_unit_to_m / crs_unit_to_m``) for pyproj and into metres for heights.
    """

    source: str
    crs: CRS
    crs_label: str
    helmert: tuple
    length_to_m: float
    map_unit_to_m: float
    crs_unit_to_m: float
    local_offset: tuple = (0.0, 0.0, 0.0)
    local_matrix: np.ndarray | None = None

    def local_to_map(self, x_m, y_m, z_m):
        """Local coordinates in metres → (E, N) in the map CRS's native units and height in
        metres."""
        import ifcopenshell.util.geolocation as geoloc

        ox, oy, oz = self.local_offset
        xp = np.asarray(x_m, dtype=float) / self.length_to_m - ox
        yp = np.asarray(y_m, dtype=float) / self.length_to_m - oy
        zp = np.asarray(z_m, dtype=float) / self.length_to_m - oz
        if self.local_matrix is not None:
            m = self.local_matrix
            xp, yp, zp = (m[0, 0] * xp + m[0, 1] * yp + m[0, 2] * zp + m[0, 3],
                          m[1, 0] * xp + m[1, 1] * yp + m[1, 2] * zp + m[1, 3],
                          m[2, 0] * xp + m[2, 1] * yp + m[2, 2] * zp + m[2, 3])
        e, n, h = geoloc.xyz2enh(xp, yp, zp, *self.helmert)
        k = self.map_unit_to_m / self.crs_unit_to_m
        return np.asarray(e) * k, np.asarray(n) * k, np.asarray(h) * self.map_unit_to_m

    def local_to(self, x_m, y_m, z_m, dst):
        """Local metres → ``dst`` CRS (x, y) and height in metres, exactly (per point)."""
        e, n, h = self.local_to_map(x_m, y_m, z_m)
        if parse_crs(dst) == self.crs:
            return e, n, h
        tx, ty = transformer(self.crs, dst).transform(e, n)
        return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float), h

    def lonlat(self, x_m=0.0, y_m=0.0, z_m=0.0):
        """WGS84 lon, lat and height (m) of a local point (the project origin by default)."""
        lon, lat, h = self.local_to(np.atleast_1d(x_m), np.atleast_1d(y_m),
                                    np.atleast_1d(z_m), WGS84)
        return float(lon[0]), float(lat[0]), float(h[0])

    def affine_to(self, dst, bounds_m, *, tolerance_m: float = 0.001):
        """Fit ``dst_xy = A @ [x, y, 1]`` over the local box ``bounds_m`` (minx, miny, maxx,
        maxy in local metres) from exact pyproj control points.

        Returns ``(A (2×3), z_scale, z_offset, max_residual_m)``; callers use the affine
        only when the residual is below ``tolerance_m`` and otherwise transform every point
        with :meth:`local_to`.
        """
        minx, miny, maxx, maxy = bounds_m
        pad = max(1.0, 0.01 * max(maxx - minx, maxy - miny))
        gx, gy = np.meshgrid(np.linspace(minx - pad, maxx + pad, 6),
                             np.linspace(miny - pad, maxy + pad, 6))
        gx, gy = gx.ravel(), gy.ravel()
        tx, ty, _ = self.local_to(gx, gy, np.zeros_like(gx), dst)
        design = np.column_stack([gx, gy, np.ones_like(gx)])
        coef_x, *_ = np.linalg.lstsq(design, tx, rcond=None)
        coef_y, *_ = np.linalg.lstsq(design, ty, rcond=None)
        matrix = np.vstack([coef_x, coef_y])
        # check on points between the control points, too
        cx = (gx[:-1] + gx[1:]) / 2
        cy = (gy[:-1] + gy[1:]) / 2
        ex, ey, _ = self.local_to(cx, cy, np.zeros_like(cx), dst)
        px = matrix[0, 0] * cx + matrix[0, 1] * cy + matrix[0, 2]
        py = matrix[1, 0] * cx + matrix[1, 1] * cy + matrix[1, 2]
        fit_x = design @ coef_x
        fit_y = design @ coef_y
        resid = max(float(np.max(np.hypot(px - ex, py - ey))),
                    float(np.max(np.hypot(fit_x - tx, fit_y - ty))))
        _, _, h0 = self.local_to_map(np.array([0.0]), np.array([0.0]), np.array([0.0]))
        _, _, h1 = self.local_to_map(np.array([0.0]), np.array([0.0]), np.array([1.0]))
        return matrix, float(h1[0] - h0[0]), float(h0[0]), resid

    def describe(self) -> dict:
        """A JSON-friendly description for reports."""
        names = ("eastings", "northings", "orthogonal_height", "x_axis_abscissa",
                 "x_axis_ordinate", "scale", "factor_x", "factor_y", "factor_z")
        return {"source": self.source, "crs": self.crs_label,
                "helmert": {k: float(v) for k, v in zip(names, self.helmert)},
                "rotation_deg": _rotation_deg(self.helmert),
                "map_unit_to_m": self.map_unit_to_m, "project_unit_to_m": self.length_to_m,
                "local_offset": list(self.local_offset),
                "local_matrix": None if self.local_matrix is None
                else np.round(self.local_matrix, 9).tolist()}


def _rotation_deg(helmert) -> float:
    """Grid rotation of the project's +X axis, degrees anticlockwise (IFC convention)."""
    return round(math.degrees(math.atan2(helmert[4], helmert[3])), 9)


def _helmert(e=0.0, n=0.0, h=0.0, xaa=1.0, xao=0.0, scale=1.0, fx=1.0, fy=1.0, fz=1.0):
    from ifcopenshell.util.geolocation import HelmertTransformation

    return HelmertTransformation(float(e), float(n), float(h), float(xaa), float(xao),
                                 float(scale), float(fx), float(fy), float(fz))


@dataclass
class GeorefDecision:
    """The outcome of :func:`resolve_georef`: the chosen placement (or None), what each
    source says, checks, contradictions and suggested fixes."""

    path: str
    units: ProjectUnits
    placement: Placement | None = None
    sources: dict = field(default_factory=dict)
    checks: list[dict] = field(default_factory=list)
    contradictions: list[dict] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    applied_fixes: list[str] = field(default_factory=list)
    error: GeoreferenceError | None = None
    anchor: Anchor | None = None
    overridden: list[dict] = field(default_factory=list)
    pinned: dict | None = None
    _file_sources: tuple = field(default=(), repr=False)
    _unreadable: list = field(default_factory=list, repr=False)

    def flag(self, code: str, message: str, level: str = "warning", **more) -> None:
        """Record a check result."""
        self.checks.append({"level": level, "code": code, "message": message, **more})

    def require(self) -> Placement:
        """The placement; raises the recorded :class:`GeoreferenceError` when there is none."""
        if self.error is not None:
            raise self.error
        if self.placement is None:
            raise GeoreferenceError(
                "the model has no georeferencing (no IfcMapConversion, no IfcSite "
                "RefLatitude/RefLongitude) and no anchor was given", path=self.path,
                hint="pass --anchor LON,LAT,ELEV,ROT (the project origin's position, "
                     "elevation in m, rotation of +Y clockwise from north in degrees) or "
                     "--anchor-point X,Y,Z=LON,LAT,ELEV (a known model point), or write one "
                     "into the file with `twin ifc georef FILE --anchor ... --write OUT.ifc`")
        return self.placement

    def to_dict(self) -> dict:
        """A JSON-friendly summary for the import report and the doctor."""
        out = {"source": self.placement.source if self.placement else None,
               "units": self.units.to_dict(), "sources": self.sources,
               "checks": self.checks, "contradictions": self.contradictions,
               "suggested_fixes": self.fixes, "applied_fixes": self.applied_fixes,
               "overridden": self.overridden, "pinned": self.pinned}
        if self.placement is not None:
            out["placement"] = self.placement.describe()
        if self.placement is not None and self.error is None:
            try:
                lon, lat, h = self.placement.lonlat()
                out["origin_lonlat"] = [round(lon, 8), round(lat, 8), round(h, 4)]
            except Exception:  # noqa: BLE001 - absurd placements give pyproj errors
                out["origin_lonlat"] = None
        if self.error is not None:
            out["error"] = str(self.error)
        return out


def _site(model):
    sites = model.by_type("IfcSite")
    return sites[0] if sites else None


def _dms(value) -> float | None:
    import ifcopenshell.util.geolocation as geoloc

    if not value:
        return None
    parts = [int(v) for v in value]
    while len(parts) < 4:
        parts.append(0)
    try:
        return geoloc.dms2dd(*parts[:4])
    except AssertionError:  # mixed signs: be lenient, take the sign of the degrees
        sign = -1 if parts[0] < 0 else 1
        return sign * geoloc.dms2dd(*[abs(p) for p in parts[:4]])


def _site_origin_project_units(site) -> tuple[float, float, float]:
    import ifcopenshell.util.placement as up

    if site is None or site.ObjectPlacement is None:
        return (0.0, 0.0, 0.0)
    try:
        m = up.get_local_placement(site.ObjectPlacement)
    except Exception:  # noqa: BLE001 - broken placements
        return (0.0, 0.0, 0.0)
    return (float(m[0, 3]), float(m[1, 3]), float(m[2, 3]))


def _crs_from_name(name, *, path, where: str) -> tuple[CRS, str]:
    text = (name or "").strip()
    m = _EPSG.match(text)
    if not m:
        raise GeoreferenceError(
            f"{where} Name {text!r} is not a valid EPSG code (IFC expects 'EPSG:NNNN')",
            path=path,
            hint="fix IfcProjectedCRS.Name (e.g. 'EPSG:4549') with `twin ifc georef`, or "
                 "pass --anchor LON,LAT,ELEV,ROT")
    code = f"EPSG:{int(m.group(1))}"
    try:
        crs = CRS.from_user_input(code)
    except Exception:  # noqa: BLE001 - pyproj CRSError
        raise GeoreferenceError(f"{where} Name {text!r}: {code} is not a known EPSG code",
                                path=path, hint="check the EPSG code with the surveyor"
                                ) from None
    if not crs.is_projected and not crs.is_geographic and not crs.is_compound:
        raise GeoreferenceError(f"{where} Name {text!r} is not a projected CRS", path=path)
    if crs.is_compound:
        crs = crs.sub_crs_list[0]
    return crs, code


def crs_unit_to_m(crs: CRS) -> float:
    """Metres per unit of the CRS's first axis (1.0 when unknown)."""
    try:
        return float(crs.axis_info[0].unit_conversion_factor) or 1.0
    except (IndexError, AttributeError):
        return 1.0


_KNOWN_RATIOS = {1000.0: "mm vs m", 0.001: "m vs mm", 0.3048: "ft vs m", 1 / 0.3048: "m vs ft",
                 304.8: "ft vs mm", 25.4: "in vs mm", 0.0254: "in vs m", 10.0: "cm vs mm",
                 100.0: "cm vs m", 0.01: "m vs cm", 12.0: "ft vs in"}


def context_wcs(model) -> np.ndarray | None:
    """The model context's WorldCoordinateSystem as a 4×4 matrix in project units, or None
    when it is missing or the identity."""
    import ifcopenshell.util.geolocation as geoloc

    try:
        wcs = geoloc.get_wcs(model)
    except Exception:  # noqa: BLE001 - a malformed placement: treated as missing
        return None
    if wcs is None or np.allclose(wcs, np.eye(4), atol=1e-9):
        return None
    return np.asarray(wcs, dtype=float)


def check_upright(wcs: np.ndarray, *, path=None) -> None:
    """Refuse a tilted WorldCoordinateSystem (its Z axis not vertical)."""
    if not np.allclose(wcs[:3, 2], (0.0, 0.0, 1.0), atol=1e-9):
        raise GeoreferenceError(
            "the model context's WorldCoordinateSystem is tilted (its Z axis is "
            f"{np.round(wcs[:3, 2], 6).tolist()}), which twin cannot place", path=path,
            hint="export the model with an upright WorldCoordinateSystem, or pass --anchor")


def _wcs_pre_transform(model, units: ProjectUnits, decision: GeorefDecision, *, path,
                       source: str) -> np.ndarray | None:
    """The inverse WorldCoordinateSystem to apply before ``source``'s Helmert transform,
    with a check recording it; a tilted one is refused."""
    wcs = context_wcs(model)
    if wcs is None:
        return None
    check_upright(wcs, path=path)
    loc = wcs[:3, 3] * units.length_to_m
    turn = math.degrees(math.atan2(wcs[1, 0], wcs[0, 0]))
    decision.flag("world_coordinate_system",
                  f"the model context's WorldCoordinateSystem is at x {loc[0]:.3f}, "
                  f"y {loc[1]:.3f}, z {loc[2]:.3f} m, turned {turn:.3f}°: {source} is "
                  "applied relative to it (as ifcopenshell.util.geolocation does); tools "
                  "that ignore it place the model off by that much", level="warning",
                  offset_m=[round(float(v), 6) for v in loc], rotation_deg=round(turn, 9))
    return np.linalg.inv(wcs)


def _map_conversion(model, units: ProjectUnits, decision: GeorefDecision, *, path,
                    fix_scale: bool) -> Placement | None:
    import ifcopenshell.util.element as ue
    import ifcopenshell.util.geolocation as geoloc

    if not model.by_type("IfcProject"):
        return None  # no project, no map conversion
    try:
        params = geoloc.get_helmert_transformation_parameters(model)
    except (AssertionError, AttributeError, TypeError, IndexError) as exc:
        ops = model.by_type("IfcCoordinateOperation") if model.schema != "IFC2X3" else []
        kind = ops[0].is_a() if ops else "ePSet_MapConversion"
        raise GeoreferenceError(f"cannot read the {kind} ({type(exc).__name__}: {exc})",
                                path=path, hint="write a plain IfcMapConversion with `twin "
                                                "ifc georef`, or pass --anchor") from None
    if params is None:
        return None
    if model.schema == "IFC2X3":
        source = "ePSet_MapConversion"
        project = model.by_type("IfcProject")[0]
        raw = ue.get_pset(project, "ePSet_MapConversion") or {}
        crs_info = ue.get_pset(project, "ePSet_ProjectedCRS") or {}
        raw_scale = raw.get("Scale")
        map_unit = None
        map_unit_text = crs_info.get("MapUnit")
        where = "ePSet_ProjectedCRS"
    else:
        source = "IfcMapConversion"
        op = model.by_type("IfcCoordinateOperation")[0]
        raw_scale = getattr(op, "Scale", None)
        target = getattr(op, "TargetCRS", None)
        crs_info = {"Name": getattr(target, "Name", None)}
        map_unit = getattr(target, "MapUnit", None) if target is not None else None
        map_unit_text = unit_label(map_unit) if map_unit is not None else None
        where = "IfcProjectedCRS"
        if target is None or not target.is_a("IfcProjectedCRS"):
            raise GeoreferenceError(f"{op.is_a()} has no IfcProjectedCRS target", path=path,
                                    hint="pass --anchor LON,LAT,ELEV,ROT")
    crs, code = _crs_from_name(crs_info.get("Name"), path=path, where=where)
    crs_unit = crs_unit_to_m(crs)
    if map_unit is not None:
        map_to_m = unit_to_metres(map_unit) or crs_unit
    elif isinstance(map_unit_text, str) and map_unit_text:
        map_to_m = {"METRE": 1.0, "MILLIMETRE": 0.001, "FOOT": 0.3048,
                    "US SURVEY FOOT": 1200 / 3937}.get(map_unit_text.upper().strip(), crs_unit)
    else:
        map_to_m = crs_unit
    helmert = list(params)
    info = {"crs": code, "eastings": float(params.e), "northings": float(params.n),
            "orthogonal_height": float(params.h), "x_axis_abscissa": float(params.xaa),
            "x_axis_ordinate": float(params.xao), "scale": None if raw_scale is None
            else float(raw_scale), "map_unit": map_unit_text or f"(none: CRS unit, {crs_unit} m)",
            "map_unit_to_m": map_to_m, "rotation_deg": _rotation_deg(params)}
    decision.sources[source] = info
    # Scale check: local (project unit) * Scale = map unit
    expected = units.length_to_m / map_to_m
    given = float(raw_scale) if raw_scale is not None else 1.0
    ratio = given / expected if expected else float("nan")
    scale_ok = math.isfinite(ratio) and 0.99 <= ratio <= 1.01
    if not scale_ok:
        known = next((label for r, label in _KNOWN_RATIOS.items()
                      if math.isclose(ratio, r, rel_tol=0.01)), None)
        msg = (f"Scale {'is missing (1.0)' if raw_scale is None else given} but the project "
               f"unit is {units.length_name} ({units.length_to_m} m) and the map unit "
               f"{map_to_m} m: expected Scale {expected:g}"
               + (f" — a {ratio:g}× mismatch ({known})" if known else f" ({ratio:g}×)"))
        decision.flag("scale_mismatch", msg, expected_scale=expected, given_scale=given,
                      ratio=ratio)
        decision.fixes.append(f"use Scale {expected:g} (re-run with --fix-scale)")
        if fix_scale:
            helmert[5] = expected
            decision.applied_fixes.append(f"Scale {given:g} → {expected:g}")
        # Eastings/Northings written in project units instead of map units?
        e_m, n_m = params.e * map_to_m / crs_unit, params.n * map_to_m / crs_unit
        e_fix, n_fix = e_m / ratio, n_m / ratio
        if (not bounds_in_area_of_use(crs, (e_m, n_m, e_m, n_m))
                and bounds_in_area_of_use(crs, (e_fix, n_fix, e_fix, n_fix))):
            decision.flag("eastings_in_project_units",
                          f"Eastings/Northings {params.e:g}/{params.n:g} lie outside {code}; "
                          f"divided by {ratio:g} they fall inside it: they look like "
                          f"{units.length_name} values, not map units",
                          eastings_fixed=params.e / ratio, northings_fixed=params.n / ratio)
            decision.fixes.append(f"divide Eastings/Northings/OrthogonalHeight by {ratio:g} "
                                  "(re-run with --fix-scale)")
            if fix_scale:
                helmert[0], helmert[1], helmert[2] = (params.e / ratio, params.n / ratio,
                                                      params.h / ratio)
                decision.applied_fixes.append(
                    f"Eastings/Northings/OrthogonalHeight divided by {ratio:g}")
    elif raw_scale is None and units.length_to_m != map_to_m:
        decision.flag("scale_implicit", "Scale is missing but units agree", level="info")
    return Placement(source=source, crs=crs, crs_label=code, helmert=_helmert(*helmert),
                     local_matrix=_wcs_pre_transform(model, units, decision, path=path,
                                                     source=source),
                     length_to_m=units.length_to_m, map_unit_to_m=map_to_m,
                     crs_unit_to_m=crs_unit)


def latlon_placement(lon, lat, elev_m, rotation_deg, units: ProjectUnits, *, source: str,
                      offset=(0.0, 0.0, 0.0)) -> Placement:
    """A placement putting local point ``offset`` (project units) at lon/lat, ``elev_m``,
    with the model's +Y at azimuth ``rotation_deg`` (clockwise from true north)."""
    import ifcopenshell.util.geolocation as geoloc

    xaa, xao = geoloc.angle2xaxis(float(rotation_deg))
    crs = local_tm_crs(lon, lat)
    return Placement(source=source, crs=crs, crs_label=f"local TM at {lon:.7f},{lat:.7f}",
                     helmert=_helmert(0.0, 0.0, elev_m, xaa, xao, units.length_to_m),
                     length_to_m=units.length_to_m, map_unit_to_m=1.0, crs_unit_to_m=1.0,
                     local_offset=tuple(float(v) for v in offset))


def _site_latlon(model, units: ProjectUnits, decision: GeorefDecision) -> Placement | None:
    import ifcopenshell.util.geolocation as geoloc

    site = _site(model)
    if site is None:
        return None
    lat = _dms(getattr(site, "RefLatitude", None))
    lon = _dms(getattr(site, "RefLongitude", None))
    if lat is None or lon is None:
        return None
    elev = float(getattr(site, "RefElevation", None) or 0.0) * units.length_to_m
    true_north = float(geoloc.get_true_north(model) or 0.0)
    info = {"lat": lat, "lon": lon, "elev_m": elev, "true_north_deg": true_north,
            "site": site.GlobalId}
    decision.sources["IfcSite.RefLatitude"] = info
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        decision.flag("site_latlon_range", f"IfcSite RefLatitude/RefLongitude {lat},{lon} "
                      "are out of range", level="error")
        return None
    if lat == 0 and lon == 0:
        decision.flag("site_latlon_zero", "IfcSite RefLatitude/RefLongitude are 0,0 "
                      "(an authoring-tool default, not a position)", level="info")
        return None
    offset = _site_origin_project_units(site)
    return latlon_placement(lon, lat, elev, true_north, units, source="IfcSite.RefLatitude",
                             offset=offset)


def anchor_placement(model, anchor: Anchor, units: ProjectUnits, *,
                     pin_m=None) -> Placement:
    """The placement an anchor asks for: its model point (``anchor.model_point_m``, or
    ``pin_m``, or the project origin) at its lon/lat and elevation, +Y at its rotation
    (the file's true north when the rotation is None)."""
    import ifcopenshell.util.geolocation as geoloc

    rotation = anchor.rotation_deg
    if rotation is None:
        try:
            rotation = float(geoloc.get_true_north(model) or 0.0)
        except Exception:  # noqa: BLE001 - a malformed TrueNorth counts as none
            rotation = 0.0
    point = anchor.model_point_m if anchor.model_point_m is not None else pin_m
    offset = (0.0, 0.0, 0.0) if point is None else tuple(
        float(v) / units.length_to_m for v in point)
    source = "anchor point" if anchor.model_point_m is not None else "anchor"
    return latlon_placement(anchor.lon, anchor.lat, anchor.elev_m, rotation, units,
                             source=source, offset=offset)


def _describe_source(placement: Placement) -> str:
    if placement.source in ("IfcMapConversion", "ePSet_MapConversion"):
        return f"{placement.source} ({placement.crs_label})"
    return placement.source


def _record_overrides(decision: GeorefDecision, anchor: Anchor, chosen: Placement,
                      file_sources, unreadable, units: ProjectUnits) -> None:
    """Name what the anchor overrides: each file georeference with its position of the
    anchored model point, the anchor's, and the distance between them."""
    decision.overridden = []
    point = anchor.model_point_m or (decision.pinned or {}).get("model_point_m") or (0, 0, 0)
    point = tuple(float(v) for v in point)
    for placement in file_sources:
        if placement is None:
            continue
        entry = {"source": _describe_source(placement), "model_point_m": list(point),
                 "anchor_lonlat": [round(anchor.lon, 8), round(anchor.lat, 8)]}
        try:
            lon, lat, _ = placement.lonlat(*point)
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
                    and -90 <= lat <= 90):
                raise ValueError("no position")
            _, _, dist = _GEOD.inv(lon, lat, anchor.lon, anchor.lat)
            entry.update(file_lonlat=[round(lon, 8), round(lat, 8)],
                         distance_m=round(float(dist), 3))
            entry["message"] = (f"{anchor.label} overrides the file's {entry['source']}, "
                                f"which puts that point at lon {lon:.6f}, lat {lat:.6f}; the "
                                f"anchor puts it at lon {anchor.lon:.6f}, lat "
                                f"{anchor.lat:.6f}, {_km(dist)} away")
        except Exception:  # noqa: BLE001 - pyproj fails on absurd positions
            entry.update(file_lonlat=None, distance_m=None)
            entry["message"] = (f"{anchor.label} overrides the file's {entry['source']}, "
                                "which gives no valid position")
        decision.overridden.append(entry)
    for name, exc in unreadable:
        decision.overridden.append({"source": name, "file_lonlat": None, "distance_m": None,
                                    "error": str(exc),
                                    "message": f"{anchor.label} overrides the file's "
                                               f"unusable {name} ({exc.message})"})
    for entry in decision.overridden:
        decision.flag("anchor_overrides", entry["message"], level="warning")


def _km(metres: float) -> str:
    return f"{metres / 1000:,.3f} km" if metres >= 1000 else f"{metres:.2f} m"


def repin_anchor(decision: GeorefDecision, model, local_box_m) -> bool:
    """When a plain ``--anchor`` pins the project origin but the elements sit more than
    :data:`FAR_FROM_ORIGIN_M` from it (``local_box_m``: their local minx, miny, maxx, maxy
    in metres), pin the elements' centre instead and say so. Returns True when it did."""
    anchor = decision.anchor
    if anchor is None or anchor.model_point_m is not None or local_box_m is None:
        return False
    minx, miny, maxx, maxy = (float(v) for v in local_box_m)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return False
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    far = math.hypot(cx, cy)
    if far <= FAR_FROM_ORIGIN_M:
        return False
    if decision.pinned and math.hypot(cx - decision.pinned["model_point_m"][0],
                                      cy - decision.pinned["model_point_m"][1]) < 1.0:
        return False
    pin = (round(cx, 3), round(cy, 3), 0.0)
    decision.pinned = {"model_point_m": list(pin), "distance_from_origin_m": round(far, 3),
                       "message": f"the elements sit {_km(far)} from the project origin "
                                  f"(their centre at model x {cx:.3f}, y {cy:.3f} m): "
                                  "--anchor places that centre, not the origin; use "
                                  "--anchor-point X,Y,Z=LON,LAT,ELEV to pin a known point"}
    decision.checks = [c for c in decision.checks if c["code"] not in ("anchor_overrides",
                                                                        "anchor_pins_elements")]
    decision.flag("anchor_pins_elements", decision.pinned["message"], level="warning")
    decision.placement = anchor_placement(model, anchor, decision.units, pin_m=pin)
    _record_overrides(decision, anchor, decision.placement, decision._file_sources,
                      decision._unreadable, decision.units)
    return True


def resolve_georef(model, *, path=None, anchor=None, anchor_point=None,
                   fix_scale: bool = False, tolerance_m: float = DEFAULT_TOLERANCE_M,
                   local_box_m=None) -> GeorefDecision:
    """Decide where ``model`` is: see the module docstring for the order and the checks.

    A user's ``anchor`` (``LON,LAT,ELEV,ROT``) or ``anchor_point``
    (``X,Y,Z=LON,LAT,ELEV[,ROT]``) always wins over the file's georeferencing, which is
    then named in ``overridden`` with both positions and their distance. ``local_box_m``
    (the elements' local extent in metres, when known) lets a plain anchor pin the
    elements instead of a far-away project origin (see :func:`repin_anchor`).

    Never raises for a missing georeference: :meth:`GeorefDecision.require` does. An
    invalid EPSG name raises :class:`GeoreferenceError` at once, unless an anchor
    overrides it.
    """
    units = project_units(model)
    decision = GeorefDecision(path=str(path) if path else "", units=units)
    anchor = parse_anchor(anchor, path=path)
    if anchor_point is not None:
        if anchor is not None:
            raise GeoreferenceError("give --anchor or --anchor-point, not both", path=path,
                                    hint="--anchor-point X,Y,Z=LON,LAT,ELEV pins a model "
                                         "point; --anchor pins the project origin")
        anchor = parse_anchor_point(anchor_point, path=path)
    decision.anchor = anchor
    unreadable = []
    try:
        map_placement = _map_conversion(model, units, decision, path=path, fix_scale=fix_scale)
    except GeoreferenceError as exc:
        if anchor is None:
            raise
        map_placement = None
        kind = ("ePSet_MapConversion" if model.schema == "IFC2X3" else "IfcMapConversion")
        unreadable.append((kind, exc))
    site_placement = _site_latlon(model, units, decision)
    decision._file_sources = (map_placement, site_placement)
    decision._unreadable = unreadable
    anchor_placement_ = None
    if anchor is not None:
        anchor_placement_ = anchor_placement(model, anchor, units)
        decision.sources["anchor"] = {"lon": anchor.lon, "lat": anchor.lat,
                                      "elev_m": anchor.elev_m,
                                      "rotation_deg": anchor.rotation_deg,
                                      "model_point_m": None if anchor.model_point_m is None
                                      else list(anchor.model_point_m)}
    chosen = anchor_placement_ or map_placement or site_placement
    decision.placement = chosen
    if chosen is None:
        return decision
    if anchor_placement_ is not None:
        if not repin_anchor(decision, model, local_box_m):
            _record_overrides(decision, anchor, chosen, (map_placement, site_placement),
                              unreadable, units)
        chosen = decision.placement
    # where is the origin?
    site = _site(model)
    probe = np.array(_site_origin_project_units(site)) * units.length_to_m
    try:
        origin = chosen.lonlat(*probe)
        finite = all(math.isfinite(v) for v in origin) and -180 <= origin[0] <= 180 \
            and -90 <= origin[1] <= 90
    except Exception:  # noqa: BLE001 - pyproj fails on absurd input
        origin, finite = None, False
    if chosen is map_placement:
        e, n, _ = chosen.local_to_map(*probe)
        inside = finite and bounds_in_area_of_use(chosen.crs, (float(e), float(n), float(e),
                                                               float(n)))
        if not inside:
            decision.flag("origin_outside_crs",
                          f"{chosen.source} puts the site origin at E {float(e):.3f} "
                          f"N {float(n):.3f}, outside the area of use of {chosen.crs_label}",
                          level="error" if not finite else "warning")
        if not inside and any(c["code"] == "scale_mismatch" for c in decision.checks) \
                and not fix_scale:
            decision.error = GeoreferenceError(
                f"{chosen.source} places the model at an impossible position (E "
                f"{float(e):.1f}, N {float(n):.1f} in {chosen.crs_label}): "
                + "; ".join(c["message"] for c in decision.checks
                            if c["code"] in ("scale_mismatch", "eastings_in_project_units")),
                path=path, hint="re-run with --fix-scale to apply the expected Scale, or "
                                "give --anchor LON,LAT,ELEV,ROT")
    # contradictions between sources
    positions = []
    for placement in (map_placement, site_placement):
        if placement is None or (placement is map_placement and decision.error is not None):
            continue
        try:
            lon, lat, _ = placement.lonlat(*probe)
        except Exception:  # noqa: BLE001
            continue
        if math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 \
                and -90 <= lat <= 90:
            positions.append((placement.source, lon, lat))
    for i in range(len(positions)):
        for j in range(i + 1, len(positions)):
            (sa, lona, lata), (sb, lonb, latb) = positions[i], positions[j]
            _, _, dist = _GEOD.inv(lona, lata, lonb, latb)
            if dist > tolerance_m:
                decision.contradictions.append({
                    "a": sa, "a_lonlat": [round(lona, 7), round(lata, 7)],
                    "b": sb, "b_lonlat": [round(lonb, 7), round(latb, 7)],
                    "distance_m": round(float(dist), 2), "tolerance_m": tolerance_m,
                    "used": chosen.source,
                    "message": f"{sa} puts the site at {lona:.6f},{lata:.6f} but {sb} at "
                               f"{lonb:.6f},{latb:.6f}: {dist / 1000:.3f} km apart; "
                               f"{chosen.source} is used"})
    if decision.contradictions:
        decision.fixes.append("check which position is right; fix the wrong one in the "
                              "authoring tool, or write a consistent IfcMapConversion with "
                              "`twin ifc georef`")
    return decision
