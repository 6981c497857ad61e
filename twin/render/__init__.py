"""Rendering of the twin's layers for deck.gl: colours, compact layer data, layers, legends,
tooltips and view states. The only package that imports pydeck; it never imports streamlit.

Example
-------
>>> from twin.render import prepare_layer, deck_layers, build_deck, overview_view
>>> prepared = prepare_layer(frame, "building", name="buildings")  # doctest: +SKIP
>>> layers, data = deck_layers(prepared)  # doctest: +SKIP
>>> deck = build_deck(layers, data, view=overview_view(prepared.bounds))  # doctest: +SKIP
"""

from __future__ import annotations

from .bim import BimDetail, bim_buildings, has_meshes, prepare_bim, psets_of
from .deck import (
    LOCAL_STYLE_URL,
    TOOLTIP,
    CompactDeck,
    bounds_view,
    build_deck,
    nudge_view,
    overview_view,
    prune_data_dir,
    union_bounds,
)
from .layers import bim_layer, deck_layers, layer_id, split_layer_id
from .legend import attribute_html, legend_html, plain
from .prepare import (
    DRAWN_KINDS,
    Group,
    PreparedLayer,
    compact_json,
    prepare_features,
    prepare_layer,
)
from .readings import latest_readings, thresholds

__all__ = [
    "BimDetail",
    "bim_buildings",
    "has_meshes",
    "prepare_bim",
    "psets_of",
    "LOCAL_STYLE_URL",
    "TOOLTIP",
    "CompactDeck",
    "bounds_view",
    "build_deck",
    "nudge_view",
    "overview_view",
    "union_bounds",
    "prune_data_dir",
    "bim_layer",
    "deck_layers",
    "layer_id",
    "split_layer_id",
    "DRAWN_KINDS",
    "Group",
    "PreparedLayer",
    "compact_json",
    "prepare_layer",
    "prepare_features",
    "attribute_html",
    "legend_html",
    "plain",
    "latest_readings",
    "thresholds",
]
