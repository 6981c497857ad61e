"""The fitted first view (twin.render.view) and the terrain mesh (twin.render.terrain) on
small real inputs: a GeoTIFF DEM written with rasterio and a rectangle of parcels."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from twin.crs import working_crs
from twin.render.deck import overview_view
from twin.render.terrain import SITE_DEPTH_M, prepare_terrain, terrain_layer
from twin.render.view import fitted_view, project

BOUNDS = (119.870, 35.712, 119.936, 35.748)  # about 6 × 4 km, like the demo town


def _corners(b):
    return [(b[0], b[1]), (b[2], b[1]), (b[2], b[3]), (b[0], b[3])]


@pytest.mark.parametrize("pitch", [0.0, 40.0, 60.0])
def test_fitted_view_puts_the_bounds_inside_the_frame_and_fills_it(pitch):
    view = fitted_view(BOUNDS, width_px=1000, height_px=640, pitch=pitch, margin=0.02)
    pts = np.array([project(view, *c, width_px=1000, height_px=640) for c in _corners(BOUNDS)])
    assert (pts[:, 0] >= 19).all() and (pts[:, 0] <= 981).all(), pts
    assert (pts[:, 1] >= 12).all() and (pts[:, 1] <= 628).all(), pts
    # one side touches the margin: the largest zoom that fits
    used = max((pts[:, 0].max() - pts[:, 0].min()) / 960, (pts[:, 1].max() - pts[:, 1].min())
               / 614.4)
    assert used > 0.98, used
    # centred in the frame
    assert abs((pts[:, 0].min() + pts[:, 0].max()) / 2 - 500) < 2
    assert abs((pts[:, 1].min() + pts[:, 1].max()) / 2 - 320) < 2


def test_fitted_view_zooms_closer_than_the_flat_box_fit():
    assert fitted_view(BOUNDS, pitch=40.0)["zoom"] > overview_view(BOUNDS)["zoom"] + 0.2


def test_project_is_the_centre_at_the_view_centre_and_north_is_up():
    view = {"longitude": 119.9, "latitude": 35.73, "zoom": 14, "pitch": 45, "bearing": 0}
    assert project(view, 119.9, 35.73, width_px=800, height_px=600) == pytest.approx((400, 300))
    north = project(view, 119.9, 35.735, width_px=800, height_px=600)
    south = project(view, 119.9, 35.725, width_px=800, height_px=600)
    assert north[1] < 300 < south[1]
    assert 300 - north[1] < south[1] - 300  # the far side is foreshortened


@pytest.fixture
def dem_and_site(tmp_path):
    """A 3 × 2 km DEM in the working CRS (10 m cells): a plain at 10 m with a 120 m hill to
    the north-west and the sea (−5 m) along the south; the town's site in its middle."""
    import rasterio
    from rasterio.transform import from_origin

    x0, y1, cell = 488000.0, 3956000.0, 10.0
    cols, rows = 300, 200
    xs = x0 + cell * (np.arange(cols) + 0.5)
    ys = y1 - cell * (np.arange(rows) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    z = 10 + 110 * np.exp(-(((gx - x0 - 300) / 300) ** 2 + ((gy - y1 + 300) / 300) ** 2))
    z = np.where(gy < y1 - 1800, -5.0, z).astype("float32")
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="float32", crs=working_crs(), transform=from_origin(x0, y1, cell,
                                                                                cell)) as dst:
        dst.write(z, 1)
    site = gpd.GeoDataFrame(geometry=[shapely.box(x0 + 1000, y1 - 1500, x0 + 2200, y1 - 700)],
                            crs=working_crs())
    return path, site


def test_terrain_is_flat_under_the_site_and_rises_around_it(dem_and_site):
    path, site = dem_and_site
    mesh = prepare_terrain(path.read_bytes(), site=site, cell_m=100.0)
    quads = json.loads(mesh.data)
    plate, rest = quads[0], quads[1:]
    assert {v[2] for v in plate["p"]} == {SITE_DEPTH_M}
    assert mesh.reference_m == pytest.approx(10.0, abs=0.5)  # the plain at the site's edge
    # site box in metre offsets from the DEM's centre (1500, -1000 from its north-west)
    inside = [q for q in rest if all(-500 < v[0] < 700 and -500 < v[1] < 300 for v in q["p"])]
    assert not inside  # nothing but the plate under the town
    z = np.array([v[2] for q in rest for v in q["p"]])
    assert z.max() > 90  # the hill, relative to the site: ~110 m
    assert z.min() < -10  # the sea below the site
    assert mesh.quads == len(rest) and mesh.payload_bytes < 60_000
    # the hill's sunny (north-west facing) slope is lighter than its far side
    hill = [q for q in rest if max(v[2] for v in q["p"]) > 40]
    west = [sum(q["c"]) for q in hill if np.mean([v[0] for v in q["p"]]) < -1200]
    east = [sum(q["c"]) for q in hill if np.mean([v[0] for v in q["p"]]) > -1200]
    assert np.mean(west) > np.mean(east)


def test_terrain_layer_is_one_unpickable_surface(dem_and_site):
    path, site = dem_and_site
    mesh = prepare_terrain(path, site=site)
    [layer], data = terrain_layer(mesh, name="terrain")
    assert list(data) == ["terrain::terrain"]
    spec = json.loads(layer.to_json())
    assert spec["pickable"] is False and spec["coordinateSystem"] == "meter-offsets"
    assert spec["coordinateOrigin"] == list(mesh.origin)


def test_terrain_offsets_are_ground_metres_in_any_working_crs(tmp_path, monkeypatch):
    # Web Mercator metres are ~1.23 ground metres at Boli's latitude: the mesh's offsets
    # must be true metres around its origin, or the hills drift away from the town
    import json

    import numpy as np
    import rasterio
    from pyproj import Geod, Transformer
    from rasterio.transform import from_origin

    monkeypatch.setenv("TWIN_CRS", "EPSG:3857")
    x0, y1 = Transformer.from_crs(4326, 3857, always_xy=True).transform(119.87, 35.76)
    path = tmp_path / "dem3857.tif"
    with rasterio.open(path, "w", driver="GTiff", width=100, height=100, count=1,
                       dtype="float32", crs="EPSG:3857",
                       transform=from_origin(x0, y1, 100.0, 100.0)) as dst:
        dst.write(np.full((1, 100, 100), 10.0, dtype="float32"))
    mesh = prepare_terrain(path, cell_m=500.0)
    xs = [v[0] for quad in json.loads(mesh.data) for v in quad["p"]]
    drawn = max(xs) - min(xs)  # between the outermost 500 m cell centres, in metres
    to_lonlat = Transformer.from_crs(3857, 4326, always_xy=True)
    (w, lat), (e, _) = (to_lonlat.transform(x0 + 250.0, y1 - 5000.0),
                        to_lonlat.transform(x0 + 10_000.0 - 250.0, y1 - 5000.0))
    ground = Geod(ellps="WGS84").inv(w, lat, e, lat)[2]
    assert abs(drawn - ground) < 0.005 * ground, (drawn, ground)
    assert abs(drawn - 9500.0) > 1000.0  # not the map units
