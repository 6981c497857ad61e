"""How each edit changes the in-memory layers of a :class:`~twin.scenario.view.LayerView`.

One function per edit type, found by the edit's ``op`` in :data:`APPLIERS`. Each one
replaces the frames it changes with new ones (it never mutates a frame in place, so views
never share a change) and logs a :class:`~twin.scenario.view.Change` per feature touched.
An edit whose target id does not exist raises a :class:`ScenarioError` naming the edit's
number and type.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.validation import explain_validity

from ..crs import parse_crs, transform_xy, working_crs
from ..errors import ScenarioError, TwinError
from ..io.report import file_sha256
from ..kinds import conform, get_kind
from ..store.base import Store
from .model import (
    AddBuilding,
    AddFacility,
    AddIfc,
    AddRoad,
    Edit,
    FloodLevel,
    RemoveBuilding,
    RiverBuffer,
    SetBuilding,
    SetParcel,
)
from .view import CHANGE_COLUMN, Change, LayerView

__all__ = ["APPLIERS", "apply_edit", "FLOOR_HEIGHT_M", "where_of", "read_ifc_proposal"]

FLOOR_HEIGHT_M = 3.0


def where_of(edit: Edit, index: int) -> str:
    """How errors name an edit: ``edit 3 (set_building id=B7)``."""
    target = getattr(edit, "id", None) or getattr(edit, "river", None)
    return f"edit {index} ({edit.op}{' ' + str(target) if target else ''})"


# -- helpers ----------------------------------------------------------------------------------
def _to_working(points, crs: str, where: str) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    try:
        src = parse_crs(crs)
    except TwinError as exc:
        raise ScenarioError(exc.message, where=where) from None
    dst = working_crs()
    if src != dst:
        x, y = transform_xy(pts[:, 0], pts[:, 1], src, dst)
        pts = np.column_stack([x, y])
    if not np.all(np.isfinite(pts)):
        raise ScenarioError(f"coordinates do not transform from {crs} to the working CRS",
                            where=where, hint="lon/lat need crs=EPSG:4326, metres crs=EPSG:4549")
    return pts


def _find(view: LayerView, kind: str, fid: str, edit: Edit, index: int) -> list[tuple[str, np.ndarray]]:
    """``[(layer, boolean mask)]`` of the rows of ``kind`` whose id is ``fid``; none is an error."""
    id_col = get_kind(kind).id_column
    hits = []
    for layer in view.layers_of_kind(kind):
        frame = view.data[layer]
        if isinstance(frame, (bytes, bytearray)) or id_col not in frame.columns:
            continue
        mask = (frame[id_col].astype("string") == str(fid)).fillna(False).to_numpy(dtype=bool)
        if mask.any():
            hits.append((layer, mask))
    if not hits:
        raise ScenarioError(f"no {kind} with id {fid!r} (it may have been removed or renamed)",
                            where=where_of(edit, index),
                            hint=f"check the id in the {kind} layers, or remove this edit")
    return hits


def _id_taken(view: LayerView, kind: str, fid: str) -> bool:
    id_col = get_kind(kind).id_column
    for layer in view.layers_of_kind(kind):
        frame = view.data[layer]
        if isinstance(frame, (bytes, bytearray)) or id_col not in frame.columns:
            continue
        if (frame[id_col].astype("string") == fid).fillna(False).any():
            return True
    return False


def _append(view: LayerView, kind: str, rows: gpd.GeoDataFrame) -> str:
    """Append ``rows`` (already conformed, working CRS) to the primary layer of ``kind``."""
    layer = view.primary_layer(kind)
    frame = view.data[layer]
    rows = rows.copy()
    rows[CHANGE_COLUMN] = "added"
    if CHANGE_COLUMN not in frame.columns:
        frame = frame.assign(**{CHANGE_COLUMN: pd.Series(pd.NA, index=frame.index, dtype="string")})
    rows = rows.drop(columns=["layer"], errors="ignore")
    if len(frame) == 0:
        out = rows.reindex(columns=list(dict.fromkeys([*frame.columns, *rows.columns])))
    else:
        out = pd.concat([frame, rows], ignore_index=True)
    if isinstance(frame, gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry=frame.geometry.name, crs=frame.crs)
    for col in get_kind(kind).columns:  # keep the kind's dtypes after concat
        if col.name in frame.columns and col.name in out.columns and len(frame):
            out[col.name] = out[col.name].astype(frame[col.name].dtype, errors="ignore")
    out[CHANGE_COLUMN] = out[CHANGE_COLUMN].astype("string")
    view.data[layer] = out
    return layer


def _new_rows(kind: str, records: list[dict], geoms: list) -> gpd.GeoDataFrame:
    frame, _ = conform(pd.DataFrame(records), kind)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=working_crs()).values,
                            crs=working_crs())


def _set_values(view: LayerView, kind: str, fid: str, values: dict, edit: Edit, index: int,
                compute: Callable | None = None) -> None:
    """Set ``values`` on the rows of ``kind`` with id ``fid`` and log them as changed."""
    for layer, mask in _find(view, kind, fid, edit, index):
        frame = view.data[layer].copy()
        if CHANGE_COLUMN not in frame.columns:
            frame[CHANGE_COLUMN] = pd.Series(pd.NA, index=frame.index, dtype="string")
        idx = frame.index[mask]
        for col, value in values.items():
            if col in frame.columns:
                frame.loc[idx, col] = value
            else:
                frame[col] = pd.NA
                frame.loc[idx, col] = value
        if compute is not None:
            compute(frame, idx)
        frame.loc[idx, CHANGE_COLUMN] = frame.loc[idx, CHANGE_COLUMN].fillna("changed")
        view.data[layer] = frame
        geom = frame.geometry.loc[idx].iloc[0] if isinstance(frame, gpd.GeoDataFrame) else None
        view.changes.append(Change(index, edit.op, kind, layer, str(fid), "changed", geom,
                                   {k: _plain(v) for k, v in values.items()}))


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def sample_terrain(tif: bytes | None, x: float, y: float) -> float | None:
    """The terrain elevation at working-CRS ``(x, y)``, or ``None`` outside or without DEM."""
    if not tif:
        return None
    import rasterio

    with rasterio.MemoryFile(io.BytesIO(tif)) as mem, mem.open() as ds:
        row, col = ds.index(x, y)
        if not (0 <= row < ds.height and 0 <= col < ds.width):
            return None
        value = ds.read(1, window=((row, row + 1), (col, col + 1)))[0, 0]
        if ds.nodata is not None and value == ds.nodata:
            return None
        return float(value) if np.isfinite(value) else None


# -- the edits --------------------------------------------------------------------------------
def _add_building(view: LayerView, edit: AddBuilding, index: int) -> None:
    where = where_of(edit, index)
    if len(edit.footprint) < 3:
        raise ScenarioError("a footprint needs at least 3 points", where=where)
    pts = _to_working(edit.footprint, edit.crs, where)
    poly = Polygon(pts)
    if not poly.is_valid or poly.area <= 0:
        raise ScenarioError(f"the footprint is not a valid polygon ({explain_validity(poly)})",
                            where=where, hint="give the corners in order, without crossings")
    poly = shapely.orient_polygons(poly)  # counter-clockwise shell, whatever was drawn
    height, floors = edit.height_m, edit.floors
    if height is None and floors is None:
        raise ScenarioError("give height_m or floors", where=where)
    if height is not None and float(height) <= 0:
        raise ScenarioError(f"height_m must be positive, got {height}", where=where)
    if floors is None:
        floors = max(1, int(round(float(height) / FLOOR_HEIGHT_M)))
    if height is None:
        height = float(floors) * FLOOR_HEIGHT_M
    fid = edit.id or f"new-{index + 1}"
    if _id_taken(view, "building", fid):
        raise ScenarioError(f"a building with id {fid!r} already exists", where=where,
                            hint="give another id=")
    base = edit.base_elev_m
    if base is None:
        c = poly.centroid
        base = sample_terrain(view.terrain(), c.x, c.y)
    record = {"id": fid, "name": edit.name or fid, "use": edit.use, "height_m": float(height),
              "floors": int(floors), "base_elev_m": base, "gfa_m2": float(floors) * poly.area,
              "source": f"scenario:{view.name}", "ifc_guid": None}
    layer = _append(view, "building", _new_rows("building", [record], [poly]))
    view.changes.append(Change(index, edit.op, "building", layer, fid, "added", poly,
                               {"height_m": float(height), "floors": int(floors),
                                "use": edit.use}))


def _remove_building(view: LayerView, edit: RemoveBuilding, index: int) -> None:
    for layer, mask in _find(view, "building", edit.id, edit, index):
        frame = view.data[layer]
        geom = frame.geometry[mask].iloc[0]
        view.data[layer] = frame.loc[~mask].reset_index(drop=True)
        view.changes.append(Change(index, edit.op, "building", layer, str(edit.id), "removed",
                                   geom))
    for layer in view.layers_of_kind("bim_element"):
        frame = view.data[layer]
        if "building_id" in frame.columns:
            keep = ~(frame["building_id"].astype("string") == str(edit.id)).fillna(False)
            if not keep.all():
                view.data[layer] = frame.loc[keep.to_numpy()].reset_index(drop=True)


def _set_building(view: LayerView, edit: SetBuilding, index: int) -> None:
    values = {k: getattr(edit, k) for k in ("height_m", "floors", "use", "name")
              if getattr(edit, k) is not None}
    if not values:
        raise ScenarioError("nothing to change: give height_m, floors, use or name",
                            where=where_of(edit, index))
    if "floors" in values:
        values["floors"] = int(values["floors"])
    if "height_m" in values:
        values["height_m"] = float(values["height_m"])

    def recompute(frame, idx):
        # Floors drive the LOD1 floor area: scale the recorded GFA, or floors x footprint.
        if edit.floors is None or "gfa_m2" not in frame.columns:
            return
        area = frame.geometry.loc[idx].area
        frame.loc[idx, "gfa_m2"] = (area * float(edit.floors)).to_numpy()

    _set_values(view, "building", edit.id, values, edit, index, recompute)


def _set_parcel(view: LayerView, edit: SetParcel, index: int) -> None:
    values = {k: getattr(edit, k) for k in ("land_use", "max_far", "max_density",
                                            "max_height_m", "min_green_ratio")
              if getattr(edit, k) is not None}
    if not values:
        raise ScenarioError("nothing to change: give land_use, max_far, max_density, "
                            "max_height_m or min_green_ratio", where=where_of(edit, index))
    for k in list(values):
        if k != "land_use":
            values[k] = float(values[k])
    _set_values(view, "parcel", edit.id, values, edit, index)


def _add_road(view: LayerView, edit: AddRoad, index: int) -> None:
    where = where_of(edit, index)
    if len(edit.coords) < 2:
        raise ScenarioError("a road needs at least 2 points", where=where)
    line = LineString(_to_working(edit.coords, edit.crs, where))
    if line.length <= 0:
        raise ScenarioError("the road has zero length", where=where)
    fid = edit.id or f"new-road-{index + 1}"
    if _id_taken(view, "road", fid):
        raise ScenarioError(f"a road with id {fid!r} already exists", where=where)
    record = {"id": fid, "name": edit.name or fid, "road_class": edit.road_class,
              "width_m": float(edit.width_m)}
    layer = _append(view, "road", _new_rows("road", [record], [line]))
    view.changes.append(Change(index, edit.op, "road", layer, fid, "added", line,
                               {"width_m": float(edit.width_m)}))


def _river_buffer(view: LayerView, edit: RiverBuffer, index: int) -> None:
    if float(edit.distance_m) < 0:
        raise ScenarioError(f"distance_m must be >= 0, got {edit.distance_m}",
                            where=where_of(edit, index))
    _set_values(view, "river", edit.river, {"setback_m": float(edit.distance_m)}, edit, index)


def _flood_level(view: LayerView, edit: FloodLevel, index: int) -> None:
    level = float(edit.level_m)
    if not np.isfinite(level):
        raise ScenarioError(f"level_m must be a number, got {edit.level_m}",
                            where=where_of(edit, index))
    view.params.setdefault("flood", {})["level_m"] = level
    view.changes.append(Change(index, edit.op, "param", "flood", "level_m", "changed", None,
                               {"level_m": level}))


def _add_facility(view: LayerView, edit: AddFacility, index: int) -> None:
    where = where_of(edit, index)
    pt = _to_working([(edit.x, edit.y)], edit.crs, where)[0]
    fid = edit.id or f"new-facility-{index + 1}"
    if _id_taken(view, "facility", fid):
        raise ScenarioError(f"a facility with id {fid!r} already exists", where=where)
    record = {"id": fid, "name": edit.name or fid, "kind": edit.kind, "capacity": edit.capacity}
    point = Point(pt)
    layer = _append(view, "facility", _new_rows("facility", [record], [point]))
    view.changes.append(Change(index, edit.op, "facility", layer, fid, "added", point,
                               {"kind": edit.kind}))


_IFC_CACHE: dict[tuple, list] = {}


def read_ifc_proposal(path, *, anchor=None, building_id=None, sha256: str | None = None):
    """Read an IFC file with the importer's reader WITHOUT committing; returns its layers.

    Results are cached by the file's content hash (``sha256`` when the caller has it) and
    the options, so re-applying a scenario does not re-read the file.
    """
    from ..importer import read_file

    path = Path(path)
    key = (sha256 or file_sha256(path), anchor, building_id)
    if key not in _IFC_CACHE:
        options = {}
        if anchor:
            options["anchor"] = anchor
        if building_id:
            options["building_id"] = building_id
        result = read_file(path, **options)
        if len(_IFC_CACHE) > 8:
            _IFC_CACHE.clear()
        _IFC_CACHE[key] = [(ld.kind, ld.data) for ld in result.layers]
    return [(kind, data.copy() if hasattr(data, "copy") else data) for kind, data in _IFC_CACHE[key]]


def _proposal_file(view: LayerView, edit: AddIfc) -> Path | None:
    """The IFC file of ``edit``: where it says, else the base store's attachment with its
    sha256 (an uploaded proposal travels with the twin, ``twin store copy`` included)."""
    path = Path(edit.path)
    if path.is_file():
        return path
    store = view.base
    if edit.sha256 and isinstance(store, Store):
        key = store.find_attachment(edit.sha256)
        if key is not None:
            return store.attachment_path(key)
    return None


def _add_ifc(view: LayerView, edit: AddIfc, index: int) -> None:
    where = where_of(edit, index)
    path = _proposal_file(view, edit)
    if path is None:
        raise ScenarioError(f"IFC file {edit.path!r} not found", where=where,
                            hint="keep the file where the scenario says, or add it again")
    digest = file_sha256(path)  # streamed: IFC files run to hundreds of MB
    if edit.sha256:
        if digest != edit.sha256:
            raise ScenarioError(f"IFC file {edit.path!r} changed since it was added "
                                f"(sha256 {digest[:12]} ≠ {edit.sha256[:12]})", where=where,
                                hint="add it again to propose the new version")
    try:
        layers = read_ifc_proposal(path, anchor=edit.anchor, building_id=edit.id,
                                   sha256=digest)
    except TwinError as exc:
        raise ScenarioError(str(exc), where=where) from None
    buildings = [data for kind, data in layers if kind == "building"]
    if not buildings or not len(buildings[0]):
        raise ScenarioError(f"IFC file {edit.path!r} gave no building", where=where)
    ids = [str(v) for v in buildings[0]["id"]]
    rename = {}
    if edit.id and len(ids) == 1 and ids[0] != edit.id:
        rename[ids[0]] = edit.id
    for old in ids:
        new = rename.get(old, old)
        if _id_taken(view, "building", new):
            raise ScenarioError(f"a building with id {new!r} already exists", where=where,
                                hint="give the proposal another id=")
    for kind, data in layers:
        if isinstance(data, (bytes, bytearray)):
            continue
        data = data.copy()
        if rename:
            for col in ("id", "building_id"):
                if col in data.columns and (kind == "building" or col == "building_id"):
                    data[col] = data[col].astype("string").replace(rename)
        if kind in ("building", "bim_element", "storey", "facility"):
            if isinstance(data, gpd.GeoDataFrame):
                layer = _append(view, kind, data)
            else:
                layer = view.primary_layer(kind)
                view.data[layer] = pd.concat([view.data[layer], data], ignore_index=True)
            if kind == "building":
                for _, row in data.iterrows():
                    view.changes.append(Change(index, edit.op, "building", layer, str(row["id"]),
                                               "added", row.geometry,
                                               {"height_m": _plain(row.get("height_m")),
                                                "source": str(path.name)}))


APPLIERS: dict[str, Callable[[LayerView, Edit, int], None]] = {
    "add_building": _add_building,
    "remove_building": _remove_building,
    "set_building": _set_building,
    "set_parcel": _set_parcel,
    "add_road": _add_road,
    "river_buffer": _river_buffer,
    "flood_level": _flood_level,
    "add_facility": _add_facility,
    "add_ifc": _add_ifc,
}


def apply_edit(view: LayerView, edit: Edit, index: int) -> None:
    """Apply one edit to ``view`` in place (frames are replaced, never mutated)."""
    try:
        fn = APPLIERS[edit.op]
    except KeyError:
        raise ScenarioError(f"no way to apply edit op {edit.op!r}",
                            where=f"edit {index}") from None
    fn(view, edit, index)
