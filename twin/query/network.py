"""Walking distance over the road network, for ``coverage`` with ``distance="network"``.

The road centrelines are noded at every crossing (``shapely.node``), cut into pieces of at
most ``step_m`` (so that a point can join the network near where it is), and turned into a
graph whose nodes are the vertices and whose edges are the pieces, weighted by length. A
place (a facility, a building's representative point) joins the network at its nearest
vertex, with the straight-line access distance added. Distances from every facility of a
kind at once come from one Dijkstra run (``scipy.sparse.csgraph.dijkstra``) from a virtual
source linked to each facility's vertex by its access distance.

Example
-------
>>> net = RoadNetwork.from_lines(roads.geometry)            # doctest: +SKIP
>>> d = net.distances(facility_points, building_points, limit=1000)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

__all__ = ["RoadNetwork"]


class RoadNetwork:
    """A road graph built from centrelines (see the module docstring)."""

    def __init__(self, nodes: np.ndarray, edges: np.ndarray, weights: np.ndarray):
        self.nodes = nodes
        self.edges = edges
        self.weights = weights
        self._tree = shapely.STRtree(shapely.points(nodes)) if len(nodes) else None

    @classmethod
    def from_lines(cls, lines, *, step_m: float = 25.0) -> RoadNetwork:
        """Build the graph from line geometries (LineString / MultiLineString)."""
        lines = np.asarray(lines, dtype=object)
        lines = lines[~shapely.is_empty(lines) & ~shapely.is_missing(lines)]
        if not len(lines):
            return cls(np.zeros((0, 2)), np.zeros((0, 2), dtype=int), np.zeros(0))
        noded = shapely.segmentize(shapely.node(shapely.union_all(lines)), step_m)
        parts = shapely.get_parts(noded)
        coords, idx = shapely.get_coordinates(parts, return_index=True)
        nodes, inverse = np.unique(np.round(coords, 3), axis=0, return_inverse=True)
        inverse = inverse.ravel()
        same = idx[:-1] == idx[1:]
        a, b = inverse[:-1][same], inverse[1:][same]
        w = np.hypot(*(nodes[a] - nodes[b]).T)
        keep = a != b
        return cls(nodes, np.column_stack([a[keep], b[keep]]), w[keep])

    def snap(self, points) -> tuple[np.ndarray, np.ndarray]:
        """``(node index, access distance)`` of each point's nearest network vertex."""
        points = np.asarray(points, dtype=object)
        if self._tree is None or not len(points):
            return np.zeros(len(points), dtype=int), np.full(len(points), np.inf)
        (p_i, n_i), dist = self._tree.query_nearest(points, return_distance=True,
                                                    all_matches=False)
        node = np.zeros(len(points), dtype=int)
        acc = np.full(len(points), np.inf)
        node[p_i] = n_i
        acc[p_i] = dist
        return node, acc

    def distances(self, sources, targets, *, limit: float = np.inf) -> np.ndarray:
        """Network distance from the nearest of ``sources`` to each of ``targets`` (points),
        access legs included; ``inf`` beyond ``limit`` or when unreachable."""
        targets = np.asarray(targets, dtype=object)
        out = np.full(len(targets), np.inf)
        if not len(sources) or not len(targets) or not len(self.nodes):
            return out
        s_node, s_acc = self.snap(sources)
        t_node, t_acc = self.snap(targets)
        n = len(self.nodes)
        virtual = n
        rows = np.concatenate([self.edges[:, 0], self.edges[:, 1], np.full(len(s_node), virtual)])
        cols = np.concatenate([self.edges[:, 1], self.edges[:, 0], s_node])
        # a zero weight means "no edge" in a sparse graph: keep coincident points connected
        vals = np.concatenate([self.weights, self.weights, np.maximum(s_acc, 1e-9)])
        # parallel pieces between the same two vertices: keep the shortest (coo would sum)
        order = np.lexsort((vals, cols, rows))
        rows, cols, vals = rows[order], cols[order], vals[order]
        first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
        rows, cols, vals = rows[first], cols[first], vals[first]
        graph = coo_matrix((vals, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
        dist = dijkstra(graph, directed=True, indices=virtual, limit=limit)
        out = dist[t_node] + t_acc
        out[out > limit] = np.inf
        return out
