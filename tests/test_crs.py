"""The transformers of twin.crs: the same coordinates as pyproj's own, in every thread,
each thread with its own transformer (pyproj would rebuild a shared one per thread)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from pyproj import Transformer

from twin.crs import parse_crs, transform_xy, transformer

PAIRS = [
    ("EPSG:4549", "EPSG:4326", (480_000, 520_000), (3_940_000, 3_970_000)),
    ("EPSG:4326", "EPSG:4549", (119.7, 120.2), (35.5, 35.9)),
    ("EPSG:32650", "EPSG:4549", (700_000, 760_000), (3_940_000, 3_990_000)),
    # two operations to choose from point by point: built from the CRSs
    ("EPSG:28992", "EPSG:3857", (80_000, 250_000), (350_000, 600_000)),
]


@pytest.mark.parametrize("src,dst,xr,yr", PAIRS)
def test_same_coordinates_as_pyproj_in_every_thread(src, dst, xr, yr):
    rng = np.random.default_rng(7)
    x, y = rng.uniform(*xr, 40), rng.uniform(*yr, 40)
    expected = Transformer.from_crs(src, dst, always_xy=True).transform(x, y)
    seen = {}

    def run(name):
        seen[name] = (transformer(src, dst), transform_xy(x, y, src, dst))

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run("main")
    for _, (tx, ty) in seen.values():
        np.testing.assert_allclose(tx, expected[0], rtol=0, atol=1e-9)
        np.testing.assert_allclose(ty, expected[1], rtol=0, atol=1e-9)
    objects = {id(tr) for tr, _ in seen.values()}
    assert len(objects) == 3  # one per thread
    assert transformer(parse_crs(src), dst) is seen["main"][0]  # cached within a thread
