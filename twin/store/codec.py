"""A layer version's canonical content and its digest, the same on every backend.

:func:`data_sha256` identifies data independently of where it is stored (a GeoParquet file,
a PostGIS table), so a copy between stores (:mod:`twin.store.copy`) can be verified and a
PostGIS version's ``sha256`` is checkable from its rows.

Example
-------
>>> from twin.store.codec import data_sha256
>>> data_sha256(b"GeoTIFF bytes")[:12]
'93c26b79ea66'
"""

from __future__ import annotations

import hashlib
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

__all__ = ["arrow_canonical", "data_sha256", "json_safe"]


def arrow_canonical(frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table whose types do not depend on the backend it came from."""
    plain = pd.DataFrame(frame).copy()
    geo_cols = [c for c in plain.columns if isinstance(plain[c].dtype, gpd.array.GeometryDtype)]
    for col in geo_cols:
        plain[col] = pd.Series(shapely.to_wkb(np.asarray(plain[col].values, dtype=object)),
                               index=plain.index, dtype=object)
    for col in plain.columns:
        series = plain[col]
        if series.dtype == object and col not in geo_cols:
            values = series[series.notna()]
            if not values.map(lambda v: isinstance(v, (str, bytes))).all():
                plain[col] = series.map(
                    lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                    else json.dumps(json_safe(v), sort_keys=True, ensure_ascii=False,
                                    default=str))
        elif isinstance(series.dtype, pd.CategoricalDtype):
            plain[col] = series.astype(object)
    plain.columns = [str(c) for c in plain.columns]
    table = pa.Table.from_pandas(plain, preserve_index=False)
    fields = []
    for fld in table.schema:
        typ = fld.type
        if pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
            typ = pa.string()
        elif pa.types.is_large_binary(typ) or pa.types.is_binary_view(typ):
            typ = pa.binary()
        fields.append(pa.field(fld.name, typ))
    return table.cast(pa.schema(fields))


def data_sha256(data) -> str:
    """The sha256 of a layer version's canonical content, the same on every backend.

    Bytes (a raster) are hashed as they are. A (Geo)DataFrame is hashed column by column,
    in order: the name, the Arrow type, the null mask and the values (fixed-width values as
    their bytes, strings and binaries length-prefixed; geometries as WKB), so that the same
    layer read back from either store gives the same digest whatever its chunking.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        return hashlib.sha256(bytes(data)).hexdigest()
    table = arrow_canonical(data)
    digest = hashlib.sha256(f"rows={table.num_rows};".encode())
    for name, column in zip(table.column_names, table.columns):
        arr = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        typ = arr.type
        digest.update(f"{name}:{typ};".encode())
        digest.update(np.packbits(arr.is_null().to_numpy(zero_copy_only=False)).tobytes())
        if pa.types.is_string(typ) or pa.types.is_binary(typ):
            _digest_varwidth(digest, arr)
        elif pa.types.is_temporal(typ):
            ints = arr.view(pa.int64() if typ.bit_width == 64 else pa.int32())
            digest.update(np.ascontiguousarray(ints.fill_null(0).to_numpy()).tobytes())
        elif pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_boolean(typ):
            filled = arr.fill_null(False if pa.types.is_boolean(typ) else 0)
            digest.update(np.ascontiguousarray(filled.to_numpy(zero_copy_only=False)).tobytes())
        else:
            digest.update(json.dumps(arr.to_pylist(), sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _digest_varwidth(digest, arr: pa.Array) -> None:
    """Feed a string or binary array to ``digest``: the lengths (nulls as 0), then the bytes."""
    validity, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[arr.offset:arr.offset + len(arr) + 1]
    lengths = np.diff(offsets).astype(np.int64)
    nulls = arr.is_null().to_numpy(zero_copy_only=False)
    if nulls.any() and lengths[nulls].any():  # a null slot holding bytes: take the slow way
        items = [b"" if v is None else (v.encode("utf-8") if isinstance(v, str) else bytes(v))
                 for v in arr.to_pylist()]
        digest.update(np.array([len(v) for v in items], dtype=np.int64).tobytes())
        digest.update(b"".join(items))
        return
    digest.update(lengths.tobytes())
    if len(arr) and data_buf is not None:
        digest.update(memoryview(data_buf)[offsets[0]:offsets[-1]])


def json_safe(value):
    """``value`` with NaN/inf turned into None and numpy scalars into Python ones (jsonb)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return json_safe(value.item())
    return value
