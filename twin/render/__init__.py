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

from ..lazy import lazy_exports

# each public name is imported from its module on first use (pydeck, pandas, shapely
# only when a command draws or tiles)
_LAZY = {
    "BimDetail": ".bim",
    "bim_buildings": ".bim",
    "has_meshes": ".bim",
    "prepare_bim": ".bim",
    "psets_of": ".bim",
    "LOCAL_STYLE_URL": ".deck",
    "TOOLTIP": ".deck",
    "CompactDeck": ".deck",
    "bounds_view": ".deck",
    "build_deck": ".deck",
    "nudge_view": ".deck",
    "overview_view": ".deck",
    "prune_data_dir": ".deck",
    "union_bounds": ".deck",
    "bim_layer": ".layers",
    "deck_layers": ".layers",
    "layer_id": ".layers",
    "split_layer_id": ".layers",
    "attribute_html": ".legend",
    "legend_html": ".legend",
    "map_legend_html": ".legend",
    "plain": ".legend",
    "DRAWN_KINDS": ".prepare",
    "Group": ".prepare",
    "PreparedLayer": ".prepare",
    "compact_json": ".prepare",
    "prepare_features": ".prepare",
    "prepare_layer": ".prepare",
    "latest_readings": ".readings",
    "thresholds": ".readings",
}

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
    "map_legend_html",
    "plain",
    "latest_readings",
    "thresholds",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
