"""Move a whole twin between two stores: every layer with all its versions, the current
pointers, every scenario with all its versions, and the attachments they refer to.

Each layer (and each scenario) is written with :meth:`~twin.store.base.Store.import_layer`
(:meth:`~twin.store.base.Store.import_scenario`): one transaction on PostGIS, one catalog
update in the embedded store, so a layer arrives with its whole history or not at all.
Versions keep their numbers, creation times, sources, reports and notes; only the
backend-specific ``sha256`` is recomputed by the destination. With ``verify`` every version
is read back from the destination and compared with the source by its canonical digest
(:func:`twin.store.codec.data_sha256`), so a lossy copy is an error, not a surprise.

Example
-------
>>> from twin.store.copy import copy_store
>>> copy_store("layers", "postgresql://twin:twin@localhost/twin?schema=boli")  # doctest: +SKIP
{'layers': {'building': 2, ...}, 'scenarios': {...}, 'rows': 12345, 'verified': True}
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import StoreError
from . import open_store
from .base import Store

__all__ = ["copy_store"]


def _open(store) -> Store:
    return store if isinstance(store, Store) else open_store(store)


def copy_store(src, dst, *, verify: bool = True,
               progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Copy every layer version and scenario version of ``src`` into ``dst``.

    Parameters
    ----------
    src, dst : Store or str
        Stores or store URLs (a folder or ``postgresql://…``).
    verify : bool
        Read every copied version back from ``dst`` and compare its canonical digest with
        the source's; a difference raises :class:`StoreError` naming the layer and version.
    progress : callable, optional
        ``progress(done, total, message)`` after each layer and scenario.

    Returns
    -------
    dict
        ``{"layers": {name: versions copied}, "scenarios": {name: versions copied},
        "rows": rows copied over all versions, "verified": verify, "attachments": files}``.

    Raises
    ------
    StoreError
        When ``dst`` already holds a layer or scenario of ``src`` (nothing is written), or
        when a read, write or verification fails (layers already copied stay).
    """
    from .codec import data_sha256

    src, dst = _open(src), _open(dst)
    if src.url == dst.url and type(src) is type(dst) and getattr(src, "schema", None) == \
            getattr(dst, "schema", None):
        raise StoreError("source and destination are the same store", where=str(src.url))
    layers = src.layers()
    scenarios = src.scenarios()
    have_layers = {info.name for info in dst.layers()}
    have_scenarios = set(dst.scenarios())
    clash = sorted(have_layers & {i.name for i in layers})
    clash_sc = sorted(have_scenarios & set(scenarios))
    if clash or clash_sc:
        what = ", ".join([f"layer {n}" for n in clash] + [f"scenario {n}" for n in clash_sc])
        raise StoreError(f"the destination already holds {what}", where=_where(dst),
                         hint="copy into an empty store (or another ?schema=)")
    attachments = src.attachments()
    total = len(layers) + len(scenarios)
    done = 0
    out: dict = {"layers": {}, "scenarios": {}, "rows": 0, "verified": verify}
    for info in layers:
        versions = src.versions(info.name)
        digests: dict[int, str] = {}

        def history(name=info.name, versions=versions, digests=digests):
            for v in versions:
                data = src.read(name, version=v.version)
                if verify:
                    digests[v.version] = data_sha256(data)
                yield v, data

        dst.import_layer(info.name, info.kind, history(),
                         current=src.current_version(info.name))
        if verify:
            for v in versions:
                got = data_sha256(dst.read(info.name, version=v.version))
                if got != digests[v.version]:
                    raise StoreError(f"layer {info.name!r} version {v.version} differs after "
                                     "the copy (canonical digest mismatch)", where=_where(dst),
                                     hint="report this: a column type did not survive the copy")
        out["layers"][info.name] = len(versions)
        out["rows"] += sum(v.rows for v in versions)
        done += 1
        if progress:
            progress(done, total, f"layer {info.name}")
    for name in scenarios:
        metas = src.scenario_versions(name)
        current = next(m["version"] for m in metas if m["current"])
        docs = [(m, src.load_scenario(name, m["version"])) for m in metas]
        dst.import_scenario(name, iter(docs), current=current)
        if verify:
            for meta, doc in docs:
                if dst.load_scenario(name, meta["version"]) != doc:
                    raise StoreError(f"scenario {name!r} version {meta['version']} differs "
                                     "after the copy", where=_where(dst))
        out["scenarios"][name] = len(metas)
        done += 1
        if progress:
            progress(done, total, f"scenario {name}")
    for key in attachments:  # files the scenarios refer to, by content
        dst.save_attachment(src.read_attachment(key), "." + key.split(".", 1)[1])
        if verify:
            dst.read_attachment(key)  # its name is its sha256: read back, checked
    out["attachments"] = len(attachments)
    return out


def _where(store: Store) -> str:
    return getattr(store, "display_url", None) or str(store.url)
