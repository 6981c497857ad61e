"""sightline (通视) and viewshed (可视域): a 30 m block, hand-checked, and a brute-force check."""

from __future__ import annotations

import numpy as np
import pytest
from query_frames import X0, Y0, buildings, dem_bytes

import twin.query as q
from twin.query.surface import building_tops, surface_grid
from twin.query.viewshed import viewshed_grid


def _block():
    # a 30 m block 20-40 m east of the eye, 100 m long north-south
    return buildings([{"id": "K", "use": "B1", "height_m": 30.0, "base_elev_m": 0.0,
                       "box": (20, -50, 40, 50)},
                      {"id": "far", "use": "B1", "height_m": 3.0, "base_elev_m": 0.0,
                       "box": (-80, -5, -70, 5)}])


def test_a_30m_block_hides_the_target_from_a_1_5m_eye_and_not_from_40m():
    layers = {"building": _block()}
    vp, target = f"{X0},{Y0}", f"{X0 + 200},{Y0}"
    low = q.run("sightline", layers, viewpoint=vp, targets=target, eye_height_m=1.5)
    row = low.layer.iloc[0]
    assert row["sight"] == "blocked" and row["blocked_by"] == "K"
    # the line is at 1.5 m over the block, 28.5 m under its top
    assert row["clearance_m"] == pytest.approx(1.5 - 30.0)
    high = q.run("sightline", layers, viewpoint=vp, targets=target, eye_height_m=40.0)
    row = high.layer.iloc[0]
    assert row["sight"] == "clear" and row["status"] == "pass"
    # over the far edge (x = 40 of 200 m): 40 − 38.5 × 0.2 = 32.3 m, 2.3 m above the top
    assert row["clearance_m"] == pytest.approx(40 - 38.5 * 40 / 200 - 30.0)
    assert high.summary["clear"] == 1 and low.summary["blocked"] == 1


def test_terrain_ridge_blocks_a_line_that_buildings_do_not():
    elev = np.zeros((50, 300))
    elev[:, 100:110] = 20.0  # a ridge 100-110 m east
    terrain = dem_bytes(elev, cell=1.0)
    b = buildings([{"id": "s", "use": "B1", "height_m": 3.0, "base_elev_m": 0.0,
                    "box": (280, 40, 285, 45)}])
    res = q.run("sightline", {"building": b, "terrain": terrain}, viewpoint=f"{X0 + 5},{Y0 + 25}",
                targets=f"{X0 + 250},{Y0 + 25}")
    assert res.layer.iloc[0]["blocked_by"] == "terrain"


def test_viewshed_behind_the_block_is_hidden_and_the_block_is_seen():
    layers = {"building": _block()}
    res = q.run("viewshed", layers, viewpoint=f"{X0},{Y0}", radius_m=150, cell_m=1.0)
    area = res.extra_layers["visible_area"].union_all()
    import shapely

    assert area.contains(shapely.Point(X0 - 50, Y0 + 20))       # open ground west
    assert not area.contains(shapely.Point(X0 + 100, Y0))       # in the block's shadow
    assert set(res.layer["id"]) == {"K", "far"}
    # the hidden wedge behind the block: everything east of it within about ±51° of east
    share = res.summary["visible_share"]
    assert 0.55 < share < 0.85
    assert res.summary["visible_area_m2"] == pytest.approx(area.area, rel=1e-6)
    # from 200 m up the eye sees over it
    res_up = q.run("viewshed", layers, viewpoint=f"{X0},{Y0}", radius_m=150, cell_m=1.0,
                   eye_height_m=200.0)
    assert res_up.summary["visible_share"] > share + 0.15


def test_ray_casting_agrees_with_a_brute_force_line_per_cell():
    rng = np.random.default_rng(4)
    rows = [{"id": f"b{i}", "use": "R2", "height_m": float(h), "base_elev_m": 0.0,
             "box": (x, y, x + 8, y + 8)}
            for i, (x, y, h) in enumerate(zip(rng.uniform(-60, 50, 25), rng.uniform(-60, 50, 25),
                                             rng.uniform(3, 30, 25)))]
    b = buildings(rows)
    _g, tops = building_tops(b, None)
    r = 60.0
    x0, y0 = X0 + 0.3, Y0 + 0.7
    grid = surface_grid((x0 - r, y0 - r, x0 + r, y0 + r), 2.0, b, tops, None, b.crs)
    z0 = float(grid.z[grid.index([x0], [y0])[0][0], grid.index([x0], [y0])[1][0]]) + 1.5
    vis, within = viewshed_grid(grid, x0, y0, z0, r)
    h, w = grid.z.shape
    agree = total = 0
    for i in range(0, h, 3):
        for j in range(0, w, 3):
            if not within[i, j]:
                continue
            cx, cy = grid.transform.c + (j + 0.5) * grid.cell, grid.transform.f - (i + 0.5) * grid.cell
            d = np.hypot(cx - x0, cy - y0)
            t = np.arange(1, max(2, int(d / 0.5))) * 0.5 / d
            rr, cc, _ = grid.index(x0 + t * (cx - x0), y0 + t * (cy - y0))
            inside = (rr != i) | (cc != j)
            angle = (grid.z[rr, cc][inside] - z0) / (t[inside] * d)
            seen = (grid.z[i, j] - z0) / d >= (angle.max() if len(angle) else -np.inf) - 1e-9
            agree += seen == vis[i, j]
            total += 1
    assert agree / total > 0.95
