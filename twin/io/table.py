"""CSV reader for sensor readings: ``sensor_id, time, value`` rows → a ``sensor_reading`` table.

Column names are matched through the kind's aliases (``sensor``, ``timestamp``, ``读数``…)
or an explicit ``mapping``. Times are parsed and written back as ISO 8601 text in China
Standard Time (``2026-07-13T08:00:00+08:00``); a time
without a UTC offset is taken as China Standard Time (UTC+08:00) and the report says so.
Rows whose time or value does not parse follow the ``on_invalid`` policy: ``raise`` (the
default) names the first bad row, ``warn``/``fix`` drop the bad rows and list them.

Example
-------
>>> from twin.io.table import CSVTableReader
>>> result = CSVTableReader().read(Path("sensor_readings.csv"))  # doctest: +SKIP
>>> result.layers[0].data.columns.tolist()[:3]
['sensor_id', 'time', 'value']
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from pathlib import Path

import pandas as pd

from ..errors import ReaderError, SchemaError
from ..kinds import conform, get_kind
from .attributes import normalise_name
from .policy import check_policy
from .report import ImportReport, ImportResult, LayerData

__all__ = ["CSVTableReader", "DEFAULT_TZ"]

DEFAULT_TZ = "+08:00"
_CST = dt.timezone(dt.timedelta(hours=8))
_ENCODINGS = ("utf-8-sig", "gb18030")


class CSVTableReader:
    """Reads a CSV file into a table layer (``sensor_reading`` by default)."""

    name = "csv"
    suffixes = (".csv", ".tsv")

    def can_read(self, path) -> bool:
        """True for ``.csv`` and ``.tsv`` files."""
        return Path(path).suffix.lower() in self.suffixes

    def read(self, path, *, kind: str | None = None, layer: str | None = None,
             mapping: dict | None = None, on_invalid: str = "raise", progress=None,
             **_options) -> ImportResult:
        """Read ``path`` into a table layer of ``kind`` (default ``sensor_reading``)."""
        path = Path(path)
        kind_obj = get_kind(kind or "sensor_reading")
        if not kind_obj.is_table:
            raise SchemaError(f"a CSV table becomes a table layer (sensor_reading, storey), "
                              f"not {kind_obj.name!r}", path=path,
                              hint="for point data use a GeoJSON or GeoPackage file")
        check_policy(on_invalid, path, option="on_invalid")
        progress = progress or (lambda *a, **k: None)
        t0 = time.perf_counter()
        progress(0, 2, "reading CSV")
        raw, encoding = _read_csv(path)
        report = ImportReport(kind=kind_obj.name)
        report.extra["encoding"] = encoding
        frame, used = _map_columns(raw, kind_obj, mapping or {}, path)
        report.mapping = used
        progress(1, 2, "checking rows")
        if kind_obj.name == "sensor_reading":
            frame = _check_readings(frame, path, report, on_invalid)
        frame, nulls = conform(frame, kind_obj)
        report.nulls = nulls
        required = [c.name for c in kind_obj.columns if not c.nullable]
        for col in required:
            if frame[col].isna().any():
                row = int(frame.index[frame[col].isna()][0])
                raise ReaderError(f"row {row + 2}: {col} is empty", path=path,
                                  hint=f"every row needs a {col}")
        report.counts = {"rows": len(frame)}
        if kind_obj.name == "sensor_reading" and len(frame):
            report.counts["sensors"] = int(frame.sensor_id.nunique())
            report.extra["time_range"] = [frame.time.min(), frame.time.max()]
        report.timings["read_s"] = round(time.perf_counter() - t0, 4)
        progress(2, 2, "done")
        frame = frame.reset_index(drop=True)
        return ImportResult(layers=[LayerData(layer or kind_obj.name, kind_obj.name, frame)],
                            report=report)


def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    last = None
    for encoding in _ENCODINGS:
        try:
            return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                               encoding=encoding, skipinitialspace=True), encoding
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.EmptyDataError:
            raise ReaderError("the CSV file is empty", path=path) from None
        except pd.errors.ParserError as exc:
            raise ReaderError(f"not a valid CSV table ({str(exc).splitlines()[0]})",
                              path=path) from None
    raise ReaderError(f"the CSV is neither UTF-8 nor GB18030 text ({last})", path=path,
                      hint="save it as UTF-8")


def _map_columns(raw: pd.DataFrame, kind, mapping: dict, path: Path):
    """Rename source columns onto the kind's columns: explicit mapping first, then aliases."""
    frame = raw.rename(columns=lambda c: str(c).strip())
    used: dict[str, str] = {}
    missing_src = [src for src in mapping if src not in frame.columns]
    if missing_src:
        raise SchemaError(f"--map names columns that are not in the file: {missing_src}",
                          path=path, hint="columns: " + ", ".join(map(str, frame.columns)))
    frame = frame.rename(columns=mapping)
    used.update(mapping)
    by_name = {normalise_name(c): c for c in frame.columns}
    for col in kind.columns:
        if col.name in frame.columns:
            continue
        for alias in col.aliases:
            src = by_name.get(normalise_name(alias))
            if src is not None and src not in used and src not in [c.name for c in kind.columns]:
                frame = frame.rename(columns={src: col.name})
                used[str(src)] = col.name
                break
    absent = [c.name for c in kind.columns if c.name not in frame.columns and not c.nullable]
    if absent:
        raise SchemaError(f"no column for {absent}", path=path,
                          hint="columns in the file: " + ", ".join(map(str, raw.columns))
                          + "; map them with --map SRC=DST")
    return frame, used


def _check_readings(frame: pd.DataFrame, path: Path, report: ImportReport,
                    policy: str) -> pd.DataFrame:
    """Parse times and values; apply the invalid-row policy."""
    for col in ("time", "value"):
        if col not in frame.columns:
            raise SchemaError(f"no {col} column", path=path,
                              hint=f"map one with --map SRC={col}")
    text = frame["time"].astype(str).str.strip()
    naive = ~text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
    stamped = text.where(~naive, text + DEFAULT_TZ)
    times = pd.to_datetime(stamped, errors="coerce", utc=True, format="ISO8601")
    if times.isna().any():
        # Formats other than ISO 8601 (e.g. 2026/7/13 8:00): parse element by element.
        with warnings.catch_warnings():  # pandas' format-inference notice is not for users
            warnings.simplefilter("ignore", UserWarning)
            retry = pd.to_datetime(text[times.isna()], errors="coerce")
        if pd.api.types.is_datetime64_any_dtype(retry):
            retry = retry.dt.tz_localize(_CST) if retry.dt.tz is None else retry
            times = times.copy()
            times[retry.index] = retry.dt.tz_convert("UTC")
    values = pd.to_numeric(frame["value"].astype(str).str.strip(), errors="coerce")
    bad = times.isna() | values.isna() | (frame["sensor_id"].astype(str).str.strip() == "")
    if bad.any():
        rows = list(frame.index[bad])
        first = rows[0]
        what = ("time" if pd.isna(times[first]) else "value" if pd.isna(values[first])
                else "sensor_id")
        if policy == "raise":
            raise ReaderError(f"row {first + 2}: {what} {frame.loc[first, what]!r} does not "
                              f"parse ({len(rows)} bad rows)", path=path,
                              hint="fix the rows or import with --on-invalid warn to skip them")
        for i in rows:
            report.skip(f"row {i + 2}", "time, value or sensor_id does not parse")
    if naive.any():
        report.warn(None, f"{int(naive.sum())} times have no UTC offset; taken as "
                          f"UTC{DEFAULT_TZ} (China Standard Time)")
    keep = ~bad
    cst = times[keep].dt.tz_convert(_CST)
    out = frame.loc[keep].copy()
    out["sensor_id"] = out["sensor_id"].astype(str).str.strip()
    out["time"] = cst.map(lambda t: t.isoformat())
    out["value"] = values[keep].astype("float64")
    return out
