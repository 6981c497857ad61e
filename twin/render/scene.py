"""A :class:`Scene` collects what one map draws: deck.gl layers, their data texts and the
bounds they cover, then builds the deck. A page adds prepared layers and overlays and asks
for the deck; it never keeps the three lists itself.

Example
-------
>>> from twin.render.scene import Scene
>>> scene = Scene()
>>> scene.add_frame(parcels, "parcel", name="parcels")                      # doctest: +SKIP
>>> scene.add(outline_layer(changed, name="changed"), bounds_of=changed)   # doctest: +SKIP
>>> deck = scene.deck(scene.overview())                                     # doctest: +SKIP
"""

from __future__ import annotations

from .deck import CompactDeck, build_deck, overview_view, union_bounds
from .layers import deck_layers
from .prepare import prepare_layer, wgs84_bounds

__all__ = ["Scene"]


class Scene:
    """The layers, data and bounds of one map, in drawing order (bottom first)."""

    def __init__(self):
        self.layers: list = []
        self.data: dict[str, str] = {}
        self.bounds: list[tuple] = []

    def add(self, parts, *, bounds=None, bounds_of=None) -> Scene:
        """Add ``(layers, data)`` as the layer builders return them (``outline_layer``,
        ``ghost_buildings``, ``deck_layers``…); ``bounds`` (WGS84) or ``bounds_of`` (a frame
        in any CRS) extends the map's extent. Returns the scene."""
        layers, data = parts
        self.layers += list(layers)
        self.data.update(data)
        self.include(bounds if bounds_of is None else wgs84_bounds(bounds_of))
        return self

    def add_prepared(self, prepared, **options) -> Scene:
        """Add a :func:`~twin.render.prepare_layer` result (``options`` go to
        :func:`~twin.render.deck_layers`: ``opacity``, ``pickable``…), with its bounds."""
        return self.add(deck_layers(prepared, **options), bounds=prepared.bounds)

    def add_frame(self, frame, kind: str, *, name: str, **options) -> Scene:
        """Prepare a store frame of ``kind`` and add it (see :meth:`add_prepared`)."""
        return self.add_prepared(prepare_layer(frame, kind, name=name), **options)

    def include(self, bounds) -> Scene:
        """Extend the extent by WGS84 ``bounds`` (None is ignored)."""
        if bounds is not None:
            self.bounds.append(tuple(bounds))
        return self

    def extent(self) -> tuple | None:
        """The WGS84 box around everything added, or None."""
        return union_bounds(self.bounds)

    def overview(self) -> dict:
        """The overview camera for :meth:`extent`."""
        return overview_view(self.extent())

    def deck(self, view: dict, **options) -> CompactDeck:
        """The deck of everything added, seen from ``view``; ``options`` go to
        :func:`~twin.render.build_deck` (map style, served data folder…)."""
        return build_deck(self.layers, self.data, view=view, **options)
