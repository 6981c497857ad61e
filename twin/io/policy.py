"""The validity policy every reader applies: ``on_invalid`` = ``raise`` | ``warn`` | ``fix``.

A reader finds what is wrong (geometry checks of :mod:`twin.io.validity`, rows that do not
parse); this module decides what each finding does under the policy: refuse the file with
one error naming the first feature and the count (:class:`Findings`), or list the feature
as skipped, warned or repaired in the import report. The vector table is
:func:`apply_policy`; a table reader (CSV) uses :func:`check_policy` and
:meth:`Findings.entries` / :meth:`Findings.error` for its rows.

Example
-------
>>> check_policy("fix")
'fix'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .. import crs as twin_crs
from ..errors import ReaderError, SchemaError
from .validity import TYPE_IDS, keep_types, repair

__all__ = ["POLICIES", "MAX_LISTED", "HINT", "check_policy", "Findings", "apply_policy",
           "unique_ids", "fmt_bounds"]

POLICIES = ("raise", "warn", "fix")
MAX_LISTED = 1000  # per-feature report entries kept per finding; counts hold the totals
HINT = "rerun with --on-invalid fix to repair or drop such features, or --on-invalid warn"


def check_policy(on_invalid: str, path=None, *, option: str = "--on-invalid") -> str:
    """``on_invalid`` when it is a known policy; a :class:`ReaderError` otherwise."""
    if on_invalid not in POLICIES:
        raise ReaderError(f"unknown {option} policy {on_invalid!r}", path=path,
                          hint="use raise, warn or fix")
    return on_invalid


class Findings:
    """Collects per-feature findings and turns them into report entries or one error."""

    def __init__(self, path, ids: np.ndarray | None):
        self.path = path
        self.ids = ids
        self.errors: list[tuple[int, str, int]] = []  # (first index, reason, how many)

    def label(self, i: int) -> str:
        fid = None if self.ids is None or i >= len(self.ids) else self.ids[i]
        return f"feature {i}" + ("" if fid is None or fid is pd.NA else f" (id {fid!r})")

    def entries(self, mask: np.ndarray, reason, record, **more) -> int:
        """Record ``reason`` (text or callable of the index) for each feature in ``mask``,
        at most MAX_LISTED of them, plus one summary entry; returns the count."""
        idx = np.flatnonzero(mask)
        for i in idx[:MAX_LISTED]:
            text = reason(int(i)) if callable(reason) else reason
            record(self.feature_ref(int(i)), text, index=int(i), **more)
        if len(idx) > MAX_LISTED:
            text = reason(int(idx[0])) if callable(reason) else reason
            record(None, f"{len(idx) - MAX_LISTED} more feature(s): {text}",
                   count=int(len(idx) - MAX_LISTED))
        return int(len(idx))

    def feature_ref(self, i: int):
        fid = None if self.ids is None else self.ids[i]
        return i if fid is None or fid is pd.NA else fid

    def error(self, mask: np.ndarray, reason) -> None:
        idx = np.flatnonzero(mask)
        if len(idx):
            i = int(idx[0])
            self.errors.append((i, reason(i) if callable(reason) else reason, len(idx)))

    def raise_first(self) -> None:
        if not self.errors:
            return
        self.errors.sort(key=lambda e: e[0])
        i, reason, _ = self.errors[0]
        more = sum(e[2] for e in self.errors) - 1
        raise ReaderError(reason + (f" ({more} more problem(s) in this file)" if more else ""),
                          path=self.path, where=self.label(i), hint=HINT)


def apply_policy(decoded, checks, found: Findings, kind_obj, on_invalid, report, attrs):
    """Decide, per finding and ``on_invalid`` policy, what each feature becomes (the table
    in :mod:`twin.io.ogr`); returns the geometries, the rows to keep and (under ``fix``)
    which rows were repaired. ``found`` collects what is refused, for one error."""
    masks = checks.masks
    geoms = decoded.geoms.copy()
    n = len(geoms)
    keep = np.ones(n, dtype=bool)
    repaired = np.zeros(n, dtype=bool)
    skip_total = 0
    repair_total = 0

    drop = [
        ("null", masks["null"] & ~decoded.unreadable,
         "null geometry (no coordinates): nothing to place on the map"),
        ("unreadable", decoded.unreadable,
         lambda i: f"unreadable geometry ({decoded.reasons.get(i, 'bad WKB')})"),
        ("empty", masks["empty"], "empty geometry (no coordinates)"),
        ("nonfinite", masks["nonfinite"], "NaN or infinite coordinates"),
        ("out_of_range", masks["out_of_range"], lambda i: _out_of_range_reason(checks.bounds[i])),
        ("outside_area", masks.get("outside_area", np.zeros(n, dtype=bool)),
         lambda i: _outside_area_reason(checks.bounds[i])),
    ]
    for code, mask, reason in drop:
        mask = mask & keep
        if not mask.any():
            continue
        if on_invalid == "raise" and code not in ("null", "empty"):
            found.error(mask, reason)
        else:
            skip_total += found.entries(mask, reason, report.skip)
        keep &= ~mask

    # geometry type against the kind
    allowed = {TYPE_IDS[t] for t in kind_obj.geometry}
    types = shapely.get_type_id(geoms)
    wrong = keep & ~np.isin(types, list(allowed))
    if wrong.any():
        def wrong_reason(i):
            return (f"geometry type {geoms[i].geom_type} does not fit a {kind_obj.name} layer "
                    f"({'/'.join(kind_obj.geometry)})")
        if on_invalid == "raise":
            idx = int(np.flatnonzero(wrong)[0])
            types_found = sorted({g.geom_type for g in geoms[wrong][:1000]})
            raise SchemaError(
                f"geometry type {'/'.join(types_found)} does not fit a {kind_obj.name} "
                f"layer, which takes {'/'.join(kind_obj.geometry)} "
                f"({int(wrong.sum())} feature(s))",
                path=found.path, where=found.label(idx),
                hint="import it as another --kind, or --on-invalid fix to keep the "
                     "parts that fit")
        if on_invalid == "fix":
            fitted = keep_types(geoms[wrong], kind_obj.geometry)
            ok = ~shapely.is_missing(fitted)
            idx = np.flatnonzero(wrong)
            fixed_mask = np.zeros(n, dtype=bool)
            fixed_mask[idx[ok]] = True
            if ok.any():
                before = geoms.copy()
                geoms[idx[ok]] = fitted[ok]
                repair_total += found.entries(
                    fixed_mask, lambda i: f"{before[i].geom_type} reduced to its "
                    f"{geoms[i].geom_type} parts to fit a {kind_obj.name} layer",
                    report.repaired)
                repaired |= fixed_mask
            wrong &= ~fixed_mask
        skip_total += found.entries(wrong, wrong_reason, report.skip)
        keep &= ~wrong

    # rings not closed in the file
    unclosed = decoded.unclosed & keep
    if unclosed.any():
        text = "ring not closed (first and last positions differ)"
        if on_invalid == "raise":
            found.error(unclosed, text)
        elif on_invalid == "warn":
            found.entries(unclosed, text + ": closed it", report.warn, check="geometry")
        else:
            repair_total += found.entries(unclosed, text + ": closed it", report.repaired)
            repaired |= unclosed

    # OGC validity (self-intersection...)
    invalid = masks["invalid"] & keep
    if invalid.any():
        def invalid_reason(i):
            return f"invalid geometry: {checks.invalid_reason.get(i, 'not valid')}"
        if on_invalid == "raise":
            found.error(invalid, invalid_reason)
        elif on_invalid == "warn":
            found.entries(invalid, lambda i: invalid_reason(i) + " (kept as is)",
                          report.warn, check="geometry")
        else:
            idx = np.flatnonzero(invalid)
            fixed = repair(geoms[idx])
            if kind_obj.geometry:
                fixed = keep_types(fixed, kind_obj.geometry)
            gone = shapely.is_missing(fixed) | shapely.is_empty(fixed)
            geoms[idx] = fixed
            ok_mask = np.zeros(n, dtype=bool)
            ok_mask[idx[~gone]] = True
            bad_mask = np.zeros(n, dtype=bool)
            bad_mask[idx[gone]] = True
            repair_total += found.entries(
                ok_mask, lambda i: invalid_reason(i) + f": repaired with make_valid "
                f"→ {geoms[i].geom_type}", report.repaired)
            skip_total += found.entries(
                bad_mask, lambda i: invalid_reason(i) + ": nothing of a "
                f"{kind_obj.name} geometry is left after make_valid", report.skip)
            repaired |= ok_mask
            keep &= ~bad_mask

    # notices: winding, repeated vertices
    wound = masks["winding"] & keep
    if wound.any():
        found.entries(wound, "polygon rings do not follow the right-hand rule (RFC 7946 "
                             "winding); accepted", report.warn, check="winding")
    rep = masks["repeated"] & keep
    if rep.any():
        if on_invalid == "fix":
            idx = np.flatnonzero(rep)
            geoms[idx] = shapely.remove_repeated_points(geoms[idx], 0.0)
            repair_total += found.entries(rep, "repeated consecutive vertices removed",
                                          report.repaired)
            repaired |= rep
        else:
            found.entries(rep, "repeated consecutive vertices", report.warn,
                          check="geometry")

    # ids
    if kind_obj.id_column and kind_obj.id_column in attrs.columns:
        ids = attrs[kind_obj.id_column]
        dup = (ids.duplicated(keep="first").to_numpy() & keep)
        dup &= ids.notna().to_numpy()
        if dup.any():
            if on_invalid == "raise":
                found.error(dup, lambda i: f"duplicate {kind_obj.id_column} {ids.iat[i]!r}")
            else:
                col = kind_obj.id_column
                new = unique_ids(ids, dup)
                old_ids = ids.to_numpy(dtype=object)
                new_ids = new.to_numpy(dtype=object)

                def text(i, old_ids=old_ids, new_ids=new_ids, col=col):
                    return f"duplicate {col} {old_ids[i]!r}: renamed to {new_ids[i]!r}"

                if on_invalid == "warn":
                    found.entries(dup, text, report.warn, check="id")
                else:
                    repair_total += found.entries(dup, text, report.repaired)
                attrs[col] = new
                found.ids = new.to_numpy(dtype=object)

    report.extra["skipped_total"] = skip_total
    report.extra["repaired_total"] = repair_total
    return geoms, keep, (repaired if on_invalid == "fix" else None)


def _out_of_range_reason(b) -> str:
    """Why lon/lat bounds ``b`` are impossible; names swapped axes when they look swapped."""
    text = f"coordinates outside longitude/latitude range {fmt_bounds(b)}"
    if abs(b[1]) > 90 and abs(b[3]) > 90 and abs(b[0]) <= 90 and abs(b[2]) <= 90:
        text += ("; the axes look swapped (latitude first): write each position as "
                 "[longitude, latitude]")
    return text


def _outside_area_reason(b) -> str:
    """Why lon/lat bounds ``b`` cannot be placed in the working CRS."""
    work = twin_crs.working_crs()
    aou = work.area_of_use
    text = (f"coordinates {fmt_bounds(b)} lie outside the working CRS's area "
            f"({work.to_string()}: {aou.name if aou else 'unknown'})")
    if b[2] - b[0] > 180.0:
        text += (f"; the feature spans {b[2] - b[0]:.0f}° of longitude, so it probably "
                 "crosses the antimeridian (cut it there, as RFC 7946 asks)")
    return text + "; set $TWIN_CRS to a CRS that covers them, or fix the coordinates"


def fmt_bounds(b) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in b) + "]"


def unique_ids(ids: pd.Series, dup: np.ndarray) -> pd.Series:
    """Make duplicated ids unique by appending ``~2``, ``~3``…"""
    values = ids.astype("string").to_numpy(dtype=object, na_value=None)
    taken = {v for v in values if v is not None}
    counter: dict[str, int] = {}
    for i in np.flatnonzero(dup):
        base = values[i]
        k = counter.get(base, 1) + 1
        while f"{base}~{k}" in taken:
            k += 1
        counter[base] = k
        values[i] = f"{base}~{k}"
        taken.add(values[i])
    return pd.Series(values, index=ids.index, dtype="string")


