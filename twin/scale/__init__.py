"""Past one machine: reading the embedded GeoParquet store with a distributed engine.

Optional: needs the ``scale`` extra (``pip install 'twin[scale]'``: dask-geopandas and
distributed). See ``docs/scale-out.md``.
"""

__all__: list[str] = []
