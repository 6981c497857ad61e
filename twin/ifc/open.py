"""Opening IFC files safely: ``.ifc`` and ``.ifczip``, trailer, header, schema and syntax.

ifcopenshell 0.9 opens a truncated file (no ``END-ISO-10303-21;``) and several malformed
ones (double comma, double semicolon, duplicate ``#ids``, ``#0``) without a word. This
module checks those first and decides what the user is told:

* **errors** (the file is not read): no trailer, no or broken HEADER section, an
  unsupported schema, a UTF-8 byte-order mark, ``,,`` (an attribute is missing, so every
  later attribute would shift), a duplicate instance id (references become ambiguous),
  the instance id ``#0`` (ids start at 1), anything ifcopenshell itself refuses;
* **warnings** (recorded in the report, the file is read): ``;;`` (an empty statement),
  a header entity that ISO 10303-21 does not define, a header entity with the wrong
  number of fields.

A ``.ifczip`` (or a plain ``.zip``, as Revit users send models) is a zip archive holding
an ``.ifc``. It is refused when it has too many entries, a compression ratio typical of a
zip bomb, a nested archive, or an entry whose path climbs out (``../`` or absolute). With
more than one ``.ifc`` inside, the error lists them and ``member`` (``--member NAME``)
picks one. The IFC entry is extracted, with a running size limit, into a temporary folder
that :class:`OpenedIfc` removes on ``close()``. Deflate64 entries (Windows Explorer's
compression for large files, which :mod:`zipfile` cannot read) are inflated with the
``inflate64`` package.

Example
-------
>>> from twin.ifc.open import open_ifc
>>> with open_ifc("model.ifc") as opened:  # doctest: +SKIP
...     opened.schema, opened.model.by_type("IfcWall")[:1], opened.warnings
"""

from __future__ import annotations

import inspect
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import ReaderError

__all__ = [
    "SUPPORTED_SCHEMAS",
    "OpenedIfc",
    "open_ifc",
    "check_step_file",
    "extract_ifczip",
    "ifc_members",
    "ZIP_MAX_ENTRIES",
    "ZIP_MAX_RATIO",
    "ZIP_MAX_BYTES",
]

SUPPORTED_SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3_ADD2")
TRAILER = b"END-ISO-10303-21;"
ZIP_MAX_ENTRIES = 16
ZIP_MAX_RATIO = 200.0
ZIP_MAX_BYTES = 4 << 30
_NESTED = (".zip", ".ifczip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".zst")
_HEADER_FIELDS = {"FILE_DESCRIPTION": 2, "FILE_NAME": 7, "FILE_SCHEMA": 1}
_OPTIONAL_HEADER = {"FILE_POPULATION", "SECTION_LANGUAGE", "SECTION_CONTEXT"}
_STRING = re.compile(rb"'(?:[^']|'')*'")
_COMMENT = re.compile(rb"/\*.*?\*/", re.S)


@dataclass
class OpenedIfc:
    """An opened IFC model: the ifcopenshell file, its path on disk, schema and warnings.

    ``ifc_path`` is the plain ``.ifc`` (the extracted entry for a ``.ifczip``), which the
    geometry child process opens again by itself.
    """

    source: Path
    ifc_path: Path
    schema: str
    model: object = None
    warnings: list[dict] = field(default_factory=list)
    _tmpdir: str | None = None
    _body_pending: bool = False
    _body: bytes | None = None  # the DATA section already read by the header checks
    parse_clean: bool = False  # ifcopenshell's parse logged no warning and no error (it
    # warns for an instance id defined twice and for a GlobalId used twice)

    def check_body(self) -> None:
        """Run the DATA-section checks that ``open_ifc(defer_body_check=True)`` left for
        later (duplicate ids, ``#0``, ``,,``, ``;;``): raises :class:`ReaderError` like
        :func:`check_step_file`, adds warnings to ``warnings``. Runs once."""
        if not self._body_pending:
            return
        self._body_pending = False
        body, self._body = self._body, None
        if body is None:
            data = self.ifc_path.read_bytes()
            data_m = re.search(rb"\bDATA\s*;", data)
            body = data[data_m.end():] if data_m else b""
        _check_body(body, self.source, self.warnings, duplicate_ids=not self.parse_clean)

    def close(self) -> None:
        """Remove the temporary extraction folder of a ``.ifczip``."""
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _split_top_level(args: bytes) -> list[bytes]:
    """Split a STEP parameter list (without its outer parentheses) at top-level commas."""
    out, depth, start, i, n = [], 0, 0, 0, len(args)
    while i < n:
        c = args[i:i + 1]
        if c == b"'":
            j = i + 1
            while j < n:
                if args[j:j + 1] == b"'":
                    if args[j + 1:j + 2] == b"'":
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
        elif c == b"," and depth == 0:
            out.append(args[start:i])
            start = i + 1
        i += 1
    out.append(args[start:])
    return out


def _header_entities(header: bytes) -> list[tuple[str, bytes]]:
    """``[(NAME, params)]`` of the statements in a HEADER section."""
    out = []
    text = _COMMENT.sub(b"", header)
    pos = 0
    pattern = re.compile(rb"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")
    while True:
        m = pattern.match(text, pos)
        if not m:
            break
        name = m.group(1).decode("ascii").upper()
        depth, i = 1, m.end()
        while i < len(text) and depth:
            c = text[i:i + 1]
            if c == b"'":
                s = _STRING.match(text, i)
                i = s.end() if s else i + 1
                continue
            depth += c == b"("
            depth -= c == b")"
            i += 1
        out.append((name, text[m.end():i - 1]))
        semi = text.find(b";", i)
        if semi < 0:
            break
        pos = semi + 1
    return out


def check_step_file(path, *, where_path=None, body: bool = True) -> tuple[str, list[dict]]:
    """Check the STEP physical file at ``path`` before ifcopenshell opens it.

    Returns ``(schema, warnings)``; raises :class:`ReaderError` for the problems listed in
    the module docstring. ``where_path`` is the name used in messages (the ``.ifczip``).
    ``body=False`` checks only the trailer, header and schema (the DATA-section scan is
    then the caller's job, see :meth:`OpenedIfc.check_body`).
    """
    path = Path(path)
    schema, warnings, body_text = _check_step_bytes(path.read_bytes(), where_path or path)
    if body:
        _check_body(body_text, where_path or path, warnings)
    return schema, warnings


def _check_step_bytes(data: bytes, shown) -> tuple[str, list[dict], bytes]:
    """:func:`check_step_file`'s header, trailer and schema checks on the file's bytes;
    returns ``(schema, warnings, DATA section)`` (the section for :func:`_check_body`)."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise ReaderError("the file starts with a UTF-8 byte-order mark, which ISO 10303-21 "
                          "does not allow", path=shown,
                          hint="save the file without BOM (plain ASCII/ISO 10303-21 encoding)")
    if not data.lstrip().startswith(b"ISO-10303-21;"):
        raise ReaderError("not an IFC STEP file: it does not start with ISO-10303-21;",
                          path=shown, hint="export the model as IFC (.ifc or .ifczip)")
    tail = _COMMENT.sub(b"", data[-4096:]).rstrip()
    if not tail.endswith(TRAILER):
        raise ReaderError("the file is truncated: it does not end with END-ISO-10303-21;",
                          path=shown, hint="copy or export the file again; it was cut off")
    head_m = re.search(rb"HEADER\s*;(.*?)ENDSEC\s*;", data[:1 << 20], re.S)
    data_m = re.search(rb"\bDATA\s*;", data)
    if not head_m or (data_m and data_m.start() < head_m.start()):
        raise ReaderError("the file has no HEADER section", path=shown,
                          hint="export the file again from the authoring tool")
    warnings: list[dict] = []
    entities = _header_entities(head_m.group(1))
    names = [name for name, _ in entities]
    for name, params in entities:
        if name in _HEADER_FIELDS:
            got = len(_split_top_level(params))
            if got != _HEADER_FIELDS[name]:
                warnings.append({"feature": "HEADER", "reason": f"{name} has {got} fields, "
                                 f"ISO 10303-21 defines {_HEADER_FIELDS[name]}; ignored"})
        elif name not in _OPTIONAL_HEADER:
            warnings.append({"feature": "HEADER", "reason": f"unknown header entity {name} "
                             "(not part of ISO 10303-21); ignored"})
    if "FILE_SCHEMA" not in names:
        raise ReaderError("the HEADER has no FILE_SCHEMA", path=shown,
                          hint="supported schemas: " + ", ".join(SUPPORTED_SCHEMAS))
    schema_params = dict(entities)["FILE_SCHEMA"]
    m = re.search(rb"'([^']*)'", schema_params)
    schema = m.group(1).decode("ascii", "replace").strip().upper() if m else ""
    if schema not in SUPPORTED_SCHEMAS:
        raise ReaderError(f"unsupported IFC schema {schema or '(empty)'!r}", path=shown,
                          hint="supported schemas: " + ", ".join(SUPPORTED_SCHEMAS)
                          + "; re-export the model in one of them")
    return schema, warnings, data[data_m.end():] if data_m else b""


_LINE_ID = re.compile(rb"\n[ \t\r\f\v]*#(\d+)\s*=")


def _check_body(body: bytes, shown, warnings: list[dict], *,
                duplicate_ids: bool = True) -> None:
    # instance ids at line starts (a literal "\n" lets the regex engine skip ahead fast);
    # skipped (``duplicate_ids=False``) when ifcopenshell's parse of this file logged no
    # warning, since it warns "Overwriting instance" for every id defined twice
    ids = _LINE_ID.findall(b"\n" + body) if duplicate_ids else ()
    if ids and len(set(ids)) != len(ids):
        seen: set[bytes] = set()
        dups = []
        for i in ids:
            if i in seen:
                dups.append(int(i))
            seen.add(i)
        if dups:
            listed = ", ".join(f"#{d}" for d in sorted(set(dups))[:5])
            raise ReaderError(f"duplicate instance ids {listed}: references to them are "
                              "ambiguous", path=shown,
                              hint="export the file again; the writing tool is broken")
    _check_nonfinite(body, shown)
    need_strip = b"#0" in body or _comma_pair(body) or b";;" in body
    if not need_strip:
        return
    clean = _COMMENT.sub(b"", _STRING.sub(b"''", body))
    m = re.search(rb"#0+(?![0-9])", clean)
    if m:
        line = body[:m.start()].count(b"\n") + 1
        raise ReaderError(f"instance id #0 near DATA line {line}: STEP instance ids start at 1",
                          path=shown, hint="export the file again; the writing tool is broken")
    m = re.search(rb",\s*,", clean)
    if m:
        stmt = clean.rfind(b";", 0, m.start())
        snippet = clean[stmt + 1:m.end() + 10].strip().decode("ascii", "replace")[:60]
        raise ReaderError(f"an attribute is missing (',,') in {snippet!r}: every later "
                          "attribute of that entity would shift", path=shown,
                          hint="write $ for an unset attribute; export the file again")
    if re.search(rb";\s*;", clean):
        warnings.append({"feature": "DATA", "reason": "empty statement ';;' ignored"})


def _comma_pair(body: bytes) -> bool:
    """True when ``body`` has two commas with only spaces between them (``,,`` or ``, ,``),
    the same as ``b",," in body.replace(b" ", b"")`` without copying the body."""
    if b",," in body:
        return True
    pos, seen = body.find(b", "), 0
    while pos >= 0:
        end = pos + 2
        while body[end:end + 1] == b" ":
            end += 1
        if body[end:end + 1] == b",":
            return True
        seen += 1
        if seen > 1000:  # a file full of ", ": one copy is cheaper than this loop
            return b",," in body.replace(b" ", b"")
        pos = body.find(b", ", end)
    return False


_NONFINITE = re.compile(rb"(?<![A-Za-z0-9_'])(?:NAN|INF(?:INITY)?)(?![A-Za-z0-9_])",
                        re.IGNORECASE)
_NONFINITE_POINT = re.compile(rb"#(\d+)\s*=\s*IFCCARTESIANPOINT\s*\(\s*\(([^)]*)\)",
                              re.IGNORECASE)
_ENTITY = re.compile(rb"#(\d+)\s*=\s*([A-Za-z0-9_]+)\s*\(", re.IGNORECASE)


_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")


def _maybe_nonfinite(body: bytes) -> bool:
    """True when ``body`` may hold a NaN/Inf token: ``bytes.find`` over the lowered text
    (memchr speed; a regex scan of a 3 MB file takes 90 ms), checking word boundaries at
    each hit."""
    low = body.lower()
    for word in (b"nan", b"inf"):
        pos = low.find(word)
        while pos >= 0:
            before = low[pos - 1] if pos else 32
            after = low[pos + 3] if pos + 3 < len(low) else 32
            if word == b"inf" and low.startswith(b"inity", pos + 3):
                after = low[pos + 8] if pos + 8 < len(low) else 32
            if before not in _WORD and before != 39 and after not in _WORD:  # 39: "'"
                return True
            pos = low.find(word, pos + 3)
    return False


def _check_nonfinite(body: bytes, shown) -> None:
    """Refuse a NaN or Infinity in a coordinate: STEP has no such number, and the parser
    drops the token, which silently shifts the point (``(NaN,3.,0.)`` reads as ``(3., 0.)``).
    The error names the point and the element (or context or site) that it places."""
    if not _maybe_nonfinite(body) or not _NONFINITE.search(_STRING.sub(b"''", body)):
        return  # the first scan is one fast pass; strings are stripped only on a hit
    for m in _NONFINITE_POINT.finditer(body):
        if not _NONFINITE.search(m.group(2)):
            continue
        point = int(m.group(1))
        line = body[:m.start()].count(b"\n") + 1
        owner = _owner_of(body, point)
        raise ReaderError(
            f"#{point} IFCCARTESIANPOINT(({m.group(2).decode('ascii', 'replace')})) on DATA line "
            f"{line} holds a non-finite coordinate (STEP numbers must be finite)", path=shown,
            where=owner, hint="fix that coordinate in the authoring tool and export again; "
                              "no element was imported")
    m = _NONFINITE.search(_STRING.sub(b"''", body))
    line = body[:m.start()].count(b"\n") + 1
    raise ReaderError(f"a non-finite number ({m.group(0).decode()}) on DATA line {line}: STEP "
                      "numbers must be finite", path=shown,
                      hint="fix the value in the authoring tool and export again")


def _owner_of(body: bytes, point: int, *, depth: int = 8) -> str:
    """The product (class and GlobalId), context or site that point ``#point`` places,
    found by following references up the file's text; the point itself when none is."""
    starts = [(int(m.group(1)), m.group(2).upper().decode(), m.start())
              for m in _ENTITY.finditer(body)]
    texts = {}
    for eid, cls, start in starts:
        end = body.find(b";", start)
        texts[eid] = (cls, body[start:end if end >= 0 else len(body)])
    frontier = {point}
    seen = set(frontier)
    for _ in range(depth):
        refs = set()
        for eid, (cls, text) in texts.items():
            if eid in seen:
                continue
            if any(re.search(rb"#%d(?![0-9])" % f, text.split(b"=", 1)[1]) for f in frontier):
                if cls.endswith("CONTEXT") or cls.startswith("IFCGEOMETRICREPRESENTATION"):
                    return f"#{eid} {cls} (the model's coordinate origin)"
                gid = re.search(rb"\(\s*'([0-9A-Za-z_$]{22})'", text)
                if gid and cls not in ("IFCRELCONTAINEDINSPATIALSTRUCTURE", "IFCRELAGGREGATES"):
                    return f"{cls} {gid.group(1).decode()} (#{eid})"
                refs.add(eid)
        if not refs:
            break
        seen |= refs
        frontier = refs
    return f"point #{point}"


DEFLATE64 = 9


def ifc_members(path) -> list[str]:
    """The names of the ``.ifc`` entries of the zip archive ``path``."""
    try:
        with zipfile.ZipFile(path) as zf:
            return [i.filename for i in zf.infolist()
                    if not i.is_dir() and i.filename.lower().endswith(".ifc")]
    except (zipfile.BadZipFile, OSError):
        return []


def _pick_member(ifcs: list, member, path):
    if member:
        want = str(member).replace("\\", "/")
        hits = [i for i in ifcs if i.filename == want
                or PurePosixPath(i.filename.replace("\\", "/")).name == want]
        if len(hits) != 1:
            listed = ", ".join(i.filename for i in ifcs) or "none"
            raise ReaderError(f"the archive has no .ifc entry called {member!r}"
                              if not hits else f"{member!r} names {len(hits)} entries",
                              path=path, hint=f"its .ifc entries: {listed}")
        return hits[0]
    if not ifcs:
        raise ReaderError("the archive holds no .ifc file", path=path,
                          hint="an IFC archive holds one .ifc model")
    if len(ifcs) > 1:
        listed = ", ".join(i.filename for i in ifcs)
        raise ReaderError(f"the archive holds {len(ifcs)} .ifc files: {listed}", path=path,
                          hint="choose one with --member NAME")
    return ifcs[0]


def _deflate64_blocks(path: Path, info):
    """The inflated blocks of a Deflate64 entry (``inflate64``), read straight from the
    archive after the entry's local header."""
    try:
        import inflate64
    except ImportError:
        raise ReaderError(f"archive entry {info.filename!r} uses Deflate64 compression, "
                          "which needs the inflate64 package", path=path,
                          hint="pip install inflate64, or unpack the archive and import "
                               "the .ifc") from None
    import struct

    inflater = inflate64.Inflater()
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise ReaderError(f"archive entry {info.filename!r} has a broken local header",
                              path=path, hint="repack the archive")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fh.seek(name_len + extra_len, 1)
        left = info.compress_size
        while left > 0:
            chunk = fh.read(min(1 << 20, left))
            if not chunk:
                break
            left -= len(chunk)
            try:
                block = inflater.inflate(chunk)
            except Exception as exc:  # noqa: BLE001 - a corrupt stream
                raise ReaderError(f"archive entry {info.filename!r}: Deflate64 data is "
                                  f"corrupt ({exc})", path=path, hint="repack the archive"
                                  ) from None
            if block:
                yield block


def extract_ifczip(path, tmpdir, *, member=None) -> Path:
    """Extract the ``.ifc`` entry of ``path`` (the only one, or ``member``) into ``tmpdir``
    with the zip guards."""
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReaderError(f"not a valid .ifczip archive ({exc})", path=path) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_ENTRIES:
            raise ReaderError(f"the archive has {len(infos)} entries (limit {ZIP_MAX_ENTRIES})",
                              path=path, hint="an .ifczip holds one .ifc file")
        ifcs = []
        for info in infos:
            name = info.filename
            pure = PurePosixPath(name.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
                raise ReaderError(f"archive entry {name!r} climbs out of the archive folder",
                                  path=path, hint="refusing path traversal; repack the file")
            if name.lower().endswith(_NESTED):
                raise ReaderError(f"archive entry {name!r} is itself an archive", path=path,
                                  hint="nested archives are refused; unpack and import the .ifc")
            if info.is_dir():
                continue
            if info.compress_size and info.file_size / info.compress_size > ZIP_MAX_RATIO:
                ratio = info.file_size / info.compress_size
                raise ReaderError(f"archive entry {name!r} has compression ratio {ratio:.0f}:1 "
                                  f"(limit {ZIP_MAX_RATIO:.0f}:1), typical of a zip bomb",
                                  path=path, hint="if the model is genuine, unpack it and "
                                  "import the .ifc itself")
            if info.file_size > ZIP_MAX_BYTES:
                raise ReaderError(f"archive entry {name!r} would be {info.file_size} bytes "
                                  f"(limit {ZIP_MAX_BYTES})", path=path,
                                  hint="unpack it and import the .ifc itself")
            if pure.suffix.lower() == ".ifc":
                ifcs.append(info)
        info = _pick_member(ifcs, member, path)
        out = Path(tmpdir) / "model.ifc"
        limit = min(ZIP_MAX_BYTES, max(info.file_size, 1))
        written = 0
        if info.compress_type == DEFLATE64:
            blocks = _deflate64_blocks(path, info)
        else:
            try:
                src = zf.open(info)
            except NotImplementedError as exc:
                raise ReaderError(f"archive entry {info.filename!r}: {exc}", path=path,
                                  hint="repack the archive with ordinary Deflate (zip -9), "
                                       "or unpack it and import the .ifc") from None
            blocks = iter(lambda: src.read(1 << 20), b"")
        with open(out, "wb") as dst:
            for block in blocks:
                written += len(block)
                if written > limit or (info.compress_size
                                       and written / info.compress_size > ZIP_MAX_RATIO):
                    raise ReaderError(f"archive entry {info.filename!r} inflates beyond its "
                                      "declared size or the ratio limit", path=path)
                dst.write(block)
        return out


def open_ifc(path, *, load: bool = True, defer_body_check: bool = False,
             member=None, lazy: bool = False) -> OpenedIfc:
    """Check and open ``path`` (``.ifc`` or ``.ifczip``); ``load=False`` skips
    ``ifcopenshell.open`` (the checks still run).

    ``defer_body_check=True`` leaves the scan of the DATA section (duplicate ids, ``#0``,
    ``,,``, ``;;``) for :meth:`OpenedIfc.check_body`, so that a caller can start work on
    the open model first (the IFC reader runs the scan while its geometry child meshes);
    the caller must call it before using any result. When ifcopenshell refuses the file,
    the scan runs at once so that its more precise message wins.

    ``member`` names the ``.ifc`` to read inside an archive holding several.

    ``lazy=True`` opens with ifcopenshell's lazy loading (one indexing pass; each
    instance's attributes are parsed when first read): about half the open time, for a
    caller that reads part of the model (``twin ifc check``). The indexing pass still
    warns for an instance id or a GlobalId defined twice, which is all that
    :attr:`OpenedIfc.parse_clean` is used for.

    Raises :class:`ReaderError` naming the file and what is wrong.
    """
    path = Path(path)
    if not path.exists():
        raise ReaderError("file not found", path=path)
    tmpdir = None
    ifc_path = path
    try:
        if path.suffix.lower() == ".ifczip" or zipfile.is_zipfile(path):
            tmpdir = tempfile.mkdtemp(prefix="twin-ifczip-")
            ifc_path = extract_ifczip(path, tmpdir, member=member)
        # the file is read once: the header checks and the DATA-section scan share its bytes
        schema, warnings, body = _check_step_bytes(ifc_path.read_bytes(), path)
        if not (defer_body_check or load):
            _check_body(body, path, warnings)
        opened = OpenedIfc(source=path, ifc_path=ifc_path, schema=schema, warnings=warnings,
                           _tmpdir=tmpdir, _body_pending=defer_body_check or load,
                           _body=body if load and not defer_body_check else None)
        del body  # a deferred scan reads the file again rather than hold it while meshing
        if load:
            # the DATA-section scan runs in a thread while ifcopenshell parses (its open
            # releases the GIL); a defect it finds wins over the parsed model
            scan = None if defer_body_check else _BodyScan(opened)
            try:
                opened.model, opened.parse_clean = _ifcopenshell_open(ifc_path, path,
                                                                      lazy=lazy)
            except ReaderError:
                if scan is not None:
                    scan.result()
                opened.check_body()
                raise
            if scan is not None:
                scan.result()
        return opened
    except BaseException:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
        raise


class _BodyScan:
    """The DATA-section scan in a thread while ifcopenshell parses, without the
    duplicate-id pass (the parse tells whether that one is needed); :meth:`result` waits,
    then raises what the scan found, or, when the parse logged a warning or error, runs the
    whole scan again in its usual order so that its first finding wins as before."""

    def __init__(self, opened: OpenedIfc):
        import threading

        self.opened = opened
        self.body, opened._body = opened._body, None
        opened._body_pending = False
        self.error: BaseException | None = None
        self.warnings: list[dict] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._read()
            _check_body(self.body, self.opened.source, self.warnings, duplicate_ids=False)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self.error = exc

    def _read(self) -> None:
        if self.body is None:
            data = self.opened.ifc_path.read_bytes()
            data_m = re.search(rb"\bDATA\s*;", data)
            self.body = data[data_m.end():] if data_m else b""

    def result(self) -> None:
        """Wait for the scan; raise what it found (see the class docstring)."""
        self.thread.join()
        opened = self.opened
        if not opened.parse_clean:  # no parse, or a parse that warned: the whole scan
            self._read()
            _check_body(self.body, opened.source, opened.warnings)
            return
        if self.error is not None:
            raise self.error
        opened.warnings.extend(self.warnings)


def _ifcopenshell_open(ifc_path: Path, shown: Path, *, lazy: bool = False):
    """``(model, clean)``: the ifcopenshell file and whether its parse logged no warning
    or error (False when this ifcopenshell cannot say). ``lazy``: see :func:`open_ifc`."""
    import ifcopenshell

    wrapper = ifcopenshell.ifcopenshell_wrapper
    log = wrapper.logger() if hasattr(wrapper, "logger") else None
    kwargs = {"logger": log} if log else {}
    if lazy and "lazy" in inspect.signature(ifcopenshell.open).parameters:  # ifcopenshell ≥ 0.9
        kwargs["lazy"] = True
    try:
        model = ifcopenshell.open(str(ifc_path), **kwargs)
    except Exception as exc:  # noqa: BLE001 - ifcopenshell raises several kinds
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReaderError(f"ifcopenshell cannot parse the file: {text}", path=shown,
                          hint="check the file with an IFC validator and export it again"
                          ) from None
    if model.schema_identifier.upper() not in SUPPORTED_SCHEMAS:
        raise ReaderError(f"unsupported IFC schema {model.schema_identifier!r}", path=shown,
                          hint="supported schemas: " + ", ".join(SUPPORTED_SCHEMAS))
    try:
        clean = log is not None and log.max_severity() < wrapper.logger.LOG_WARNING
    except (AttributeError, TypeError):
        clean = False
    return model, clean
