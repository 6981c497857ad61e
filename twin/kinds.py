"""Layer kinds and their schemas: the contract every layer in the store keeps.

A kind names the geometry a layer holds and the columns it must have. Readers map source
attributes onto these columns (each column lists the source names it recognises), keep the
other attributes, and :func:`validate` checks the result before anything is written.

Example
-------
>>> from twin.kinds import get_kind
>>> [c.name for c in get_kind("road").columns]
['id', 'name', 'road_class', 'width_m']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import SchemaError
from .projects import check_projects

__all__ = [
    "Column",
    "Kind",
    "KINDS",
    "get_kind",
    "validate",
    "conform",
    "empty_frame",
]


@dataclass(frozen=True)
class Column:
    """One required column: its name, dtype (``str``, ``float``, ``int``, ``json``) and aliases.

    ``aliases`` are source attribute names recognised automatically, compared
    case-insensitively; ``name`` itself always matches.
    """

    name: str
    dtype: str
    aliases: tuple[str, ...] = ()
    nullable: bool = True


@dataclass(frozen=True)
class Kind:
    """A layer kind: ``geometry`` is a tuple of allowed geometry types, ``("raster",)`` for a
    raster, or ``()`` for a plain table."""

    name: str
    label_zh: str
    geometry: tuple[str, ...]
    columns: tuple[Column, ...]
    id_column: str | None = "id"
    description: str = field(default="", compare=False)
    # kind-specific value rules, ``rules(frame, layer=None)`` raising SchemaError; run by
    # conform (on the source values) and validate
    rules: Callable | None = field(default=None, compare=False)

    @property
    def is_table(self) -> bool:
        """True for a kind without geometry (a plain table)."""
        return not self.geometry

    @property
    def is_raster(self) -> bool:
        """True for a raster kind (stored as GeoTIFF)."""
        return self.geometry == ("raster",)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise SchemaError(f"kind {self.name!r} has no column {name!r}")


_POLY = ("Polygon", "MultiPolygon")
_LINE = ("LineString", "MultiLineString")
_POINT = ("Point", "MultiPoint")

_ID = Column("id", "str", ("id", "fid", "osm_id", "@id", "编号", "objectid", "code"), nullable=False)
_NAME = Column("name", "str", ("name", "name:zh", "名称", "名字", "title"))

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("parcel", "地块", _POLY, (
            _ID, _NAME,
            Column("land_use", "str", ("landuse", "land_use", "use", "用地性质", "用地代码", "ydxz")),
            Column("max_far", "float", ("far", "max_far", "容积率", "rjl")),
            Column("max_density", "float", ("density", "max_density", "建筑密度", "jzmd")),
            Column("max_height_m", "float", ("max_height", "height_limit", "限高", "建筑限高")),
            Column("min_green_ratio", "float", ("green_ratio", "min_green", "绿地率", "ldl")),
        )),
        Kind("road", "道路", _LINE, (
            _ID, _NAME,
            Column("road_class", "str", ("highway", "class", "road_class", "fclass", "type", "道路等级")),
            Column("width_m", "float", ("width", "width_m", "red_line_width", "红线宽度", "宽度")),
        )),
        Kind("river", "河道", _LINE + _POLY, (
            _ID, _NAME,
            Column("width_m", "float", ("width", "width_m", "河宽", "宽度")),
            Column("setback_m", "float", ("setback", "setback_m", "blue_line", "蓝线", "退让")),
        )),
        Kind("building", "建筑", _POLY, (
            _ID, _NAME,
            Column("use", "str", ("building", "use", "building_use", "type", "用途", "功能")),
            Column("height_m", "float", ("height", "height_m", "building:height", "高度", "建筑高度")),
            Column("floors", "int", ("building:levels", "levels", "floors", "storeys", "层数", "楼层")),
            Column("base_elev_m", "float", ("base_elev", "min_height", "base_elev_m", "地面高程")),
            Column("gfa_m2", "float", ("gfa", "gfa_m2", "floor_area", "建筑面积")),
            Column("source", "str", ("source",)),
            Column("ifc_guid", "str", ("ifc_guid", "globalid", "guid")),
        )),
        Kind("bim_element", "构件", _POLY, (
            Column("guid", "str", ("guid", "globalid"), nullable=False),
            Column("ifc_class", "str", ("ifc_class", "class", "type")),
            _NAME,
            Column("storey", "str", ("storey", "level")),
            Column("building_id", "str", ("building_id",)),
            Column("elev_m", "float", ("elev_m", "elevation")),
            Column("psets", "json", ("psets",)),
        ), id_column="guid"),
        Kind("facility", "设施", _POINT, (
            _ID, _NAME,
            Column("kind", "str", ("kind", "amenity", "type", "类型", "设施类型")),
            Column("capacity", "float", ("capacity", "容量", "规模")),
        )),
        Kind("sensor", "感知", _POINT, (
            _ID,
            Column("kind", "str", ("kind", "type", "类型")),
            Column("unit", "str", ("unit", "单位")),
        )),
        Kind("sensor_reading", "感知读数", (), (
            Column("sensor_id", "str", ("sensor_id", "sensor", "id"), nullable=False),
            Column("time", "str", ("time", "timestamp", "datetime", "时间")),
            Column("value", "float", ("value", "reading", "读数", "数值")),
        ), id_column=None),
        Kind("storey", "楼层", (), (
            Column("building_id", "str", ("building_id",), nullable=False),
            Column("guid", "str", ("guid", "globalid")),
            _NAME,
            Column("elev_m", "float", ("elev_m", "elevation")),
        ), id_column="guid"),
        Kind("feature", "要素", _POINT + _LINE + _POLY + ("GeometryCollection",), (_ID, _NAME),
             description="generic vector features that fit no other kind"),
        Kind("terrain", "地形", ("raster",), (), id_column=None),
        Kind("project", "项目", _POLY + _POINT, (
            _ID, _NAME,
            Column("owner", "str", ("owner", "业主", "建设单位", "developer")),
            Column("sector", "str", ("sector", "industry", "行业", "类别", "领域")),
            Column("investment_cny", "float", ("investment", "investment_cny", "投资",
                                               "总投资", "总投资_元")),
            Column("start_date", "str", ("start", "start_date", "开工日期", "开工时间")),
            Column("finish_date", "str", ("finish", "finish_date", "planned_finish",
                                          "竣工日期", "计划竣工")),
            Column("progress_pct", "float", ("progress", "progress_pct", "进度", "形象进度")),
            Column("status", "str", ("status", "状态")),
            Column("building_ids", "str", ("building_ids", "buildings", "关联建筑")),
        ), rules=check_projects, description="key projects with dates, investment, progress"),
    )
}


def get_kind(name) -> Kind:
    """Return the :class:`Kind` called ``name``; an unknown name lists the kinds that exist."""
    if isinstance(name, Kind):
        return name
    try:
        return KINDS[str(name)]
    except KeyError:
        raise SchemaError(
            f"unknown layer kind {name!r}",
            hint="use one of " + ", ".join(KINDS),
        ) from None


_DTYPES = {"str": "string", "float": "float64", "int": "Int64", "json": "string"}


def conform(frame: pd.DataFrame, kind) -> tuple[pd.DataFrame, dict[str, int]]:
    """Give ``frame`` every required column of ``kind`` with its dtype.

    Missing columns are added as explicit nulls; present ones are cast (values that do not
    parse become null). Returns the frame and ``{column: null count}`` for required columns
    that have nulls, for the import report.
    """
    kind = get_kind(kind)
    if kind.rules is not None:
        kind.rules(frame)
    frame = frame.copy()
    nulls: dict[str, int] = {}
    for col in kind.columns:
        if col.name not in frame.columns:
            frame[col.name] = pd.Series(None, index=frame.index, dtype=_DTYPES[col.dtype])
        else:
            frame[col.name] = _cast(frame[col.name], col.dtype)
        n = int(frame[col.name].isna().sum())
        if n:
            nulls[col.name] = n
    return frame, nulls


def _cast(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == "float":
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if dtype == "int":
        num = pd.to_numeric(series, errors="coerce")
        num = num.where(np.isfinite(num))
        return num.round().astype("Int64")
    out = series.astype("string")
    return out


def validate(frame, kind, *, crs=None, layer: str | None = None) -> None:
    """Check that ``frame`` keeps the contract of ``kind``; raise :class:`SchemaError` if not.

    Checks: required columns present, non-nullable columns without nulls, unique ids,
    geometry types allowed by the kind, and (for geometry kinds) the CRS equals ``crs``
    (the working CRS by default).
    """
    kind = get_kind(kind)
    where = f"layer {layer!r}" if layer else f"{kind.name} layer"
    if kind.is_raster:
        return
    missing = [c.name for c in kind.columns if c.name not in frame.columns]
    if missing:
        raise SchemaError(f"missing required columns {missing}", where=where,
                          hint="map source attributes with --map SRC=DST")
    for col in kind.columns:
        if not col.nullable and frame[col.name].isna().any():
            raise SchemaError(f"column {col.name!r} has null values but is required", where=where)
    if kind.id_column and frame[kind.id_column].duplicated().any():
        dup = frame.loc[frame[kind.id_column].duplicated(), kind.id_column].iloc[0]
        raise SchemaError(f"duplicate {kind.id_column} {dup!r}", where=where)
    if kind.rules is not None:
        kind.rules(frame, layer=layer)
    if kind.is_table:
        return
    if "geometry" not in frame.columns and getattr(frame, "_geometry_column_name", None) is None:
        raise SchemaError("has no geometry column", where=where)
    from .crs import parse_crs, working_crs  # local: keep kinds importable without pyproj cost

    expected = parse_crs(crs) if crs is not None else working_crs()
    if frame.crs is None or parse_crs(frame.crs) != expected:
        raise SchemaError(f"is in {frame.crs} but the store holds {expected.to_string()}",
                          where=where)
    geoms = frame.geometry
    types = set(geoms[geoms.notna() & ~geoms.is_empty].geom_type.unique())
    bad = types - set(kind.geometry)
    if bad:
        raise SchemaError(
            f"has geometry types {sorted(bad)}; a {kind.name} layer takes {list(kind.geometry)}",
            where=where, hint="import it as another --kind",
        )


def empty_frame(kind: str):
    """An empty frame with ``kind``'s columns in their conformed types (a GeoDataFrame in
    the working CRS for geometry kinds; None for a raster kind)."""
    import geopandas as gpd

    from .crs import working_crs

    k = get_kind(kind)
    if k.is_raster:
        return None
    frame, _ = conform(pd.DataFrame({c.name: [] for c in k.columns}), k)
    if k.is_table:
        return frame
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=working_crs()),
                            crs=working_crs())
