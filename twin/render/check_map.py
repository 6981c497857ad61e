"""IFC elements coloured by the model check (入库检查), for the Import page's preview map.

Each element with a footprint is drawn as a block from its lowest to its highest point
(the model's lowest element at ground level), in one of three classes: ``fail`` (fails
the rule being looked at), ``warn`` (fails only other rules) and ``pass`` (fails none).
The blocks are drawn like buildings (:func:`twin.render.layers.deck_layers`), so the
tooltip ``t`` of each comes from the caller, in the page's language.

Example
-------
>>> from twin.render.check_map import prepare_check
>>> prepared = prepare_check(elements, status, texts, name="preview-check")  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from .prepare import (
    ROOF_LIFT_M,
    STATUS_COLORS,
    PreparedLayer,
    _encode,
    compact_json,
    polygon_rings,
    wgs84_bounds,
)

__all__ = ["CHECK_CLASSES", "prepare_check"]

CHECK_CLASSES = ("fail", "warn", "pass")
MIN_HEIGHT_M = 0.2  # a slab or a plate still shows as a block


def _column(frame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype=float, na_value=np.nan)


def prepare_check(frame, status, texts, *, name: str) -> PreparedLayer:
    """Prepare the bim_element rows of ``frame`` (working CRS; ``z_min_m``/``z_max_m``)
    coloured by ``status`` (one of :data:`CHECK_CLASSES` per row) with tooltip ``texts``
    (one per row). Rows without a footprint are not drawn; ``groups`` count the drawn
    elements of each class, in the order fail, warn, pass."""
    prepared = PreparedLayer(name=name, kind="building", rows=len(frame), color_by="check")
    if frame is None or len(frame) == 0:
        return prepared
    prepared.bounds = wgs84_bounds(frame)
    z_min, z_max = _column(frame, "z_min_m"), _column(frame, "z_max_m")
    ground = float(np.nanmin(z_min)) if np.isfinite(z_min).any() else 0.0
    base = np.where(np.isfinite(z_min), z_min - ground, 0.0)
    height = np.where(np.isfinite(z_max) & np.isfinite(z_min), z_max - z_min, MIN_HEIGHT_M)
    height = np.maximum(height, MIN_HEIGHT_M)
    rings, idx = polygon_rings(frame.geometry.values, frame.crs)
    base_r = np.round(base, 2).tolist()
    height_r = np.round(height, 2).tolist()
    status = [str(s) for s in status]
    recs, keys, roofs = [], [], []
    for ring, i in zip(rings, idx.tolist()):
        z = base_r[i]
        lifted = [np.column_stack([part, np.full(len(part), z)]) for part in ring]
        recs.append({"p": lifted, "h": height_r[i]})
        keys.append(status[i])
        top = z + height_r[i] + ROOF_LIFT_M
        roofs.append({"p": np.column_stack([ring[0], np.full(len(ring[0]), top)]),
                      "t": str(texts[i]), "k": i})
    groups, parts = _encode(recs, keys, {k: STATUS_COLORS[k] for k in CHECK_CLASSES},
                            "polygon", order=list(CHECK_CLASSES))
    if parts:
        parts[0].pick_data = compact_json(roofs)
    prepared.groups, prepared.parts = groups, parts
    return prepared
