"""The version diff of a layer (版本比对): features added, removed and changed between two
versions from the store's history, matched by the kind's id column.

A feature is *changed* when any attribute differs (nulls compare equal to nulls) or its
geometry is not equal within 0.1 mm (``shapely.equals_exact``). Only the store's public read
API is used (``versions``, ``read(version=…)``, ``kind_of``).

Example
-------
>>> from twin.layer_diff import diff_versions
>>> d = diff_versions(store, "buildings", 1, 2)             # doctest: +SKIP
>>> d.summary()                                             # doctest: +SKIP
{'layer': 'buildings', 'v1': 1, 'v2': 2, 'added': 1, 'removed': 0, 'changed': 3, 'same': 9}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import SchemaError, StoreError

__all__ = ["LayerDiff", "diff_frames", "diff_versions", "GEOMETRY_TOLERANCE_M"]

GEOMETRY_TOLERANCE_M = 1e-4


@dataclass
class LayerDiff:
    """What changed from frame ``a`` (version ``v1``) to frame ``b`` (``v2``).

    ``added`` holds rows of ``b``, ``removed`` rows of ``a``, ``changed`` rows of ``b`` with a
    ``changed_columns`` column (comma-separated; ``geometry`` when the shape moved).
    """

    layer: str
    id_column: str
    v1: int | str
    v2: int | str
    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame
    same: int

    def summary(self) -> dict:
        """Counts of added, removed, changed and unchanged features."""
        return {"layer": self.layer, "v1": self.v1, "v2": self.v2, "added": len(self.added),
                "removed": len(self.removed), "changed": len(self.changed), "same": self.same}

    def rows(self) -> pd.DataFrame:
        """One row per difference: ``change`` (added/removed/changed), ``id``, ``name`` and
        ``columns`` (what changed), without geometry."""
        parts = []
        for change, frame in (("added", self.added), ("removed", self.removed),
                              ("changed", self.changed)):
            if not len(frame):
                continue
            names = frame["name"].astype("string") if "name" in frame.columns else pd.NA
            cols = frame["changed_columns"] if "changed_columns" in frame.columns else ""
            parts.append(pd.DataFrame({"change": change,
                                       "id": frame[self.id_column].astype("string").to_numpy(),
                                       "name": names if names is pd.NA else names.to_numpy(),
                                       "columns": cols if isinstance(cols, str)
                                       else cols.to_numpy()}))
        if not parts:
            return pd.DataFrame(columns=["change", "id", "name", "columns"])
        return pd.concat(parts, ignore_index=True)

    def ids(self, change: str) -> set[str]:
        """The ids of one ``change`` (``added``, ``removed`` or ``changed``)."""
        frame = getattr(self, change)
        return set(frame[self.id_column].astype("string")) if len(frame) else set()

    def features(self):
        """Every difference with its geometry and a ``change`` column (a GeoDataFrame in
        the working CRS, for export or drawing); None for a table layer."""
        import geopandas as gpd

        frames = [f.assign(change=c) for c, f in (("added", self.added),
                                                   ("removed", self.removed),
                                                   ("changed", self.changed)) if len(f)]
        geo = [f for f in (self.added, self.removed, self.changed) if hasattr(f, "geometry")]
        if not geo:
            return None
        crs = geo[0].crs
        if not frames:
            return gpd.GeoDataFrame({"change": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
        out = pd.concat(frames, ignore_index=True)
        return gpd.GeoDataFrame(out, geometry=out[geo[0].geometry.name], crs=crs)


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Elementwise "not equal", nulls equal to nulls, bytes and text compared as values."""
    a_null = a.isna().to_numpy()
    b_null = b.isna().to_numpy()
    numeric = (pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
               and not pd.api.types.is_bool_dtype(a) and not pd.api.types.is_bool_dtype(b))
    if numeric:  # text that looks numeric ("0101" vs "101") is compared as text
        num_a = a.to_numpy(dtype=float, na_value=np.nan)
        num_b = b.to_numpy(dtype=float, na_value=np.nan)
        equal = np.isclose(num_a, num_b, rtol=0.0, atol=1e-9)
    else:
        left, right = a.astype(object).to_numpy(), b.astype(object).to_numpy()
        equal = np.array([x == y if not (isinstance(x, float) or isinstance(y, float))
                          else bool(x == y) for x, y in zip(left, right)], dtype=bool)
    return ~((a_null & b_null) | (~a_null & ~b_null & equal))


def diff_frames(a: pd.DataFrame, b: pd.DataFrame, id_column: str, *, layer: str = "",
                v1="a", v2="b") -> LayerDiff:
    """The :class:`LayerDiff` of two frames of one kind, matched on ``id_column``."""
    import shapely

    for frame, version in ((a, v1), (b, v2)):
        if id_column not in frame.columns:
            raise SchemaError(f"version {version} has no {id_column!r} column to match "
                              "features by", where=f"layer {layer!r}")
    ids_a = a[id_column].astype("string")
    ids_b = b[id_column].astype("string")
    for ids, version in ((ids_a, v1), (ids_b, v2)):
        if ids.isna().any():
            raise SchemaError(f"version {version} has {int(ids.isna().sum())} feature(s) without "
                              f"an {id_column!r}, which cannot be matched", where=f"layer {layer!r}",
                              hint="give every feature an id, then import it as a new version")
        repeated = ids[ids.duplicated()].unique().tolist()
        if repeated:
            raise SchemaError(f"version {version} has the {id_column!r} {repeated[:5]} more than "
                              "once, so its features cannot be matched one to one",
                              where=f"layer {layer!r}",
                              hint="make the ids unique, then import it as a new version")
    in_b = ids_a.isin(set(ids_b.dropna()))
    in_a = ids_b.isin(set(ids_a.dropna()))
    removed, added = a[~in_b.to_numpy()], b[~in_a.to_numpy()]
    left = a[in_b.to_numpy()].assign(_id=ids_a[in_b].to_numpy()).set_index("_id")
    right = b[in_a.to_numpy()].assign(_id=ids_b[in_a].to_numpy()).set_index("_id")
    right = right.loc[left.index]
    geom_a = getattr(a, "_geometry_column_name", None) if hasattr(a, "geometry") else None
    geom_b = getattr(b, "_geometry_column_name", None) if hasattr(b, "geometry") else None
    columns = [c for c in dict.fromkeys([*a.columns, *b.columns])
               if c not in (id_column, geom_a, geom_b)]
    changed_cols: list[list[str]] = [[] for _ in range(len(left))]
    for col in columns:
        if col in left.columns and col in right.columns:
            mask = _differs(left[col], right[col])
        else:
            present = left[col] if col in left.columns else right[col]
            mask = present.notna().to_numpy()
        for i in np.flatnonzero(mask):
            changed_cols[i].append(col)
    if geom_a and geom_b:
        ga = np.asarray(left[geom_a].to_numpy(), dtype=object)
        gb = np.asarray(right[geom_b].to_numpy(), dtype=object)
        both_null = shapely.is_missing(ga) & shapely.is_missing(gb)
        same_geom = both_null | shapely.equals_exact(ga, gb, tolerance=GEOMETRY_TOLERANCE_M)
        for i in np.flatnonzero(~same_geom):
            changed_cols[i].append("geometry")
    flags = np.array([bool(c) for c in changed_cols], dtype=bool)
    changed = b[in_a.to_numpy()].assign(_id=ids_b[in_a].to_numpy()).set_index("_id") \
        .loc[left.index[flags]].reset_index(drop=True)
    changed = changed.assign(changed_columns=[",".join(c) for c in changed_cols if c])
    return LayerDiff(layer=layer, id_column=id_column, v1=v1, v2=v2,
                     added=added.reset_index(drop=True), removed=removed.reset_index(drop=True),
                     changed=changed, same=int((~flags).sum()))


def diff_versions(store, layer: str, v1: int, v2: int) -> LayerDiff:
    """The :class:`LayerDiff` of ``layer`` from version ``v1`` to ``v2`` of ``store``.

    An unknown layer or version is a :class:`StoreError` naming the versions that exist; a
    raster layer or a table without ids cannot be diffed feature by feature.
    """
    from .kinds import get_kind

    kind = get_kind(store.kind_of(layer))
    have = [v.version for v in store.versions(layer)]
    for v in (v1, v2):
        if v not in have:
            raise StoreError(f"layer {layer!r} has no version {v}",
                             hint="versions: " + ", ".join(str(n) for n in have)
                             + " (see `twin versions " + layer + "`)")
    if kind.is_raster or not kind.id_column:
        raise SchemaError(f"layer {layer!r} is a {kind.name} layer without feature ids, so "
                          "its versions cannot be compared feature by feature",
                          hint="compare a vector layer (parcel, building, road …)")
    return diff_frames(store.read(layer, version=v1), store.read(layer, version=v2),
                       kind.id_column, layer=layer, v1=v1, v2=v2)
