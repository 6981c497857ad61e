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

Debug hook (tests only): when the environment variable ``TWIN_IFC_DEBUG_CHILD`` is
``abort``, the child calls :func:`os.abort` after the iterator has initialised, which is a
real crash of the child (SIGABRT); ``hang`` makes it sleep forever (for the time limit).
"""

from __future__ import annotations

import json
import os
import sys
import time


def _limit_memory(limit_bytes: int) -> None:
    if limit_bytes and limit_bytes > 0:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (int(limit_bytes), int(limit_bytes)))


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


def run(job: dict) -> int:
    """Mesh the elements named in ``job``; returns the process exit status."""
    _limit_memory(job.get("memory_limit_bytes", 0))
    import ifcopenshell
    import ifcopenshell.geom
    import numpy as np

    out = job["out_dir"]
    model = ifcopenshell.open(job["ifc_path"])
    include = None
    if job.get("guids") is not None:
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
        if ok and os.environ.get("TWIN_IFC_DEBUG_CHILD") == "abort":
            os.abort()
        if os.environ.get("TWIN_IFC_DEBUG_CHILD") == "hang":
            while True:
                time.sleep(1)
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
                sys.stdout.write(f"P {done} {total}\n")
                sys.stdout.flush()
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
    sys.stdout.write(f"P {len(guids)} {total}\nOK\n")
    sys.stdout.flush()
    return 0


def main(argv: list[str]) -> int:
    """Entry point: ``geometry_worker.py JOB.json``."""
    with open(argv[1], encoding="utf-8") as fh:
        job = json.load(fh)
    try:
        return run(job)
    except MemoryError:
        sys.stdout.write("FAIL out of memory (the child's memory limit was reached)\n")
        return 3
    except Exception as exc:  # noqa: BLE001 - the parent turns this line into a ReaderError
        text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        sys.stdout.write(f"FAIL {text}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
