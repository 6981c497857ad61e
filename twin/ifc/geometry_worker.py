"""The geometry child process: run ``ifcopenshell.geom.iterator`` and save the meshes.

This file runs as a standalone script (``python geometry_worker.py JOB.json``) so that the
child imports nothing but ifcopenshell and numpy, and so that a crash inside the geometry
kernel (a segfault, an abort, running out of memory) ends only this process.
:mod:`twin.ifc.geometry` starts it, applies the limits and reads what it wrote.

Protocol
--------
* The job file (JSON) names the IFC file, the output folder, the kernel, the thread count,
  the memory limit (bytes of address space, applied with ``RLIMIT_AS`` before anything
  big is imported) and the GlobalIds of the elements to mesh.
* Progress goes to stdout as lines ``P <done> <total>``; the last line is ``OK`` or
  ``FAIL <reason>``.
* The output folder receives ``verts.npy`` (float64, N×3, world metres), ``faces.npy``
  (uint32, local indices per element), ``counts.npy`` (int64, E×2: vertices, triangles per
  element), ``colours.npy`` (float32, E×4 RGBA, NaN when the IFC has no colour) and
  ``meta.json`` (GlobalIds, classes, kernel, the iterator log).

Debug hook (tests only): the environment variable ``TWIN_IFC_DEBUG_CHILD`` makes the child
misbehave for real after the iterator has initialised: ``abort`` calls :func:`os.abort`
(SIGABRT, a real crash), ``hang`` sleeps forever (for the time limit), ``hog`` allocates
memory until the address-space limit stops it (for the memory limit).

The same :func:`run` also serves a forked child (see :mod:`twin.ifc.geometry`), which gets
the already-open model and the element instances from its parent instead of opening the
file again, and writes its lines to a pipe.
"""

from __future__ import annotations

import json
import os
import sys
import time


def _address_space_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(limit_bytes: int, *, on_top: bool = False) -> None:
    """Cap the address space at ``limit_bytes`` (on top of what is mapped already when
    ``on_top``, as in a forked child that inherits its parent's mappings)."""
    if limit_bytes and limit_bytes > 0:
        import resource

        total = int(limit_bytes) + (_address_space_bytes() if on_top else 0)
        resource.setrlimit(resource.RLIMIT_AS, (total, total))


def _die_with_parent() -> None:
    """Ask Linux to kill this child when its parent dies (no orphaned meshing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _misbehave(mode: str | None) -> None:
    if mode == "abort":
        os.abort()
    if mode == "hang":
        while True:
            time.sleep(1)
    if mode == "hog":
        hoard = []
        while True:
            hoard.append(bytearray(64 << 20))


def _stdout_line(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _colour(geometry):
    """RGBA of the first styled material, or None when the IFC gives no colour."""
    for mat in geometry.materials:
        # materials invented by the kernel (apply-default-materials) have no IFC instance
        if not mat.instance_id():
            continue
        try:
            diffuse = mat.diffuse
            rgb = (diffuse.r(), diffuse.g(), diffuse.b())
        except Exception:  # noqa: BLE001 - a material without diffuse colour
            continue
        alpha = 1.0
        transparency = mat.transparency
        if transparency == transparency and transparency is not None:  # not NaN
            alpha = 1.0 - float(transparency)
        return (*rgb, alpha)
    return None


def run(job: dict, *, emit=_stdout_line, model=None, include=None) -> int:
    """Mesh the elements of ``job``; returns the process exit status.

    ``model`` and ``include`` (element instances) are given by a forked parent; otherwise
    the file is opened here and the elements are found by ``job["guids"]``.
    """
    _die_with_parent()
    _limit_memory(job.get("memory_limit_bytes", 0), on_top=model is not None)
    import ifcopenshell
    import ifcopenshell.geom
    import numpy as np

    out = job["out_dir"]
    if model is None:
        model = ifcopenshell.open(job["ifc_path"])
    if include is None and job.get("guids") is not None:
        include = []
        for guid in job["guids"]:
            try:
                include.append(model.by_guid(guid))
            except RuntimeError:
                continue
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    total = len(include) if include is not None else 0
    verts, faces, counts, colours, guids, classes = [], [], [], [], [], []
    ok = False
    if include is None or include:
        kwargs = {"geometry_library": job["kernel"]}
        if include is not None:
            kwargs["include"] = include
        iterator = ifcopenshell.geom.iterator(settings, model, int(job["threads"]), **kwargs)
        ok = bool(iterator.initialize())
        _misbehave(os.environ.get("TWIN_IFC_DEBUG_CHILD"))
        done = 0
        last = time.monotonic()
        while ok:
            shape = iterator.get()
            geometry = shape.geometry
            v = np.frombuffer(geometry.verts_buffer, dtype=np.float64)
            f = np.frombuffer(geometry.faces_buffer, dtype=np.int32)
            verts.append(v)
            faces.append(f)
            counts.append((len(v) // 3, len(f) // 3))
            colour = _colour(geometry)
            colours.append(colour if colour is not None else (np.nan,) * 4)
            guids.append(shape.guid)
            classes.append(shape.type)
            done += 1
            now = time.monotonic()
            if now - last > 0.1:
                emit(f"P {done} {total}\n")
                last = now
            if not iterator.next():
                break
        log = iterator.getLog() if ok else ""
    else:
        log = ""
    np.save(os.path.join(out, "verts.npy"),
            (np.concatenate(verts) if verts else np.zeros(0)).reshape(-1, 3))
    np.save(os.path.join(out, "faces.npy"),
            np.concatenate(faces).astype(np.uint32) if faces else np.zeros(0, np.uint32))
    np.save(os.path.join(out, "counts.npy"), np.asarray(counts, dtype=np.int64).reshape(-1, 2))
    np.save(os.path.join(out, "colours.npy"), np.asarray(colours, dtype=np.float32).reshape(-1, 4))
    with open(os.path.join(out, "meta.json"), "w", encoding="utf-8") as fh:
        json.dump({"guids": guids, "classes": classes, "kernel": job["kernel"],
                   "initialized": ok, "requested": total, "log": log}, fh)
    emit(f"P {len(guids)} {total}\nOK\n")
    return 0


def guarded_run(job: dict, *, emit=_stdout_line, model=None, include=None) -> int:
    """:func:`run`, turning exceptions into a ``FAIL`` line and an exit status."""
    try:
        return run(job, emit=emit, model=model, include=include)
    except MemoryError:
        emit("FAIL out of memory (the child's memory limit was reached)\n")
        return 3
    except BaseException as exc:  # noqa: BLE001 - the parent turns this line into an error
        text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        emit(f"FAIL {text}\n")
        return 2


def main(argv: list[str]) -> int:
    """Entry point: ``geometry_worker.py JOB.json``."""
    with open(argv[1], encoding="utf-8") as fh:
        job = json.load(fh)
    return guarded_run(job)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
