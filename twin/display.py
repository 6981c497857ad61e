"""Field names and values as the app shows them: catalogue labels for column and metric
names (``far_fail`` → 容积率超标), for coded values (road classes, facility kinds, pass/fail)
and numbers by unit (:mod:`twin.number_format`); an empty cell instead of ``None``.

Example
-------
>>> from twin.display import field_label, display_value
>>> field_label("share_gfa_school", "zh"), display_value("road_class", "arterial", "zh")
('学校覆盖建筑面积比例', '主干路')
>>> display_value("gfa_m2", 15865793.035, "zh"), display_value("far_fail", None, "zh")
('1,586.6 万m²', '')
"""

from __future__ import annotations

import re

import pandas as pd

from .i18n import catalog, label, t
from .number_format import fmt_value, unit_of

__all__ = ["field_label", "display_value", "display_frame", "diff_frame", "edit_text",
           "VALUE_LABELS"]

# columns whose values are codes with their own catalogue prefix
VALUE_LABELS = {"road_class": "road", "kind": "facility", "facility_kind": "facility",
                "use": "use", "status": "status", "change": "status"}


def field_label(name, lang: str = "zh") -> str:
    """The display name of a column or metric (``col.<name>`` in the catalogue; the
    coverage query's ``dist_<facility kind>_m`` by the kind's name), else the name itself."""
    text = str(name)
    if f"col.{text}" not in catalog(lang):
        match = re.fullmatch(r"dist_([a-z_]+)_m", text)
        if match:
            return t("col.dist_facility_m", lang, facility=label("facility", match[1], lang))
    return label("col", name, lang)


def _coded(column: str, value, lang: str) -> str | None:
    text = str(value)
    prefix = VALUE_LABELS.get(column)
    if column.endswith("_status") or column in ("status", "change"):
        prefix = "status"
    if prefix is None:
        return None
    key = f"{prefix}.{text.replace(' ', '_')}"
    if key in catalog(lang):
        return catalog(lang)[key]
    if prefix == "facility" and f"sensor.{text}" in catalog(lang):
        return catalog(lang)[f"sensor.{text}"]
    return None


def display_value(column: str, value, lang: str = "zh") -> str:
    """``value`` of ``column`` as text: a coded value's label, a number by the column's unit
    (:func:`twin.number_format.unit_of`), empty for None/NaN; other text unchanged."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        return _coded(column, value, lang) or value
    if isinstance(value, bool):
        return label("status", "yes" if value else "no", lang)
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        try:
            return fmt_value(float(value), unit_of(column), lang) if not isinstance(value, int) \
                else fmt_value(value, unit_of(column), lang)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def display_frame(frame, lang: str = "zh", *, drop=("geometry",)) -> pd.DataFrame:
    """A table of text for ``st.dataframe``: labelled columns, labelled codes, numbers by
    unit, empty cells for None/NaN; ``drop`` columns left out."""
    frame = pd.DataFrame(frame)
    frame = frame.drop(columns=[c for c in drop if c in frame.columns])
    out = {}
    for col in frame.columns:
        name = field_label(col, lang)
        while name in out:
            name += " "
        out[name] = [display_value(str(col), v, lang) for v in frame[col].tolist()]
    return pd.DataFrame(out, index=range(len(frame)))


# diff statuses whose text is not a catalogue key as it stands
_STATUS_KEYS = {"n/a": "na", "new fail": "new_fail"}
_DIFF_NUMBERS = ("before", "after", "delta")


def _diff_status(value, cat: dict) -> str:
    text = str(value)
    key = f"status.{_STATUS_KEYS.get(text, text.replace(' ', '_'))}"
    if key in cat:
        return cat[key]
    if text.startswith("new "):  # a feature the scenario adds, with its status
        return cat.get("status.new", "{status}").format(status=_diff_status(text[4:], cat))
    return text


def _diff_number(value, unit: str, lang: str, *, signed: bool = False) -> str:
    text = fmt_value(value, unit, lang)
    try:
        if signed and float(value) > 0:
            return "+" + text
    except (TypeError, ValueError):
        pass
    return text


def diff_frame(frame, lang: str = "zh", *, titles: dict | None = None) -> pd.DataFrame:
    """A scenario diff table (:class:`twin.scenario.diff.ScenarioDiff`'s ``status_changes``
    or ``indicators``) as text: the query's title (``titles``: ``{query: title}``), the
    feature kind, the check or indicator by its catalogue name (``<query>.m.<key>``, else
    ``col.<key>``), before/after/delta by the indicator's unit (``gfa_m2`` 15865793.035 →
    1,586.6 万m², a positive delta with ``+``), pass/fail and the change labelled
    (``new fail`` → 新增不达标)."""
    frame = pd.DataFrame(frame)
    cat = catalog(lang)
    titles = titles or {}
    out: dict[str, list] = {}
    rows = frame.to_dict(orient="records")
    for col in frame.columns:
        values = []
        for row in rows:
            value = row[col]
            name = str(row.get("indicator", row.get("check", "")))
            missing = value is None or (not isinstance(value, str) and pd.isna(value))
            if missing:
                values.append("")
            elif col == "query":
                values.append(titles.get(str(value), str(value)))
            elif col in ("kind", "scope"):
                values.append(cat.get(f"scope.{value}" if col == "scope" else "")
                              or cat.get(f"kind.{value}", str(value)))
            elif col in ("indicator", "check"):
                own = f"{row.get('query')}.m.{value}"
                values.append(cat.get(own) or field_label(value, lang))
            elif col in _DIFF_NUMBERS and not isinstance(value, str):
                values.append(_diff_number(value, unit_of(name), lang, signed=col == "delta"))
            elif col in ("before", "after", "change"):
                values.append(_diff_status(value, cat))
            elif col == "changed":
                values.append(cat.get("status.yes" if value else "status.no", str(value)))
            else:
                values.append(display_value(str(col), value, lang))
        out[field_label(col, lang)] = values
    return pd.DataFrame(out, index=range(len(frame)))


_EDIT_HIDDEN = ("crs", "sha256", "path")  # how the edit is kept, not what it changes


def edit_text(edit, lang: str = "zh") -> str:
    """A scenario edit (:class:`twin.scenario.model.Edit`) in words: its kind and each field
    it sets by name and unit (``set_parcel id=P001 max_far=0.1`` → ``修改地块指标：编号
    P001，容积率上限 0.1``); a footprint or line by its number of points."""
    fields = edit.to_dict()
    op = fields.pop("op")
    if "x" in fields and "y" in fields:
        fields = {"position": f"{fields.pop('x'):g}, {fields.pop('y'):g}", **fields}
    parts = []
    for name, value in fields.items():
        if name in _EDIT_HIDDEN:
            continue
        if isinstance(value, list) and value and isinstance(value[0], list):
            text = t("scen.points", lang, n=len(value))
        elif name in ("use", "land_use"):
            text = f"{value} {label('landuse', value, lang)}"
        else:
            text = display_value(name, value, lang)
        title = re.sub(r"\s*\([^)]*\)$", "", field_label(name, lang))  # the unit is in the value
        if lang != "zh" and title[:2].istitle():                       # "Water level", not "FAR"
            title = title[0].lower() + title[1:]
        parts.append(f"{title} {text}")
    return t(f"scen.op.{op}", lang) + ("：" if lang == "zh" else ": ") + \
        ("，" if lang == "zh" else ", ").join(parts)
