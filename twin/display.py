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

import pandas as pd

from .i18n import catalog, label
from .number_format import fmt_value, unit_of

__all__ = ["field_label", "display_value", "display_frame", "VALUE_LABELS"]

# columns whose values are codes with their own catalogue prefix
VALUE_LABELS = {"road_class": "road", "kind": "facility", "facility_kind": "facility",
                "use": "use", "status": "status", "change": "status"}


def field_label(name, lang: str = "zh") -> str:
    """The display name of a column or metric (``col.<name>`` in the catalogue), else the
    name itself."""
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
