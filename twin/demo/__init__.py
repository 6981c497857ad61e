"""The Boli demo twin: a synthetic but plausible model of 泊里镇, built by twin's own code.

:func:`generate` writes the source files (GeoJSON in WGS84, IFC, a GeoTIFF DEM, sensor CSVs
and a README) into a folder; :func:`build` generates them when missing and imports every
file through :func:`twin.importer.import_file`, the path a user's ``twin import`` takes.
``PLANTED`` lists the planning violations planted on purpose, for tests and the queries.

Example
-------
>>> from twin.demo import build
>>> summary = build("data/boli", "layers")  # doctest: +SKIP
"""

from __future__ import annotations

from .build import DEMO_FILES, PLANTED, build, generate, planted
from .layout import ORIGIN, SEED, TOWN_SIZE

__all__ = ["build", "generate", "planted", "PLANTED", "DEMO_FILES", "ORIGIN", "SEED", "TOWN_SIZE"]
