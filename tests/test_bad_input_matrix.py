"""Bad input, as a matrix: every row is a file the test writes, imported through the CLI.

For each row: the exit code, one clear line naming the file (no traceback), and the store
byte-identical after a failure; under ``fix`` the repair is recorded; a file that is odd but
valid is imported.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from bad_inputs import GEOJSON_ROWS, OTHER_ROWS, good_parcels

from twin.cli import main

ACCEPTED = {"z-coordinates", "nested-properties", "html-in-name", "10k-char-property",
            "utf8-bom", "100k-vertex-polygon", "gbk-bytes-with-encoding", "sql-in-property-name"}
REPAIRED = {"unclosed-ring-fix", "bowtie-fix"}
ROWS = ([(name, "x.geojson", writer, "parcel", args) for name, writer, args in GEOJSON_ROWS]
        + OTHER_ROWS)
MESSAGES = {  # what the one line must say, beyond naming the file
    "nan": "non-finite", "infinity": "non-finite", "minus-infinity": "non-finite",
    "nan-fix": "--allow-empty", "empty-collection": "--allow-empty",
    "null-geometry": "--allow-empty", "swapped-lat-lon": "axes look swapped",
    "gbk-bytes": "GBK", "11m-char-property": "10 million characters", "antimeridian": "antimeridian",
    "projected-without-crs": "--crs", "crs-contradicts-coordinates": "--crs EPSG:4326",
    "ifczip-bomb": "zip bomb", "ifczip-parent-entry": "climbs out",
    "ifczip-nested-zip": "nested archives", "ifc-unknown-schema": "IFC9",
    "csv-bad-timestamps": "yesterday", "ifc-nan-in-element-placement": "IFCCARTESIANPOINT((NaN",
    "ifc-inf-in-context-origin": "coordinate origin", "geotiff-without-crs": "--crs",
}
NOTICES = {  # what the report of an accepted file must tell the user
    "nested-properties": "['extra'] hold nested JSON objects: stored as JSON text",
}


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name,filename,writer,kind,args", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input(name, filename, writer, kind, args, tmp_path, capsys):
    store = tmp_path / "store"
    good = tmp_path / "good.geojson"
    good_parcels(good)
    assert main(["--store", str(store), "import", str(good), "--kind", "parcel"]) == 0
    capsys.readouterr()
    before = _snapshot(store)
    path = tmp_path / filename
    writer(path)
    argv = ["--store", str(store), "import", str(path), *(["--kind", kind] if kind else []),
            *args]
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "Warning:" not in err, err
    if name in ACCEPTED or name in REPAIRED:
        assert code == 0, err
        assert _snapshot(store) != before and "imported" in out
        if name in REPAIRED:
            assert "repaired" in out
        assert NOTICES.get(name, "") in " ".join(out.split()), out
        return
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert path.name in lines[0] and "Hint:" in lines[0], lines[0]
    assert MESSAGES.get(name, "") in lines[0], lines[0]
    if name == "ifc-nan-in-element-placement":   # names the element it places, by GlobalId
        assert re.search(r": IFC[A-Z]+ [0-9A-Za-z_$]{22} \(#\d+\):", lines[0]), lines[0]
    assert _snapshot(store) == before            # a failed import changes nothing
