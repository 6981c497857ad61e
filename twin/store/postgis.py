"""The shared multi-user layer store on a PostGIS server.

The same :class:`~twin.store.base.Store` contract as the embedded GeoParquet store, for
many users at once and for data larger than one machine's memory. Open it with a URL::

    postgresql://user:password@host:5432/dbname?schema=boli

``schema`` (default ``twin``) names the twin inside the database, so one database can hold
several twins. Layout (``S`` is that schema)::

    S.meta               key/value: store format, working CRS, SRID
    S.layers             name, kind, current version
    S.versions           layer, version, created, rows, sha256, source, source_sha256, bbox,
                         report (jsonb), note, table_name, columns (jsonb: names and dtypes)
    S.scenarios          name, current version
    S.scenario_versions  name, version, created, sha256, doc (the scenario JSON text)
    S.attachments        key (sha256 + suffix), created, data: files scenarios refer to
    S_data."<table>"     one table per layer version: ``_row`` (primary key, the row order),
                         ``geometry geometry(Geometry, SRID)`` with a GiST index, one column
                         per attribute; binary columns (BIM meshes) are ``bytea`` next to
                         their rows. A raster version is one row holding its GeoTIFF bytes.

Guarantees
----------
* A commit is ONE transaction: the data tables are created and filled with ``COPY``, then
  a transaction-level advisory lock per layer (taken in name order, so two commits never
  deadlock) serialises the assignment of version numbers, and ``(layer, version)`` is the
  primary key. Concurrent importers each get their own version; none is lost. A failed or
  killed import rolls back, data tables included (PostgreSQL DDL is transactional).
* A version's ``sha256`` is the digest of its canonical data
  (:func:`twin.store.codec.data_sha256`: the
  Arrow IPC stream of the frame with geometries as WKB and no schema metadata; the raw
  bytes for a raster). It identifies the data independently of the backend, so a copy
  between stores can be verified. (The embedded store's ``sha256`` is of its file.)
* Push-down: :meth:`PostGISStore.dwithin_rows` and :meth:`PostGISStore.intersects_rows`
  run ``ST_DWithin`` / ``ST_Intersects`` on the server with the GiST indexes and return row
  positions; :meth:`PostGISStore.read_rows` reads back only those rows. ``select`` and
  ``setbacks`` use them (:mod:`twin.query.pushdown`), so they never load the whole layer.
  :meth:`PostGISStore.where_rows` runs ``select``'s attribute filter as a ``WHERE``
  (compiled by :func:`twin.query.expr.to_sql`, values bound as parameters).

Example
-------
>>> from twin.store import open_store
>>> store = open_store("postgresql://twin:twin@localhost/twin?schema=boli")  # doctest: +SKIP
>>> store.read("building", bbox=(491000, 3954000, 492000, 3955000))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import parse_crs, working_crs
from ..errors import StoreError, TwinError
from ..kinds import get_kind
from .base import LayerInfo, Store, VersionCatalog, VersionInfo
from .codec import data_sha256, json_safe
from .pgconn import connection, shared
from .pgtypes import COPY_TYPES, ROW, column_specs, copy_values, filter_type, restore

__all__ = ["PostGISStore", "data_sha256", "FORMAT"]

FORMAT = "twin-postgis/1"
DEFAULT_SCHEMA = "twin"
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def _iso(value) -> str:
    if isinstance(value, _dt.datetime):
        return value.astimezone(_dt.timezone.utc).isoformat(timespec="seconds")
    return str(value)


def _parse_created(text: str) -> _dt.datetime:
    try:
        value = _dt.datetime.fromisoformat(str(text))
    except ValueError:
        return _now()
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return slug[:40] or "layer"


# -- the store --------------------------------------------------------------------------
class PostGISStore(Store):
    """The layer store in a PostGIS database (see the module docstring for the layout).

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/db?schema=NAME``; ``schema`` defaults to
        ``twin``. Every other query parameter goes to libpq.
    connect_timeout : float
        Seconds to wait for the server before a :class:`StoreError`.
    """

    def __init__(self, url: str, *, connect_timeout: float = 10.0):
        self.url = str(url)
        parts = urlsplit(self.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = DEFAULT_SCHEMA
        rest = []
        for key, value in query:
            if key == "schema":
                schema = value
            else:
                rest.append((key, value))
        if not _SCHEMA.match(schema):
            raise StoreError(f"invalid schema name {schema!r} in the store URL",
                             hint="use lower-case letters, digits and '_' (at most 41)")
        self.schema = schema
        self.data_schema = f"{schema}_data"
        self._dsn = urlunsplit(parts._replace(query=urlencode(rest)))
        from . import redact_url

        self.display_url = redact_url(self.url)
        self.connect_timeout = connect_timeout
        self._shared = shared(self._dsn)
        self._lock = self._shared.lock
        self._ready = False

    def __repr__(self) -> str:
        return f"PostGISStore({self.display_url!r})"

    # -- connection ----------------------------------------------------------------------
    def _connection(self):
        return connection(self._shared, self._dsn, connect_timeout=self.connect_timeout,
                          where=self.display_url)

    def close(self) -> None:
        """Close the connection to the server (it reopens on the next call)."""
        with self._lock:
            shared = self._shared
            if shared.conn is not None and shared.pid == os.getpid():
                shared.conn.close()
            shared.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def _cursor(self, *, write: bool = False):
        """A cursor inside one transaction; server errors become :class:`StoreError`."""
        import psycopg

        with self._lock:
            if write and not self._ready:
                self._bootstrap()
            conn = self._connection()
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield cur
            except TwinError:
                raise
            except psycopg.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise StoreError(f"the PostGIS server refused the operation ({first})",
                                 where=self.display_url) from None

    def _ident(self, *names):
        from psycopg import sql

        return sql.Identifier(*names)

    def _exists(self, cur) -> bool:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL",
                    (f'"{self.schema}".versions',))
        return bool(cur.fetchone()[0])

    def _bootstrap(self) -> None:
        """Create the schemas and catalog tables when missing (under an advisory lock), and
        check that the store's CRS is the working CRS."""
        from psycopg import sql

        conn = self._connection()
        s = self._ident(self.schema)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                        (f"twin-bootstrap:{self.schema}",))
            cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
            if cur.fetchone() is None:
                try:
                    with conn.transaction():
                        cur.execute("CREATE EXTENSION postgis")
                except Exception as exc:  # noqa: BLE001 - any refusal means the same to the user
                    raise StoreError(f"the database has no PostGIS extension and it cannot be "
                                     f"created ({str(exc).strip().splitlines()[0]})",
                                     where=self.display_url,
                                     hint="ask its owner to run CREATE EXTENSION postgis") from None
            if not self._exists(cur):
                for stmt in (
                    "CREATE SCHEMA IF NOT EXISTS {s}",
                    "CREATE SCHEMA IF NOT EXISTS {d}",
                    "CREATE TABLE {s}.meta (key text PRIMARY KEY, value text NOT NULL)",
                    "CREATE TABLE {s}.layers (name text PRIMARY KEY, kind text NOT NULL, "
                    "current integer NOT NULL)",
                    "CREATE TABLE {s}.versions (layer text NOT NULL REFERENCES {s}.layers(name), "
                    "version integer NOT NULL, created timestamptz NOT NULL, rows bigint NOT NULL, "
                    "sha256 text NOT NULL, source text NOT NULL DEFAULT '', "
                    "source_sha256 text NOT NULL DEFAULT '', bbox double precision[], "
                    "report jsonb NOT NULL DEFAULT '{{}}', note text NOT NULL DEFAULT '', "
                    "table_name text NOT NULL UNIQUE, columns jsonb NOT NULL, "
                    "PRIMARY KEY (layer, version))",
                    "CREATE TABLE {s}.scenarios (name text PRIMARY KEY, current integer NOT NULL)",
                    "CREATE TABLE {s}.scenario_versions (name text NOT NULL, "
                    "version integer NOT NULL, created timestamptz NOT NULL, "
                    "sha256 text NOT NULL, doc text NOT NULL, PRIMARY KEY (name, version))",
                    "CREATE SEQUENCE {s}.data_seq",
                ):
                    cur.execute(sql.SQL(stmt).format(s=s, d=self._ident(self.data_schema)))
                cur.execute(sql.SQL("INSERT INTO {}.meta VALUES (%s, %s), (%s, %s), (%s, %s)")
                            .format(s),
                            ("format", FORMAT, "crs", working_crs().to_string(),
                             "srid", str(self._srid_of(working_crs()))))
            cur.execute(sql.SQL("SELECT key, value FROM {}.meta").format(s))
            meta = dict(cur.fetchall())
        if meta.get("format") != FORMAT:
            raise StoreError(f"schema {self.schema!r} holds {meta.get('format')!r}, "
                             f"not a {FORMAT} store", where=self.display_url,
                             hint="choose another ?schema= in the store URL")
        if parse_crs(meta["crs"]) != working_crs():
            raise StoreError(f"the store holds layers in {meta['crs']} but the working CRS is "
                             f"{working_crs().to_string()}", where=self.display_url,
                             hint="set TWIN_CRS to the store's CRS")
        self._meta = meta
        self._ready = True

    @staticmethod
    def _srid_of(crs) -> int:
        return crs.to_epsg() or 0

    def _store_crs(self, cur) -> str:
        meta = getattr(self, "_meta", None)
        if meta is None:
            cur.execute(self._sql("SELECT key, value FROM {s}.meta"))
            self._meta = dict(cur.fetchall())
        return self._meta["crs"]

    def _sql(self, text: str, **idents):
        from psycopg import sql

        return sql.SQL(text).format(s=self._ident(self.schema), d=self._ident(self.data_schema),
                                    **{k: (v if isinstance(v, sql.Composable)
                                           else self._ident(*v) if isinstance(v, tuple)
                                           else self._ident(v)) for k, v in idents.items()})

    def destroy(self) -> None:
        """Drop this twin's schemas and everything in them (for tests and benchmarks)."""
        with self._lock:
            conn = self._connection()
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(self._sql("DROP SCHEMA IF EXISTS {d} CASCADE"))
                cur.execute(self._sql("DROP SCHEMA IF EXISTS {s} CASCADE"))
            self._ready = False
            self.__dict__.pop("_meta", None)

    # -- catalog reads -------------------------------------------------------------------
    def _layer_row(self, cur, layer: str) -> tuple[str, int]:
        row = None
        if self._exists(cur):
            cur.execute(self._sql("SELECT kind, current FROM {s}.layers WHERE name = %s"),
                        (layer,))
            row = cur.fetchone()
        if row is None:
            names = []
            if self._exists(cur):
                cur.execute(self._sql("SELECT name FROM {s}.layers"))
                names = sorted(r[0] for r in cur.fetchall())
            raise StoreError(f"no layer called {layer!r}", where=self.display_url,
                             hint=f"layers in this store: {', '.join(names) or 'none'}")
        return row

    def _version_row(self, cur, layer: str, version: int | None) -> dict:
        kind, current = self._layer_row(cur, layer)
        number = int(version or current)
        cur.execute(self._sql("SELECT version, created, rows, sha256, source, source_sha256, "
                              "bbox, report, note, table_name, columns FROM {s}.versions "
                              "WHERE layer = %s AND version = %s"), (layer, number))
        row = cur.fetchone()
        if row is None:
            cur.execute(self._sql("SELECT version FROM {s}.versions WHERE layer = %s "
                                  "ORDER BY version"), (layer,))
            have = [r[0] for r in cur.fetchall()]
            raise StoreError(f"layer {layer!r} has no version {number}", hint=f"versions: {have}")
        keys = ("version", "created", "rows", "sha256", "source", "source_sha256", "bbox",
                "report", "note", "table_name", "columns")
        out = dict(zip(keys, row))
        out["kind"] = kind
        out["current"] = current
        return out

    @staticmethod
    def _info(layer: str, kind: str, v: dict) -> VersionInfo:
        return VersionInfo(layer=layer, version=v["version"], kind=kind,
                           created=_iso(v["created"]), rows=int(v["rows"]), sha256=v["sha256"],
                           source=v["source"], source_sha256=v["source_sha256"],
                           bbox=list(v["bbox"]) if v["bbox"] is not None else None,
                           report=v["report"] or {}, note=v["note"])

    def crs(self) -> str | None:
        """The ``crs`` in the schema's meta table (the working CRS the store was made
        with); None while the store holds no layer. Reads without the write-time check."""
        with self._cursor() as cur:
            if not self._exists(cur):
                return None
            cur.execute(self._sql("SELECT value FROM {s}.meta WHERE key = 'crs' "
                                  "AND EXISTS (SELECT 1 FROM {s}.layers)"))
            row = cur.fetchone()
        return row[0] if row else None

    def layers(self) -> list[LayerInfo]:
        """The layers in the store, sorted by name."""
        with self._cursor() as cur:
            if not self._exists(cur):
                return []
            cur.execute(self._sql(
                "SELECT l.name, l.kind, l.current, "
                "(SELECT count(*) FROM {s}.versions c WHERE c.layer = l.name), "
                "v.rows, v.bbox, v.source, v.sha256 FROM {s}.layers l "
                "JOIN {s}.versions v ON v.layer = l.name AND v.version = l.current"))
            rows = cur.fetchall()
        return [LayerInfo(name=r[0], kind=r[1], current=r[2], versions=int(r[3]), rows=int(r[4]),
                          bbox=list(r[5]) if r[5] is not None else None, source=r[6],
                          sha256=r[7] or "")
                for r in sorted(rows, key=lambda r: r[0])]

    def versions(self, layer: str) -> list[VersionInfo]:
        """Every version of ``layer``, oldest first."""
        with self._cursor() as cur:
            kind, _ = self._layer_row(cur, layer)
            cur.execute(self._sql("SELECT version, created, rows, sha256, source, source_sha256, "
                                  "bbox, report, note FROM {s}.versions WHERE layer = %s "
                                  "ORDER BY version"), (layer,))
            keys = ("version", "created", "rows", "sha256", "source", "source_sha256", "bbox",
                    "report", "note")
            return [self._info(layer, kind, dict(zip(keys, r))) for r in cur.fetchall()]

    def current_version(self, layer: str) -> int:
        """The version that reads return."""
        with self._cursor() as cur:
            return self._layer_row(cur, layer)[1]

    def table_name(self, layer: str, version: int | None = None) -> str:
        """The qualified SQL name of a layer version's data table (for other SQL tools)."""
        with self._cursor() as cur:
            v = self._version_row(cur, layer, version)
        return f'"{self.data_schema}"."{v["table_name"]}"'

    # -- reading data --------------------------------------------------------------------
    def read(self, layer: str, *, bbox=None, columns=None, version: int | None = None):
        """Read a layer version as a GeoDataFrame (geometry kinds), DataFrame (tables) or
        bytes (rasters); ``bbox`` keeps the rows whose bounding box meets it (``&&``, GiST)."""
        return self._read(layer, bbox=bbox, columns=columns, version=version)

    def read_rows(self, layer: str, rows, *, columns=None, version: int | None = None):
        """Only the rows at positions ``rows`` (0-based, in the layer's order) of a layer
        version, indexed by those positions; what a pushed-down query reads back."""
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        frame = self._read(layer, columns=columns, version=version, rows=rows)
        if len(frame) != len(rows):
            raise StoreError(f"layer {layer!r} has no rows {rows[-1]}", where=self.display_url)
        frame.index = pd.Index(rows)
        return frame

    def _read(self, layer: str, *, bbox=None, columns=None, version=None, rows=None):
        from psycopg import sql

        with self._cursor() as cur:
            v = self._version_row(cur, layer, version)
            kind = get_kind(v["kind"])
            table = self._ident(self.data_schema, v["table_name"])
            if kind.is_raster:
                cur.execute(sql.SQL("SELECT data FROM {}").format(table), binary=True)
                return bytes(cur.fetchone()[0])
            specs = v["columns"]
            geom = next((s for s in specs if s["pg"] == "geometry"), None)
            if columns is not None:
                wanted = list(dict.fromkeys(str(c) for c in columns))
                by_name = {s["name"]: s for s in specs}
                missing = [c for c in wanted if c not in by_name]
                if missing:
                    raise StoreError(f"layer {layer!r} has no column {missing[0]!r}",
                                     where=self.display_url,
                                     hint="columns: " + ", ".join(by_name))
                if geom is not None and geom["name"] not in wanted:
                    wanted.append(geom["name"])
                specs = [by_name[c] for c in wanted]
            select = [sql.SQL("ST_AsBinary({})").format(self._ident(s["column"]))
                      if s["pg"] == "geometry" else self._ident(s["column"]) for s in specs]
            query = sql.SQL("SELECT {} FROM {}").format(
                sql.SQL(", ").join(select) if select else sql.SQL("1"), table)
            params: tuple = ()
            if bbox is not None and geom is not None:
                minx, miny, maxx, maxy = (float(b) for b in bbox)
                query += sql.SQL(" WHERE {} && ST_MakeEnvelope(%s, %s, %s, %s, %s)").format(
                    self._ident(geom["column"]))
                params = (minx, miny, maxx, maxy, self._srid_of(working_crs()))
            if rows is not None:
                query += sql.SQL(" AND " if params else " WHERE ")
                query += sql.SQL("{} = ANY(%s)").format(self._ident(ROW))
                params = (*params, [int(r) for r in rows])
            query += sql.SQL(" ORDER BY {}").format(self._ident(ROW))
            cur.execute(query, params, binary=True)
            rows = cur.fetchall()
            crs = self._store_crs(cur)
        cols = list(zip(*rows)) if rows else [()] * len(specs)
        data = {}
        for spec, values in zip(specs, cols):
            if spec["pg"] == "geometry":
                wkb = np.array([None if b is None else bytes(b) for b in values], dtype=object)
                data[spec["name"]] = gpd.GeoSeries(shapely.from_wkb(wkb), crs=crs)
            else:
                data[spec["name"]] = restore(list(values), spec, crs)
        if kind.is_table or geom is None:
            return pd.DataFrame(data, columns=[s["name"] for s in specs])
        frame = gpd.GeoDataFrame(data, columns=[s["name"] for s in specs],
                                 geometry=geom["name"], crs=crs)
        return frame

    def raster_path(self, layer: str, version: int | None = None) -> Path:
        """A local GeoTIFF file with a raster layer's bytes (cached by digest), for rasterio."""
        data = self.read(layer, version=version)
        if not isinstance(data, bytes):
            raise StoreError(f"layer {layer!r} is not a raster", where=self.display_url)
        folder = Path(tempfile.gettempdir()) / "twin-raster-cache"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{hashlib.sha256(data).hexdigest()}.tif"
        if not path.exists():
            from .atomic import atomic_write_bytes

            atomic_write_bytes(path, data)
        return path

    # -- writing -------------------------------------------------------------------------
    def _write_table(self, cur, name: str, kind_name: str, data) -> dict:
        """Create and fill one data table inside the open transaction; returns its meta."""
        from psycopg import sql

        kind = get_kind(kind_name)
        cur.execute(self._sql("SELECT nextval('{s}.data_seq')"))
        table_name = f"{_slug(name)}__{cur.fetchone()[0]}"
        table = self._ident(self.data_schema, table_name)
        srid = self._srid_of(working_crs())
        meta: dict = {"table_name": table_name}
        if kind.is_raster:
            payload = bytes(data)
            cur.execute(sql.SQL("CREATE TABLE {} ({} bigint PRIMARY KEY, data bytea NOT NULL)")
                        .format(table, self._ident(ROW)))
            cur.execute(sql.SQL("INSERT INTO {} VALUES (0, %s)").format(table), (payload,))
            meta.update(rows=1, bbox=None, sha256=data_sha256(payload),
                        columns=[{"name": "data", "column": "data", "dtype": "bytes",
                                  "pg": "bytea"}])
            return meta
        frame = data
        geometry = None
        if isinstance(frame, gpd.GeoDataFrame) and not kind.is_table:
            geometry = frame.geometry.name
        specs = column_specs(frame, geometry)
        defs = [sql.SQL("{} bigint NOT NULL").format(self._ident(ROW))]
        for spec in specs:
            if spec["pg"] == "geometry":
                typ = (sql.SQL("geometry(Geometry, {})").format(sql.Literal(srid)) if srid
                       else sql.SQL("geometry"))
            else:
                typ = sql.SQL(spec["pg"])
            defs.append(sql.SQL("{} {}").format(self._ident(spec["column"]), typ))
        cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(defs)))
        columns = [np.arange(len(frame), dtype=np.int64).tolist()]
        types = ["int8"]
        for spec, col in zip(specs, frame.columns):
            if spec["pg"] == "geometry":
                geoms = shapely.set_srid(np.asarray(frame[col].values, dtype=object), srid)
                columns.append(shapely.to_wkb(geoms, include_srid=bool(srid)).tolist())
                types.append(self._geometry_oid(cur))
            else:
                columns.append(copy_values(frame[col], spec["pg"]))
                types.append(COPY_TYPES[spec["pg"]])
        names = [self._ident(ROW)] + [self._ident(s["column"]) for s in specs]
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            table, sql.SQL(", ").join(names))
        with cur.copy(copy_sql) as copy:
            copy.set_types(types)
            for row in zip(*columns):
                copy.write_row(row)
        cur.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
            table, self._ident(ROW)))
        if geometry is not None:
            cur.execute(sql.SQL("CREATE INDEX ON {} USING gist ({})").format(
                table, self._ident(next(s["column"] for s in specs if s["pg"] == "geometry"))))
        cur.execute(sql.SQL("ANALYZE {}").format(table))
        bbox = None
        if geometry is not None and len(frame):
            bounds = frame.total_bounds
            if np.all(np.isfinite(bounds)):
                bbox = [round(float(b), 3) for b in bounds]
        meta.update(rows=len(frame), bbox=bbox, sha256=data_sha256(frame), columns=specs)
        return meta

    @staticmethod
    def _geometry_oid(cur) -> int:
        """The oid of PostGIS's geometry type, with a binary dumper for EWKB bytes registered
        on ``cur`` (so that COPY sends geometries as binary EWKB)."""
        from psycopg.types import TypeInfo
        from psycopg.types.string import BytesBinaryDumper

        info = TypeInfo.fetch(cur.connection, "geometry")
        if info is None:
            raise StoreError("the database has no geometry type",
                             hint="CREATE EXTENSION postgis in it")

        class GeometryBinaryDumper(BytesBinaryDumper):
            oid = info.oid

        cur.adapters.register_dumper(None, GeometryBinaryDumper)
        return info.oid

    def _lock_names(self, cur, prefix: str, names) -> None:
        for name in sorted(set(names)):
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                        (f"twin:{self.schema}:{prefix}:{name}",))

    def _insert_version(self, cur, layer: str, number: int, meta: dict, *, created, source,
                        source_sha256, report, note) -> None:
        from psycopg.types.json import Jsonb

        cur.execute(self._sql(
            "INSERT INTO {s}.versions (layer, version, created, rows, sha256, source, "
            "source_sha256, bbox, report, note, table_name, columns) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"),
            (layer, number, created, meta["rows"], meta["sha256"], source or "",
             source_sha256 or "", meta["bbox"], Jsonb(json_safe(report or {})), note or "",
             meta["table_name"], Jsonb(meta["columns"])))

    # -- the backend's part of the bookkeeping (see Store.commit) ------------------------
    @contextlib.contextmanager
    def _writing(self):
        """One transaction: every data table staged in it, and the catalog rows, commit or
        roll back together (PostgreSQL DDL is transactional)."""
        with self._cursor(write=True) as cur:
            outer = getattr(self, "_write_cur", None)
            self._write_cur = cur  # used only while this thread holds the store's lock
            try:
                yield
            finally:
                self._write_cur = outer

    def _stage_layer(self, name: str, kind: str, data) -> dict:
        return self._write_table(self._write_cur, name, kind, data)

    def _stage_scenario(self, name: str, doc: dict) -> dict:
        text = json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True)
        return {"doc": text, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}

    @contextlib.contextmanager
    def _catalog(self, what: str, names):
        cur = self._write_cur
        self._lock_names(cur, what, names)
        yield _SqlCatalog(self, cur)

    # -- push-down: spatial predicates evaluated on the server ---------------------------
    def row_count(self, layer: str, version: int | None = None) -> int:
        """The number of rows of a layer version (from the catalog, no data read)."""
        with self._cursor() as cur:
            return int(self._version_row(cur, layer, version)["rows"])

    def dwithin_rows(self, layer: str, geometries, distance, *,
                     version: int | None = None) -> np.ndarray:
        """Positions of the rows of ``layer`` within ``distance`` of any of ``geometries``.

        ``geometries`` are shapely geometries in the working CRS (sent as WKB), ``distance``
        a number or one per geometry. The server answers with ``ST_DWithin`` on the layer's
        GiST index (distance ≤ d, as shapely's ``dwithin``); the layer is never loaded.
        """
        return self._match_rows(layer, geometries, distance, "dwithin", version)

    def intersects_rows(self, layer: str, geometries, *,
                        version: int | None = None) -> np.ndarray:
        """Positions of the rows of ``layer`` that intersect any of ``geometries``
        (``ST_Intersects`` on the layer's GiST index)."""
        return self._match_rows(layer, geometries, 0.0, "intersects", version)

    def _match_rows(self, layer, geometries, distance, predicate, version) -> np.ndarray:
        from psycopg import sql

        geoms = np.asarray(geometries, dtype=object)
        dist = np.broadcast_to(np.asarray(distance, dtype=float), geoms.shape)
        keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & np.isfinite(dist) \
            & (dist >= 0)
        if not keep.any():
            return np.zeros(0, dtype=np.int64)
        wkb = [bytes(b) for b in shapely.to_wkb(geoms[keep])]
        test = {"dwithin": "ST_DWithin(t.{geom}, r.g, r.d)",
                "intersects": "ST_Intersects(t.{geom}, r.g)"}[predicate]
        with self._cursor() as cur:
            v = self._version_row(cur, layer, version)
            geom = next((s["column"] for s in v["columns"] if s["pg"] == "geometry"), None)
            if geom is None:
                raise StoreError(f"layer {layer!r} has no geometry", where=self.display_url)
            query = sql.SQL(
                "SELECT DISTINCT t.{row} FROM {table} t JOIN (SELECT ST_GeomFromWKB(w, %s) AS g, "
                "d FROM unnest(%s::bytea[], %s::float8[]) AS u(w, d)) r "
                "ON " + test + " ORDER BY 1").format(
                row=self._ident(ROW), table=self._ident(self.data_schema, v["table_name"]),
                geom=self._ident(geom))
            cur.execute(query, (self._srid_of(working_crs()), wkb, dist[keep].tolist()))
            return np.array([r[0] for r in cur.fetchall()], dtype=np.int64)

    # -- attachments ---------------------------------------------------------------------
    def where_rows(self, layer: str, ast, *, version: int | None = None):
        """Positions of the rows of ``layer`` where the parsed filter ``ast``
        (:func:`twin.query.expr.parse`) holds, found by a ``WHERE`` on the server.

        The condition comes from :func:`twin.query.expr.to_sql` with this layer's column
        names (quoted) and types: values are bound parameters. None when the filter has no
        exact SQL form here (a column of another type, a case-folding ``contains``); the
        caller then filters in memory. An unknown column is the filter's
        :class:`~twin.errors.QueryError`.
        """
        from psycopg import sql

        from ..query.expr import Untranslatable, to_sql

        with self._cursor() as cur:
            v = self._version_row(cur, layer, version)
            specs = [s for s in v["columns"] if s["pg"] != "geometry"]
            try:
                condition, params = to_sql(ast, columns={s["name"]: s["column"] for s in specs},
                                           types={s["name"]: filter_type(s) for s in specs})
            except Untranslatable:
                return None
            query = sql.SQL("SELECT {row} FROM {table} WHERE ").format(
                row=self._ident(ROW), table=self._ident(self.data_schema, v["table_name"]))
            query += sql.SQL(condition) + sql.SQL(" ORDER BY 1")
            cur.execute(query, params)
            return np.array([r[0] for r in cur.fetchall()], dtype=np.int64)

    def _attachment_table(self, cur) -> None:
        cur.execute(self._sql("CREATE TABLE IF NOT EXISTS {s}.attachments (key text PRIMARY KEY, "
                              "created timestamptz NOT NULL, data bytea NOT NULL)"))

    def save_attachment(self, data: bytes, suffix: str) -> tuple[str, bool]:
        """Keep ``data`` in the ``attachments`` table, named by its content."""
        key = self.attachment_key(data, suffix)
        with self._cursor(write=True) as cur:
            self._attachment_table(cur)
            cur.execute(self._sql("INSERT INTO {s}.attachments VALUES (%s, %s, %s) "
                                  "ON CONFLICT (key) DO NOTHING"), (key, _now(), bytes(data)))
            return key, cur.rowcount == 1

    def attachments(self) -> list[str]:
        """The keys of the stored attachments, sorted."""
        with self._cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{self.schema}".attachments',))
            if not cur.fetchone()[0]:
                return []
            cur.execute(self._sql("SELECT key FROM {s}.attachments ORDER BY key"))
            return [r[0] for r in cur.fetchall()]

    def read_attachment(self, key: str) -> bytes:
        """The bytes of attachment ``key`` (its sha256 checked)."""
        row = None
        if key in self.attachments():
            with self._cursor() as cur:
                cur.execute(self._sql("SELECT data FROM {s}.attachments WHERE key = %s"),
                            (key,), binary=True)
                row = cur.fetchone()
        if row is None:
            raise StoreError(f"no attachment called {key!r}", where=self.display_url)
        data = bytes(row[0])
        if not self.attachment_matches(key, hashlib.sha256(data).hexdigest()):
            raise StoreError(f"attachment {key!r} is corrupt (sha256 mismatch)",
                             where=self.display_url, hint="add the file again")
        return data

    def attachment_path(self, key: str) -> Path:
        """A local copy of attachment ``key`` (cached by its name), for a file reader."""
        folder = Path(tempfile.gettempdir()) / "twin-attachment-cache"
        path = folder / key
        if not path.is_file() or not self.attachment_matches(
                key, hashlib.sha256(path.read_bytes()).hexdigest()):
            data = self.read_attachment(key)
            folder.mkdir(parents=True, exist_ok=True)
            from .atomic import atomic_write_bytes

            atomic_write_bytes(path, data)
        return path

    def delete_attachment(self, key: str) -> None:
        """Remove attachment ``key``."""
        if key not in self.attachments():
            return
        with self._cursor(write=True) as cur:
            cur.execute(self._sql("DELETE FROM {s}.attachments WHERE key = %s"), (key,))

    # -- scenarios -----------------------------------------------------------------------
    def load_scenario(self, name: str, version: int | None = None) -> dict:
        """The current (or given) version of a scenario document."""
        with self._cursor() as cur:
            number = int(version or self._scenario_current(cur, name))
            cur.execute(self._sql("SELECT doc FROM {s}.scenario_versions "
                                  "WHERE name = %s AND version = %s"), (name, number))
            doc = cur.fetchone()
            if doc is None:
                cur.execute(self._sql("SELECT version FROM {s}.scenario_versions "
                                      "WHERE name = %s ORDER BY version"), (name,))
                have = [r[0] for r in cur.fetchall()]
                raise StoreError(f"scenario {name!r} has no version {number}",
                                 hint=f"versions: {have}")
        return json.loads(doc[0])

    def scenarios(self) -> list[str]:
        """Names of stored scenarios."""
        with self._cursor() as cur:
            if not self._exists(cur):
                return []
            cur.execute(self._sql("SELECT name FROM {s}.scenarios"))
            return sorted(r[0] for r in cur.fetchall())

    def scenario_versions(self, name: str) -> list[dict]:
        """The versions of scenario ``name``, oldest first: ``version``, ``created``,
        ``sha256`` and ``current`` (True for the one loads return)."""
        with self._cursor() as cur:
            current = self._scenario_current(cur, name)
            cur.execute(self._sql("SELECT version, created, sha256 FROM {s}.scenario_versions "
                                  "WHERE name = %s ORDER BY version"), (name,))
            return [{"version": r[0], "created": _iso(r[1]), "sha256": r[2],
                     "current": r[0] == current} for r in cur.fetchall()]

    def _scenario_current(self, cur, name: str) -> int:
        """The current version of scenario ``name``; a clear error when there is none."""
        row = None
        if self._exists(cur):
            cur.execute(self._sql("SELECT current FROM {s}.scenarios WHERE name = %s"), (name,))
            row = cur.fetchone()
        if row is None:
            raise StoreError(f"no scenario called {name!r}",
                             hint="create it with `twin scenario new NAME`")
        return int(row[0])


class _SqlCatalog(VersionCatalog):
    """The catalog tables, in the write's transaction, with the names locked."""

    def __init__(self, store: PostGISStore, cur):
        self.store = store
        self.cur = cur

    def _one(self, text: str, params: tuple):
        self.cur.execute(self.store._sql(text), params)
        return self.cur.fetchone()

    def _column(self, text: str, params: tuple) -> list:
        self.cur.execute(self.store._sql(text), params)
        return [r[0] for r in self.cur.fetchall()]

    def layer(self, name):
        row = self._one("SELECT kind, current FROM {s}.layers WHERE name = %s", (name,))
        return None if row is None else (row[0], int(row[1]))

    def layer_versions(self, name):
        return self._column("SELECT version FROM {s}.versions WHERE layer = %s", (name,))

    def require_version(self, name, number):
        self.store._version_row(self.cur, name, int(number))

    def add_layer(self, name, kind):
        self.cur.execute(self.store._sql("INSERT INTO {s}.layers VALUES (%s, %s, 0)"),
                         (name, kind))

    def add_version(self, name, number, staged, *, created, source, source_sha256, report,
                    note):
        self.store._insert_version(self.cur, name, number, staged,
                                   created=_parse_created(created), source=source,
                                   source_sha256=source_sha256, report=report, note=note)

    def set_current(self, name, number):
        self.cur.execute(self.store._sql("UPDATE {s}.layers SET current = %s WHERE name = %s"),
                         (int(number), name))

    def scenario_current(self, name):
        row = self._one("SELECT current FROM {s}.scenarios WHERE name = %s", (name,))
        return None if row is None else int(row[0])

    def scenario_versions(self, name):
        return self._column("SELECT version FROM {s}.scenario_versions WHERE name = %s",
                            (name,))

    def add_scenario_version(self, name, number, staged, *, created):
        self.cur.execute(self.store._sql(
            "INSERT INTO {s}.scenario_versions VALUES (%s, %s, %s, %s, %s)"),
            (name, int(number), _parse_created(created), staged["sha256"], staged["doc"]))

    def set_scenario_current(self, name, number):
        if number is None:  # forgotten: off the list; its versions stay for audit
            self.cur.execute(self.store._sql("DELETE FROM {s}.scenarios WHERE name = %s"),
                             (name,))
            return
        self.cur.execute(self.store._sql(
            "INSERT INTO {s}.scenarios VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET current = EXCLUDED.current"), (name, int(number)))
