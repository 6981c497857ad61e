"""Map a source's attributes onto a layer kind's required columns.

Names are recognised from each :class:`twin.kinds.Column`'s ``aliases`` (``height``,
``HEIGHT``, ``building:levels``, ``层数``, ``名称``...), compared case-insensitively and
ignoring ``:``, ``_``, ``-``, ``.`` and spaces, so ``name_zh`` matches ``name:zh``. An
explicit mapping ``{source: column}`` (the CLI's ``--map SRC=DST``) overrides them. Text
values with a unit (``"12 m"``, ``"12米"``, ``"40 ft"``, ``"6层"``) are read as numbers for
numeric columns. Nothing is invented: a missing height stays null and is reported.

Example
-------
>>> import pandas as pd
>>> frame = pd.DataFrame({"HEIGHT": ["12 m", "9"], "名称": ["A", "B"]})
>>> out, used, notes = map_attributes(frame, "building", layer="b")
>>> used
{'名称': 'name', 'HEIGHT': 'height_m'}
>>> out["height_m"].tolist()
[12.0, 9.0]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..kinds import get_kind

__all__ = ["normalise_name", "map_attributes", "parse_numbers", "sanitise_columns",
           "stable_ids"]

_SEP = re.compile(r"[\s:_\-.]+")
_NUMBER = re.compile(
    r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(m|米|meters?|metres?|ft|feet|foot|层|floors?|storeys?|"
    r"levels?|%)?\s*$", re.IGNORECASE)
_FEET = 0.3048
RESERVED = ("geometry", "geometry_original")


def normalise_name(name) -> str:
    """The form names are compared in: case-folded, without separators."""
    return _SEP.sub("", str(name)).casefold()


def parse_numbers(series: pd.Series) -> pd.Series:
    """Numbers from text with an optional unit (``"12 m"``, ``"40 ft"`` → 12.19, ``"6层"``);
    text that is not a number becomes null. Numeric series pass through."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return pd.to_numeric(series, errors="coerce").astype("float64")
    text = series.astype("string")
    out = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy(copy=True)
    rest = np.flatnonzero(np.isnan(out) & text.notna().to_numpy())
    if len(rest):  # only text that is not a plain number goes through the regex
        parts = text.iloc[rest].str.extract(_NUMBER)
        value = pd.to_numeric(parts[0].str.replace(",", ".", regex=False), errors="coerce")
        feet = parts[1].str.lower().isin(["ft", "feet", "foot"]).fillna(False).to_numpy(bool)
        vals = value.astype("float64").to_numpy(copy=True)
        vals[feet] *= _FEET
        out[rest] = vals
    return pd.Series(out, index=series.index, dtype="float64")


def sanitise_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Give every column a usable, unique, non-empty string name that is not reserved
    (``geometry``, ``geometry_original``); returns the frame and ``{old: new}``."""
    renamed: dict[str, str] = {}
    seen: set[str] = set()
    new_names = []
    for i, col in enumerate(frame.columns):
        name = str(col).strip() or f"field_{i}"
        if name.lower() in RESERVED:
            name = f"{name}_attr"
        base, k = name, 2
        while name.casefold() in seen:
            name = f"{base}_{k}"
            k += 1
        seen.add(name.casefold())
        if name != col:
            renamed[str(col)] = name
        new_names.append(name)
    if renamed:
        frame = frame.copy()
        frame.columns = new_names
    return frame, renamed


def stable_ids(values: pd.Series, layer: str) -> tuple[pd.Series, int]:
    """Ids as text; integral floats lose their ``.0``; missing ones become
    ``<layer>-<n>`` (n = feature number from 1). Returns the ids and how many were made."""
    n = len(values)
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy(dtype="float64")
        integral = np.isfinite(arr) & (np.floor(arr) == arr)
        text = values.astype("string")
        text[integral] = pd.Series(arr[integral].astype(np.int64), index=values.index[integral]
                                   ).astype("string")
    else:
        text = values.astype("string")
    text = text.str.strip()
    missing = text.isna() | (text == "")
    made = int(missing.sum())
    if made:
        generated = pd.Series([f"{layer}-{i + 1}" for i in np.flatnonzero(missing.to_numpy())],
                              index=values.index[missing.to_numpy()], dtype="string")
        text = text.mask(missing, generated)
    return text.astype("string"), made if n else 0


def map_attributes(frame: pd.DataFrame, kind, *, mapping: dict[str, str] | None = None,
                   layer: str) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Rename source columns onto ``kind``'s required columns and parse their values.

    Returns the frame, the mapping used ``{source: column}`` and notes for the report
    (generated ids, heights left null although floors are known). Required columns that
    stay missing are left for :func:`twin.kinds.conform` to add as nulls.
    """
    kind = get_kind(kind)
    used: dict[str, str] = {}
    notes: list[str] = []
    frame = frame.copy()
    if mapping:
        by_norm = {normalise_name(c): c for c in frame.columns}
        renames = {}
        for src, dst in mapping.items():
            if str(dst).lower() in RESERVED or not str(dst).strip():
                raise SchemaError(f"--map {src}={dst}: {dst!r} cannot be an attribute name",
                                  hint="map onto a column of the kind, e.g. height_m")
            col = src if src in frame.columns else by_norm.get(normalise_name(src))
            if col is None:
                known = ", ".join(map(str, frame.columns)) or "none"
                raise SchemaError(f"--map {src}={dst}: the source has no attribute {src!r}",
                                  hint=f"attributes: {known}")
            renames[col] = dst
            used[str(col)] = dst
        clash = [d for d in renames.values() if d in frame.columns and d not in renames]
        frame = frame.drop(columns=clash).rename(columns=renames)
    required = [c.name for c in kind.columns]
    taken = set(used) | set(used.values())
    for col in kind.columns:
        if col.name in frame.columns:
            continue
        norm_cols: dict[str, str] = {}
        for c in frame.columns:
            if c in taken or c in required:
                continue
            norm_cols.setdefault(normalise_name(c), c)
        for alias in (col.name, *col.aliases):
            src = norm_cols.get(normalise_name(alias))
            if src is not None:
                frame = frame.rename(columns={src: col.name})
                used[str(src)] = col.name
                taken.add(src)
                break
    for col in kind.columns:
        if col.name in frame.columns and col.dtype in ("float", "int"):
            values = parse_numbers(frame[col.name])
            if col.dtype == "int":
                values = values.where(np.isfinite(values)).round()
            frame[col.name] = values
    if kind.id_column and kind.id_column in [c.name for c in kind.columns]:
        if kind.id_column in frame.columns:
            ids, made = stable_ids(frame[kind.id_column], layer)
        else:
            ids, made = stable_ids(pd.Series(pd.NA, index=frame.index, dtype="string"), layer)
        frame[kind.id_column] = ids
        if made:
            notes.append(f"{made} feature(s) had no {kind.id_column}; generated stable ids "
                         f"'{layer}-<feature number>'")
    if kind.name == "building" and "floors" in frame.columns:
        no_height = (frame["height_m"].isna() if "height_m" in frame.columns
                     else pd.Series(True, index=frame.index)) & frame["floors"].notna()
        if no_height.any():
            notes.append(f"{int(no_height.sum())} building(s) have floors but no height; "
                         "height_m left null (not derived from floors)")
    return frame, used, notes
