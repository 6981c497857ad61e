"""City-scale batch analysis: ``setbacks`` over spatially partitioned buildings with
dask-geopandas on a local cluster gives the embedded query's violations, row for row."""

from __future__ import annotations

import pytest
from test_postgis_pushdown import synthetic_town

from twin.query import get_query
from twin.query.inputs import QueryInputs
from twin.store import ParquetStore

pytest.importorskip("dask_geopandas", reason="dask-geopandas is not installed (extra 'scale')")
distributed = pytest.importorskip("dask.distributed",
                                  reason="dask.distributed is not installed (extra 'scale')")


@pytest.mark.slow
def test_dask_setbacks_on_a_local_cluster_equal_the_embedded_query(tmp_path):
    from twin.scale.dask_setbacks import VIOLATION_COLUMNS, current_files, dask_setbacks

    store = ParquetStore(tmp_path / "layers")
    store.commit(synthetic_town(1500))
    assert set(current_files(store.root)) == {"building", "ifc_lod1", "river", "road"}
    spec = get_query("setbacks")
    params = {"road_setback_by_class": "primary=10,secondary=5"}
    embedded = spec.run(QueryInputs(store), **{**spec.defaults(), **params}).table
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        table, info = dask_setbacks(store.root, partitions=6, workdir=tmp_path,
                                    road_setback_by_class=params["road_setback_by_class"])
    assert info["partitions"] == 12 and info["buildings"] == 1502 + 40
    assert len(table) > 50
    expect = embedded[VIOLATION_COLUMNS].reset_index(drop=True)
    assert table.equals(expect)


def _town_with_a_small_river(tmp_path, buildings: int) -> ParquetStore:
    """A store of ``buildings`` synthetic buildings and one short river in a corner."""
    import geopandas as gpd
    import shapely

    from twin.io.report import LayerData

    town = synthetic_town(buildings)
    river = gpd.GeoDataFrame({"id": ["W9"], "name": ["小河"], "width_m": [4.0],
                              "setback_m": [5.0]},
                             geometry=[shapely.LineString([(491000, 3954000),
                                                           (491050, 3954050)])],
                             crs="EPSG:4549")
    store = ParquetStore(tmp_path / "layers")
    store.commit([town[0], LayerData("river", "river", river)])
    return store


def test_far_partitions_are_skipped(tmp_path):
    from twin.scale.dask_setbacks import dask_setbacks

    store = _town_with_a_small_river(tmp_path, 800)
    table, info = dask_setbacks(store.root, partitions=8, roads=False, workdir=tmp_path)
    assert info["partitions_checked"] < info["partitions"]
    embedded = get_query("setbacks").run(QueryInputs(store), roads=False).table
    assert list(table["building_id"]) == list(embedded["building_id"])


def test_rail_lines_are_not_red_lines_in_the_dask_run_either(tmp_path):
    import geopandas as gpd
    import pandas as pd
    import shapely

    from twin.io.report import LayerData
    from twin.scale.dask_setbacks import dask_setbacks

    town = synthetic_town(300)
    buildings = town[0].data
    x, y = shapely.get_coordinates(buildings.geometry.iloc[0].centroid)[0]
    metro = gpd.GeoDataFrame(  # a metro line straight through the first building
        {"id": ["M13"], "name": ["地铁13号线"], "road_class": ["metro"], "width_m": [10.0]},
        geometry=[shapely.LineString([(x - 50, y), (x + 50, y)])], crs=buildings.crs)
    store = ParquetStore(tmp_path / "layers")
    store.commit([town[0], LayerData("road", "road", metro)])
    table, _ = dask_setbacks(store.root, partitions=2, rivers=False, workdir=tmp_path)
    embedded = get_query("setbacks").run(QueryInputs(store), rivers=False).table
    assert len(table) == len(embedded) == 0
    checked, _ = dask_setbacks(store.root, partitions=2, rivers=False, workdir=tmp_path,
                               skip_road_classes="none")
    assert buildings["id"].iloc[0] in set(pd.Series(checked["building_id"]))


def test_dask_setbacks_reads_through_the_store_and_names_a_corrupt_file(tmp_path):
    from twin.errors import StoreError
    from twin.scale.dask_setbacks import current_files, dask_setbacks

    store = _town_with_a_small_river(tmp_path, 200)
    path = current_files(store.root, "river")["river"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF        # one flipped byte: the file no longer matches its sha256
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"layer 'river' version 1 is corrupt"):
        dask_setbacks(store.root, partitions=2, roads=False, workdir=tmp_path)
    with pytest.raises(StoreError, match="not a twin store folder"):
        dask_setbacks(tmp_path / "nowhere", partitions=2)
