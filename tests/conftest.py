"""Shared test fixtures: the third-party data folder, temporary stores."""

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
