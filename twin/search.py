"""Search the twin by id, name, a fuzzy match or the pinyin of a Chinese name (地名地址/关键字查询).

Parcels, buildings, IFC elements (GlobalId or name), roads, rivers, facilities, sensors and
projects are indexed from the store's current versions. A query matches, best first:

* an id or GlobalId, exactly (``P220``, ``2O2Fr$t4X7Zf8NOew3FL00``) or as a part;
* a name, exactly or as a part (``横河``, ``卫生院``);
* the pinyin of a name, so that a homophone or a Latin spelling finds it (``衡河``,
  ``henghe``, ``hh`` for the initials);
* a fuzzy match of the name (rapidfuzz ``WRatio``), for typos and word order.

Roads and rivers made of several runs with the same name are one hit (their runs together).

Example
-------
>>> from twin.search import build_index, search
>>> index = build_index(store)                            # doctest: +SKIP
>>> [(h.kind, h.name) for h in search(index, "横河")][:1]   # doctest: +SKIP
[('river', '横河')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import TwinError

__all__ = ["SEARCH_KINDS", "Hit", "SearchIndex", "build_index", "index_frames", "search",
           "to_pinyin"]

SEARCH_KINDS = ("river", "road", "parcel", "building", "bim_element", "facility", "sensor",
                "project")
"""The kinds that are searched, in the order equal scores are listed."""

_GROUPED = ("road", "river")  # runs with the same name are one hit
_ID_COLUMN = {"bim_element": "guid"}
_FUZZY_CUTOFF = 60.0
_CJK = re.compile(r"[\u3400-\u9fff]")


def to_pinyin(text: str) -> tuple[str, str]:
    """``(full pinyin, initials)`` of ``text`` without tones, lower case, no spaces
    (``"横河"`` → ``("henghe", "hh")``); Latin letters and digits are kept as they are."""
    from pypinyin import Style, lazy_pinyin

    text = str(text or "")
    if not _CJK.search(text):
        plain = re.sub(r"\s+", "", text.lower())
        return plain, plain
    full = lazy_pinyin(text, errors="default")
    initials = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return ("".join(full).lower().replace(" ", ""),
            "".join(initials).lower().replace(" ", ""))


@dataclass(frozen=True)
class Hit:
    """One search result: what it is, where it is and how well it matched.

    ``ids`` are the feature ids (several for a road or river of several runs); ``bounds``
    is ``(minx, miny, maxx, maxy)`` in the working CRS; ``match`` says which rule matched
    (``id``, ``name``, ``pinyin`` or ``fuzzy``); ``score`` is 0–100.
    """

    kind: str
    layer: str
    ids: tuple[str, ...]
    name: str
    score: float
    match: str
    bounds: tuple[float, float, float, float]
    detail: str = ""

    @property
    def id(self) -> str:
        """The first (usually only) feature id."""
        return self.ids[0] if self.ids else ""

    @property
    def center(self) -> tuple[float, float]:
        """The centre of the bounds, E/N in the working CRS."""
        minx, miny, maxx, maxy = self.bounds
        return ((minx + maxx) / 2.0, (miny + maxy) / 2.0)

    def wgs84_bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of the bounds in WGS84."""
        from .crs import WGS84, transform_xy, working_crs

        minx, miny, maxx, maxy = self.bounds
        lon, lat = transform_xy([minx, maxx, minx, maxx], [miny, miny, maxy, maxy],
                                working_crs(), WGS84)
        return (float(min(lon)), float(min(lat)), float(max(lon)), float(max(lat)))

    def to_dict(self) -> dict:
        """A JSON-serialisable dict (centre in the working CRS and in WGS84)."""
        west, south, east, north = self.wgs84_bounds()
        cx, cy = self.center
        return {"kind": self.kind, "layer": self.layer, "id": self.id, "ids": list(self.ids),
                "name": self.name, "score": round(float(self.score), 1), "match": self.match,
                "detail": self.detail, "e": round(cx, 3), "n": round(cy, 3),
                "lon": round((west + east) / 2, 7), "lat": round((south + north) / 2, 7),
                "bounds": [round(v, 3) for v in self.bounds]}


@dataclass
class SearchIndex:
    """The searchable features: one row per hit candidate (``kind``, ``layer``, ``ids``,
    ``name``, ``detail``, bounds ``minx…maxy``) with the pinyin of every name."""

    rows: pd.DataFrame
    layers: dict[str, str] = field(default_factory=dict)  # layer -> kind

    def __len__(self) -> int:
        return len(self.rows)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    values = frame[column].astype("string").fillna("")
    return values.astype(object)


def _candidates(layer: str, kind: str, frame) -> pd.DataFrame:
    """The hit candidates of one layer."""
    if frame is None or len(frame) == 0:
        return pd.DataFrame()
    ids = _text(frame, _ID_COLUMN.get(kind, "id"))
    names = _text(frame, "name")
    detail = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    if kind == "bim_element":
        detail = _text(frame, "ifc_class") + " · " + _text(frame, "building_id")
    elif kind in ("facility", "sensor"):
        detail = _text(frame, "kind")
    elif kind == "parcel":
        detail = _text(frame, "land_use")
    elif kind == "building":
        detail = _text(frame, "use")
    elif kind == "project":
        detail = _text(frame, "status")
    bounds = np.asarray(frame.geometry.bounds, dtype=float) if hasattr(frame, "geometry") \
        else np.full((len(frame), 4), np.nan)
    rows = pd.DataFrame({"kind": kind, "layer": layer, "id": ids.to_numpy(),
                         "name": names.to_numpy(), "detail": detail.to_numpy(),
                         "minx": bounds[:, 0], "miny": bounds[:, 1], "maxx": bounds[:, 2],
                         "maxy": bounds[:, 3]})
    rows = rows[np.isfinite(rows[["minx", "miny", "maxx", "maxy"]].to_numpy()).all(axis=1)]
    if kind in _GROUPED:
        named = rows[rows["name"] != ""]
        single = rows[rows["name"] == ""]
        grouped = named.groupby("name", sort=False).agg(
            kind=("kind", "first"), layer=("layer", "first"), id=("id", tuple),
            detail=("detail", "first"), minx=("minx", "min"), miny=("miny", "min"),
            maxx=("maxx", "max"), maxy=("maxy", "max")).reset_index()
        single = single.assign(id=[(i,) for i in single["id"]])
        rows = pd.concat([grouped, single], ignore_index=True)
    else:
        rows = rows.assign(id=[(i,) for i in rows["id"]])
    return rows.rename(columns={"id": "ids"})


def index_frames(frames: dict[str, tuple[str, object]]) -> SearchIndex:
    """A :class:`SearchIndex` over ``{layer: (kind, frame)}`` (frames in the working CRS)."""
    parts = [_candidates(layer, kind, frame) for layer, (kind, frame) in frames.items()
             if kind in SEARCH_KINDS]
    parts = [p for p in parts if len(p)]
    columns = ["kind", "layer", "ids", "name", "detail", "minx", "miny", "maxx", "maxy"]
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    pinyin = [to_pinyin(n) for n in rows["name"]]
    rows["py"] = [p[0] for p in pinyin]
    rows["py_initials"] = [p[1] for p in pinyin]
    rows["name_fold"] = rows["name"].str.casefold()
    rows["ids_fold"] = [tuple(str(i).casefold() for i in ids) for ids in rows["ids"]]
    return SearchIndex(rows, {layer: kind for layer, (kind, _f) in frames.items()
                              if kind in SEARCH_KINDS})


def build_index(store, *, kinds=SEARCH_KINDS) -> SearchIndex:
    """Index the current version of every layer of a searchable kind in ``store`` (read
    through the store's public ``layers()``/``read()``)."""
    frames = {}
    for info in store.layers():
        if info.kind not in kinds:
            continue
        frames[info.name] = (info.kind, store.read(info.name))
    return index_frames(frames)


def _best(scores: dict[int, tuple[float, str]], i: int, score: float, how: str) -> None:
    if score > scores.get(i, (-1.0, ""))[0]:
        scores[i] = (score, how)


def search(index: SearchIndex, text: str, *, kind: str | None = None,
           limit: int = 20) -> list[Hit]:
    """The best hits for ``text`` in ``index``, best first (at most ``limit``).

    ``kind`` keeps one kind (``river``, ``building``, ``bim_element``…); an unknown kind is
    an error naming the kinds that can be searched.
    """
    from rapidfuzz import fuzz, process

    if kind is not None and kind not in SEARCH_KINDS:
        raise TwinError(f"cannot search kind {kind!r}",
                        hint="use one of " + ", ".join(SEARCH_KINDS))
    query = str(text or "").strip()
    if not query:
        raise TwinError("nothing to search for", hint="give an id, a name or its pinyin")
    rows = index.rows
    if kind is not None:
        rows = rows[rows["kind"] == kind]
    if not len(rows):
        return []
    fold = query.casefold()
    q_py, q_initials = to_pinyin(query)
    positions = np.arange(len(rows))
    names = rows["name_fold"].tolist()
    scores: dict[int, tuple[float, str]] = {}
    for i, ids in zip(positions, rows["ids_fold"].tolist()):
        for value in ids:
            if value == fold:
                _best(scores, i, 100.0, "id")
            elif len(fold) >= 2 and fold in value:
                _best(scores, i, 70.0 + 20.0 * len(fold) / len(value), "id")
    for i, name in zip(positions, names):
        if not name:
            continue
        if name == fold:
            _best(scores, i, 100.0, "name")
        elif fold in name:
            _best(scores, i, 80.0 + 15.0 * len(fold) / len(name), "name")
    if q_py:
        for i, py, ini in zip(positions, rows["py"].tolist(), rows["py_initials"].tolist()):
            if not py:
                continue
            if py == q_py:
                _best(scores, i, 88.0, "pinyin")
            elif len(q_py) >= 3 and q_py in py:
                _best(scores, i, 65.0 + 20.0 * len(q_py) / len(py), "pinyin")
            elif len(q_initials) >= 2 and q_py == q_initials and ini == q_initials:
                _best(scores, i, 70.0, "pinyin")
        for _choice, score, i in process.extract(q_py, rows["py"].tolist(), scorer=fuzz.ratio,
                                                 limit=None, score_cutoff=85.0):
            _best(scores, i, 0.75 * score, "pinyin")
    for _choice, score, i in process.extract(fold, names, scorer=fuzz.WRatio, limit=None,
                                             score_cutoff=_FUZZY_CUTOFF):
        _best(scores, i, 0.8 * score, "fuzzy")
    order = {k: n for n, k in enumerate(SEARCH_KINDS)}
    ranked = sorted(scores.items(), key=lambda item: (
        -item[1][0], order.get(rows["kind"].iat[item[0]], 99), rows["name"].iat[item[0]]))
    hits = []
    for i, (score, how) in ranked[:max(int(limit), 0)]:
        row = rows.iloc[i]
        hits.append(Hit(kind=row["kind"], layer=row["layer"], ids=tuple(str(v) for v in row["ids"]),
                        name=row["name"], score=float(score), match=how,
                        bounds=(float(row["minx"]), float(row["miny"]), float(row["maxx"]),
                                float(row["maxy"])), detail=str(row["detail"])))
    return hits
