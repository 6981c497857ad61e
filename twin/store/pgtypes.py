"""How a pandas column is kept in a PostGIS table and read back with its dtype.

Each column gets a spec (:func:`column_specs`: its name, SQL column name, pandas dtype token
and PostgreSQL type); :func:`copy_values` gives its values for a binary ``COPY`` and
:func:`restore` rebuilds the column from the server's values.
"""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .codec import json_safe

__all__ = ["ROW", "COPY_TYPES", "column_specs", "copy_values", "restore", "dtype_token",
           "dtype_from_token", "pg_type", "filter_type"]

ROW = "_row"  # the primary key column: the row's position in the layer


def dtype_token(dtype) -> str:
    """A string that names ``dtype`` exactly enough to restore it (string storage, NA kind)."""
    if isinstance(dtype, pd.StringDtype):
        base = "str" if dtype.na_value is not pd.NA else "string"
        return f"{base}[{dtype.storage}]"
    return str(dtype)


def dtype_from_token(token: str):
    match = re.fullmatch(r"(str|string)\[(python|pyarrow)\]", token)
    if match:
        na = np.nan if match.group(1) == "str" else pd.NA
        return pd.StringDtype(match.group(2), na_value=na)
    return pd.api.types.pandas_dtype(token)


def pg_type(series: pd.Series) -> str:
    """The PostgreSQL type that holds ``series``."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "real" if dtype in (np.float32, pd.Float32Dtype()) else "double precision"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamptz"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "timestamp"
    if isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)):
        return "text"
    values = series[series.notna()]
    if values.map(lambda v: isinstance(v, str)).all():
        return "text"
    if values.map(lambda v: isinstance(v, (bytes, bytearray, memoryview))).all():
        return "bytea"
    return "jsonb"


def column_specs(frame: pd.DataFrame, geometry: str | None) -> list[dict]:
    """Describe each column: its name, its SQL column name (at most 63 bytes, unique), its
    pandas dtype token and PostgreSQL type; the geometry column keeps its place."""
    used = {ROW}
    specs = []
    for i, col in enumerate(frame.columns):
        name = str(col)
        # psycopg reads a "%" anywhere in a query with parameters as a placeholder, even
        # inside a quoted identifier, so the SQL name spells it out; ``name`` keeps it.
        pgname = name.replace("%", "pct")
        if len(pgname.encode("utf-8")) > 63 or pgname in used:
            stem = pgname.encode("utf-8")[:50].decode("utf-8", "ignore")
            pgname = f"{stem}_{i}"
        used.add(pgname)
        if name == geometry:
            specs.append({"name": name, "column": pgname, "dtype": "geometry",
                          "pg": "geometry"})
        elif isinstance(frame[col].dtype, gpd.array.GeometryDtype):  # a second geometry
            specs.append({"name": name, "column": pgname, "dtype": "geometry-wkb",
                          "pg": "bytea"})
        else:
            specs.append({"name": name, "column": pgname,
                          "dtype": dtype_token(frame[col].dtype),
                          "pg": pg_type(frame[col])})
    return specs


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def copy_values(series: pd.Series, pg: str) -> list:
    """The column as a list of Python values for a binary COPY, with None for missing ones."""
    if pg == "jsonb":
        from psycopg.types.json import Jsonb

        return [None if v is None or (isinstance(v, float) and math.isnan(v))
                else Jsonb(json_safe(v), dumps=_json_dumps) for v in series.tolist()]
    if pg == "bytea":
        if isinstance(series.dtype, gpd.array.GeometryDtype):
            return [None if v is None else bytes(v)
                    for v in shapely.to_wkb(np.asarray(series.values, dtype=object))]
        return [None if v is None or (isinstance(v, float) and math.isnan(v)) else bytes(v)
                for v in series.tolist()]
    if pg == "text" and isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pg == "double precision" and series.dtype == np.float64:
        arr = series.to_numpy()
        out = arr.astype(object)
        out[np.isnan(arr)] = None
        return out.tolist()
    obj = series.astype(object)
    return obj.where(series.notna(), None).tolist()


COPY_TYPES = {"bigint": "int8", "double precision": "float8", "real": "float4",
               "boolean": "bool", "text": "text", "bytea": "bytea", "jsonb": "jsonb",
               "timestamptz": "timestamptz", "timestamp": "timestamp"}


def restore(values: list, spec: dict, crs=None) -> pd.Series:
    """A column read from the server, with its original pandas dtype."""
    token = spec["dtype"]
    if token == "geometry-wkb":
        wkb = np.array([None if v is None else bytes(v) for v in values], dtype=object)
        return gpd.GeoSeries(shapely.from_wkb(wkb), crs=crs)
    if spec["pg"] == "bytea":
        return pd.Series([None if v is None else bytes(v) for v in values], dtype=object)
    try:
        dtype = dtype_from_token(token)
    except TypeError:
        return pd.Series(values, dtype=object)
    if pd.api.types.is_object_dtype(dtype):
        return pd.Series(values, dtype=object)
    try:
        if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
            return pd.Series(pd.to_datetime(values), dtype=dtype) if values else \
                pd.Series([], dtype=dtype)
        return pd.Series(values, dtype=dtype)
    except (TypeError, ValueError):
        return pd.Series(values, dtype=object).astype(dtype)


_FILTER_DTYPES = {"text": re.compile(r"object|(str|string)\[(python|pyarrow)\]"),
                  "number": re.compile(r"[Ii]nt(8|16|32|64)|[Uu][Ii]nt(8|16|32)|[Ff]loat64"),
                  "bool": re.compile(r"bool|boolean")}
_FILTER_PG = {"text": "text", "bigint": "number", "double precision": "number",
              "boolean": "bool"}


def filter_type(spec: dict) -> str | None:
    """The filter language's type family of a column (``"text"``, ``"number"``,
    ``"bool"``), when SQL compares it exactly as pandas does; None otherwise (real,
    dates, JSON, bytes, categories), so a filter on it runs in memory."""
    family = _FILTER_PG.get(spec["pg"])
    if family is None or not _FILTER_DTYPES[family].fullmatch(spec["dtype"]):
        return None
    return family
