"""Shared test fixtures: the third-party data folder, temporary stores of each backend
(a fresh PostGIS schema per test), and headless Chromium for the browser tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared(*parts: str) -> Path:
    """A path under ``../shared/data``; the calling test skips when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"third-party test data not present: {path} (../shared/data is optional)")
    return path


@pytest.fixture
def store(tmp_path):
    """An empty embedded store in a temporary folder."""
    from twin.store import ParquetStore

    return ParquetStore(tmp_path / "layers")


@pytest.fixture
def make_pg_store():
    """``make_pg_store(prefix)``: an empty PostGIS store on a new schema of
    ``$TWIN_TEST_PG`` (skips without a server, fails under CI); every store made is
    dropped after the test."""
    from postgis_server import fresh_postgis_store

    made = []

    def make(prefix: str = "t"):
        made.append(fresh_postgis_store(prefix))
        return made[-1]

    yield make
    for pg in made:
        pg.destroy()
        pg.close()


@pytest.fixture
def pg_store(make_pg_store):
    """An empty PostGIS store (skips without a server, fails under CI)."""
    return make_pg_store()


@pytest.fixture(params=["parquet", pytest.param("postgis", marks=pytest.mark.postgis)])
def any_store(request, tmp_path):
    """An empty store of each backend: the contract every backend keeps."""
    if request.param == "parquet":
        from twin.store import ParquetStore

        return ParquetStore(tmp_path / "layers")
    return request.getfixturevalue("make_pg_store")()


@pytest.fixture
def chromium():
    """The headless Chromium the browser tests drive (its path); skips with the reason when
    it or playwright is missing."""
    from app_server import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    pytest.importorskip("playwright", reason="pip install playwright")
    return CHROMIUM
