"""Meshes from ``ifcopenshell.geom.iterator``, computed in a guarded child process.

The iterator runs on all cores (``multiprocessing.cpu_count()``) with world coordinates,
in a child process (:mod:`twin.ifc.geometry_worker`, started as a plain script) with an
address-space limit (``RLIMIT_AS``) and a wall-clock limit. A crash of the geometry kernel
(segfault, abort, out of memory) or a timeout ends only the child: the caller gets a
:class:`~twin.errors.ReaderError` and the app or CLI keeps running.

The default kernel is ``hybrid-cgal-simple-opencascade``; when it fails on a file (the
iterator does not initialise, or the child dies) the step is retried with
``opencascade``. A timeout is not retried.

Two ways to start the child (``start_method``, or ``$TWIN_IFC_START``):

* ``fork`` (default on Linux when the caller passes the open ``model``): the child is a
  fork of the caller, so it inherits the already-imported ifcopenshell and the open model
  and starts in milliseconds; its memory limit is on top of the address space it inherits.
  It writes its progress to a pipe with plain ``os.write`` calls and ends with
  ``os._exit``, so it never touches the parent's locks, threads or open files.
* ``spawn``: ``python -I geometry_worker.py JOB.json``, a fresh interpreter that imports
  only ifcopenshell and numpy and opens the file itself (about 0.7 s more).

The child hands the meshes back as ``.npy`` arrays in a temporary folder (in ``/dev/shm``
when it exists), which :func:`run_geometry` loads without copying per element. They are
complete once the child writes ``OK``, so the caller takes them then and the child's exit
(unmapping its meshes and inherited address space, tens of milliseconds) is reaped by a
background thread, which also removes the folder.

Limits: ``memory_limit_mb`` (default ``$TWIN_IFC_MEMORY_MB`` or 75 % of the machine's
memory) and ``time_limit_s`` (default ``$TWIN_IFC_TIME_LIMIT_S`` or 600 s plus 60 s per MB
of IFC).

Example
-------
>>> from twin.ifc.geometry import run_geometry
>>> meshes = run_geometry("model.ifc")  # doctest: +SKIP
>>> meshes.guids[0], meshes.element_vertices(0).shape  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ReaderError

__all__ = [
    "DEFAULT_KERNEL",
    "FALLBACK_KERNEL",
    "MeshSet",
    "GeometryJob",
    "start_geometry",
    "run_geometry",
    "default_memory_limit_mb",
]

DEFAULT_KERNEL = "hybrid-cgal-simple-opencascade"
FALLBACK_KERNEL = "opencascade"
WORKER = Path(__file__).with_name("geometry_worker.py")
_MEMORY_SIGNS = ("out of memory", "failed to map segment", "Cannot allocate memory",
                 "bad_alloc", "MemoryError")


def default_memory_limit_mb() -> int:
    """``$TWIN_IFC_MEMORY_MB`` or 75 % of physical memory (at least 2 GB)."""
    env = os.environ.get("TWIN_IFC_MEMORY_MB")
    if env:
        return int(env)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return max(2048, int(total * 0.75) >> 20)


def _default_time_limit(path: Path) -> float:
    env = os.environ.get("TWIN_IFC_TIME_LIMIT_S")
    if env:
        return float(env)
    return 600.0 + 60.0 * path.stat().st_size / 1e6


@dataclass
class MeshSet:
    """The meshes of one model: per element GlobalId, class, vertex and triangle ranges.

    ``verts`` are float64 world coordinates in metres (local engineering coordinates of
    the model, before georeferencing); ``faces`` are uint32 indices local to each element.
    """

    guids: list[str]
    classes: list[str]
    verts: np.ndarray
    faces: np.ndarray
    counts: np.ndarray
    colours: np.ndarray
    kernel: str
    log: str = ""
    attempts: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def __post_init__(self):
        self.vert_start = np.concatenate([[0], np.cumsum(self.counts[:, 0])]).astype(np.int64)
        self.face_start = np.concatenate([[0], np.cumsum(self.counts[:, 1])]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.guids)

    def element_vertices(self, i: int) -> np.ndarray:
        """The N×3 vertices of element ``i``."""
        return self.verts[self.vert_start[i]:self.vert_start[i + 1]]

    def element_faces(self, i: int) -> np.ndarray:
        """The M×3 triangles of element ``i`` (indices into its own vertices)."""
        return self.faces[3 * self.face_start[i]:3 * self.face_start[i + 1]].reshape(-1, 3)


def _scratch_dir(ifc_path: Path) -> str | None:
    """``/dev/shm`` when it is writable and roomy enough for this model's meshes (containers
    often give it only 64 MB), else the default temporary folder."""
    shm = "/dev/shm"
    if not (os.path.isdir(shm) and os.access(shm, os.W_OK)):
        return None
    try:
        st = os.statvfs(shm)
        need = max(256 << 20, 50 * ifc_path.stat().st_size)
    except OSError:
        return None
    return shm if st.f_bavail * st.f_frsize > need else None


class _ForkedChild:
    """The small part of :class:`subprocess.Popen` that :class:`GeometryJob` uses, for a
    child made with :func:`os.fork`."""

    def __init__(self, pid: int, fd: int):
        self.pid = pid
        self.stdout = os.fdopen(fd, "r", encoding="utf-8", errors="replace")
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired("geometry child", timeout)
            time.sleep(0.005)
        return self.returncode

    def kill(self):
        if self.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _fork_child(job: dict, model, elements, stderr_fd: int) -> _ForkedChild:
    import faulthandler

    from . import geometry_worker

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's code
        code = 70
        try:
            os.close(read_fd)
            os.dup2(stderr_fd, 2)  # kernel messages go to the job's stderr file,
            os.dup2(stderr_fd, 1)  # its stdout chatter too ("local z ... delta")
            faulthandler.disable()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)

            def emit(text: str) -> None:
                os.write(write_fd, text.encode("utf-8", "replace"))

            code = geometry_worker.guarded_run(job, emit=emit, model=model, include=elements)
        finally:
            os._exit(code)
    os.close(write_fd)
    return _ForkedChild(pid, read_fd)


def _start_method(requested: str | None, model) -> str:
    method = requested or os.environ.get("TWIN_IFC_START") or "auto"
    if method == "auto":
        method = "fork" if (model is not None and hasattr(os, "fork")
                            and sys.platform.startswith("linux")) else "spawn"
    if method not in ("fork", "spawn"):
        raise ValueError(f"start_method must be fork, spawn or auto, not {method!r}")
    if method == "fork" and model is None:
        method = "spawn"
    return method


class GeometryJob:
    """A running geometry child; :meth:`wait` returns its :class:`MeshSet`.

    ``model`` and ``elements`` (the open ifcopenshell file and the element instances to
    mesh) allow the fast ``fork`` start; ``guids`` name the elements for ``spawn``.
    """

    def __init__(self, ifc_path, *, guids=None, kernel: str = DEFAULT_KERNEL,
                 fallback: str | None = FALLBACK_KERNEL, threads: int | None = None,
                 memory_limit_mb: int | None = None, time_limit_s: float | None = None,
                 shown_path=None, model=None, elements=None, start_method: str | None = None):
        self.ifc_path = Path(ifc_path)
        self.shown = shown_path or self.ifc_path
        self.model = model
        self.elements = None if elements is None else list(elements)
        self.start_method = _start_method(start_method, model)
        if guids is None and self.elements is not None and self.start_method == "spawn":
            guids = [el.GlobalId for el in self.elements]  # a forked child needs no names
        self.guids = None if guids is None else list(guids)
        self.kernels = [kernel] + ([fallback] if fallback and fallback != kernel else [])
        self.threads = int(threads or multiprocessing.cpu_count())
        self.memory_limit_mb = int(memory_limit_mb or default_memory_limit_mb())
        self.time_limit_s = float(time_limit_s if time_limit_s is not None
                                  else _default_time_limit(self.ifc_path))
        self.attempts: list[dict] = []
        self.t0 = time.monotonic()
        self._done = 0
        self._total = (len(self.guids) if self.guids is not None else
                       len(self.elements) if self.elements is not None else 0)
        self._start(self.kernels[0])

    # -- child management ----------------------------------------------------------------
    def _start(self, kernel: str) -> None:
        self.tmpdir = tempfile.mkdtemp(prefix="twin-geom-", dir=_scratch_dir(self.ifc_path))
        job = {"ifc_path": str(self.ifc_path), "out_dir": self.tmpdir, "kernel": kernel,
               "threads": self.threads,
               "guids": self.guids if self.start_method == "spawn" else None,
               "memory_limit_bytes": self.memory_limit_mb << 20}
        self.kernel = kernel
        self.lines: list[str] = []
        self.stderr_file = open(os.path.join(self.tmpdir, "stderr.txt"), "w+b")  # noqa: SIM115
        if self.start_method == "fork":
            self.proc = _fork_child(job, self.model, self.elements,
                                    self.stderr_file.fileno())
        else:
            job_path = os.path.join(self.tmpdir, "job.json")
            with open(job_path, "w", encoding="utf-8") as fh:
                json.dump(job, fh)
            env = dict(os.environ)
            env.pop("PYTHONPATH", None)
            self.proc = subprocess.Popen(
                [sys.executable, "-I", str(WORKER), job_path], stdout=subprocess.PIPE,
                stderr=self.stderr_file, stdin=subprocess.DEVNULL, text=True, bufsize=1,
                env=env)
        self.started = time.monotonic()
        self.finished = threading.Event()
        self.reader = threading.Thread(target=self._read_stdout, daemon=True)
        self.reader.start()

    def _read_stdout(self) -> None:
        try:
            for line in self.proc.stdout:
                line = line.strip()
                if line.startswith("P "):
                    parts = line.split()
                    self._done = int(parts[1])
                    self._total = int(parts[2]) or self._total
                elif line:
                    self.lines.append(line)
                    if line == "OK" or line.startswith("FAIL "):
                        self.finished.set()
        except (OSError, ValueError):
            pass
        finally:
            self.finished.set()  # end of output: the child has exited (or closed it)

    def progress(self) -> tuple[int, int]:
        """``(elements done, total)`` reported by the child so far."""
        return self._done, self._total

    def _cleanup(self) -> None:
        for fh in (self.stderr_file, getattr(self.proc, "stdout", None)):
            try:
                if fh is not None:
                    fh.close()
            except OSError:
                pass
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _stderr_tail(self) -> str:
        try:
            self.stderr_file.flush()
            self.stderr_file.seek(0)
            text = self.stderr_file.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return text.splitlines()[-1][:200] if text else ""

    def kill(self) -> None:
        """Stop the child (and clean up its folder)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._cleanup()

    def wait(self, progress=None) -> MeshSet:
        """Wait for the child; ``progress(done, total, message)`` is called as elements
        finish. Raises :class:`ReaderError` when the child crashes or times out (after
        the fallback kernel, for a crash)."""
        while True:
            outcome = self._wait_one(progress)
            if isinstance(outcome, MeshSet):
                outcome.attempts = self.attempts
                outcome.seconds = round(time.monotonic() - self.t0, 4)
                return outcome
            self.attempts.append(outcome)
            if outcome["reason"] == "timeout":
                raise ReaderError(
                    f"the geometry step took longer than {self.time_limit_s:g} s and was "
                    f"stopped (kernel {self.kernel})", path=self.shown,
                    hint="raise the limit with time_limit_s / $TWIN_IFC_TIME_LIMIT_S, or "
                         "split the model")
            index = self.kernels.index(self.kernel)
            if index + 1 >= len(self.kernels):
                tried = "; ".join(f"{a['kernel']}: {a['message']}" for a in self.attempts)
                raise ReaderError(f"the geometry child process failed ({tried})",
                                  path=self.shown,
                                  hint="the file may be malformed; check it with an IFC "
                                       "validator, or raise the memory limit "
                                       "(memory_limit_mb / $TWIN_IFC_MEMORY_MB)")
            self._start(self.kernels[index + 1])

    def _reap_later(self) -> None:
        """Wait for the child's exit and remove its folder in the background: its results
        are complete once it has said ``OK``, and its exit (unmapping the meshes and the
        inherited address space) takes tens of milliseconds nobody needs to wait for."""
        def reap():
            try:
                self.proc.wait()
                self.reader.join(timeout=5)
            finally:
                self._cleanup()
                _REAPERS.discard(thread)

        thread = threading.Thread(target=reap, daemon=True)
        _REAPERS.add(thread)
        thread.start()

    def _wait_one(self, progress):
        last = -1
        deadline = self.t0 + self.time_limit_s
        while True:
            if self.finished.wait(timeout=0.05):
                if "OK" in self.lines:
                    code = 0
                    break
                try:  # FAIL or end of output: the exit status tells the rest
                    code = self.proc.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    pass
            else:
                code = self.proc.poll()
                if code is not None:
                    self.finished.wait(timeout=5)
                    break
            if progress is not None and self._done != last:
                last = self._done
                progress(self._done, self._total or None, "meshing elements")
            if time.monotonic() > deadline:
                self.kill()
                return {"kernel": self.kernel, "reason": "timeout",
                        "message": f"no result after {self.time_limit_s:g} s"}
        if code != 0 or "OK" not in self.lines:
            self.reader.join(timeout=5)
        if progress is not None:
            progress(self._done, self._total or None, "meshing elements")
        kernel = self.kernel
        reap_later = False
        try:
            if code != 0 or "OK" not in self.lines:
                fail = next((ln[5:] for ln in self.lines if ln.startswith("FAIL ")), None)
                if code < 0:
                    try:
                        name = signal.Signals(-code).name
                    except ValueError:
                        name = f"signal {-code}"
                    message = f"the child process crashed ({name})"
                elif fail:
                    message = fail
                else:
                    tail = self._stderr_tail()
                    message = f"the child process exited with status {code}" + (
                        f": {tail}" if tail else "")
                if any(t in message for t in _MEMORY_SIGNS):
                    message = (f"out of memory (limit {self.memory_limit_mb} MB): "
                               f"{message}")
                return {"kernel": kernel, "reason": "crash", "message": message,
                        "exit_status": code}
            out = self.tmpdir
            with open(os.path.join(out, "meta.json"), encoding="utf-8") as fh:
                meta = json.load(fh)
            if not meta["initialized"] and meta["requested"]:
                return {"kernel": kernel, "reason": "init", "message": "the iterator did "
                        "not initialise (no element could be meshed)", "log": meta["log"][:2000]}
            meshes = MeshSet(
                guids=meta["guids"], classes=meta["classes"],
                verts=np.load(os.path.join(out, "verts.npy")),
                faces=np.load(os.path.join(out, "faces.npy")),
                counts=np.load(os.path.join(out, "counts.npy")),
                colours=np.load(os.path.join(out, "colours.npy")),
                kernel=kernel, log=meta.get("log", ""))
            reap_later = True
            return meshes
        finally:
            if reap_later:
                self._reap_later()
            else:
                if self.proc.poll() is None:  # said OK but the results were unusable
                    self.proc.kill()
                    self.proc.wait()
                self._cleanup()


_REAPERS: set = set()


@atexit.register
def _join_reapers() -> None:
    """Let the background reapers finish (children exit within milliseconds of ``OK``) so
    their scratch folders are removed before the interpreter ends."""
    for thread in list(_REAPERS):
        thread.join(timeout=5)


def start_geometry(ifc_path, **options) -> GeometryJob:
    """Start the geometry child for ``ifc_path`` and return at once (see
    :class:`GeometryJob` for the options); the caller can work meanwhile."""
    return GeometryJob(ifc_path, **options)


def run_geometry(ifc_path, *, progress=None, **options) -> MeshSet:
    """Mesh ``ifc_path`` in a guarded child process and return the :class:`MeshSet`."""
    return start_geometry(ifc_path, **options).wait(progress)
