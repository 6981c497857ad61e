"""The `twin` command line as a user meets it: exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import typer

from twin.cli import app, main


def test_typer_exit_code_is_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("TWIN_STORE", str(tmp_path / "s"))

    @app.command("zz-exit-test", hidden=True)
    def _exit_three() -> None:
        raise typer.Exit(3)

    try:
        assert main(["zz-exit-test"]) == 3
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands
                                      if c.name != "zz-exit-test"]


def test_store_error_is_one_line_with_nonzero_exit(tmp_path, capsys):
    assert main(["--store", str(tmp_path / "s"), "versions", "nope"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "no layer called 'nope'" in err[0]


def test_unknown_format_names_the_readers(tmp_path, capsys):
    bad = tmp_path / "notes.xyz"
    bad.write_text("hello")
    assert main(["--store", str(tmp_path / "s"), "import", str(bad), "--kind", "parcel"]) == 1
    err = capsys.readouterr().err
    assert "notes.xyz" in err and "geojson" in err and "ifc" in err
    assert not (tmp_path / "s").exists()


def test_console_script_runs_in_a_fresh_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "twin.cli", "--store", str(tmp_path / "s"),
                           "layers"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "the store is empty" in proc.stdout


WRONG_INVOCATIONS = [
    (["layers", "--bogus"], "No such option: --bogus"),
    (["versions"], "Missing argument 'layer'"),
    (["rollback", "parcel", "x"], "Invalid value for 'version'"),
    (["nosuch"], "No such command 'nosuch'"),
    (["import"], "Missing argument"),
    (["versions", "a", "b"], "unexpected extra argument"),
]


def test_usage_mistakes_give_clicks_usage_error_not_a_traceback(tmp_path):
    """Run as the user does (a fresh process) so nothing of pytest hides a traceback."""
    for args, expected in WRONG_INVOCATIONS:
        proc = subprocess.run([sys.executable, "-m", "twin.cli", "--store",
                               str(tmp_path / "s"), *args], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert expected in proc.stderr and "Usage: twin" in proc.stderr, (args, proc.stderr)


def test_store_option_after_the_subcommand(tmp_path, capsys):
    store = tmp_path / "s"
    assert main(["versions", "nope", "--store", str(store)]) == 1
    assert "no layer called 'nope'" in capsys.readouterr().err
    assert main(["layers", f"--store={store}"]) == 0
    assert "the store is empty" in capsys.readouterr().out


def test_streamlit_config_hides_tracebacks_and_caps_uploads():
    from pathlib import Path

    import tomllib

    from twin.config import DEFAULT_UPLOAD_LIMIT_MB

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml")
                           .read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] in ("type", "none", False)
    assert config["server"]["maxUploadSize"] == DEFAULT_UPLOAD_LIMIT_MB


def test_disk_full_is_one_line_and_the_store_is_unchanged(tmp_path, capsys, monkeypatch):
    import errno
    import hashlib
    import json as _json

    import twin.store.atomic as atomic

    src = tmp_path / "p.geojson"
    square = [[119.9, 35.73], [119.901, 35.73], [119.901, 35.731], [119.9, 35.73]]
    src.write_text(_json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "P1"},
         "geometry": {"type": "Polygon", "coordinates": [square]}}]}))
    store = tmp_path / "s"
    assert main(["--store", str(store), "import", str(src), "--kind", "parcel"]) == 0

    def snapshot():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in store.rglob("*") if p.is_file()}

    before = snapshot()
    capsys.readouterr()

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(atomic, "fsync_path", full)
    for args in (["import", str(src), "--kind", "parcel"], ["rollback", "parcel", "1"]):
        assert main(["--store", str(store), *args]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "no space left" in err[0] and "Hint: free some" in err[0]
        assert snapshot() == before


def test_gbk_geojson_imports_with_encoding_and_keeps_the_chinese_names(tmp_path, capsys):
    from bad_inputs import _gbk

    from twin.store import ParquetStore

    src = tmp_path / "gbk.geojson"
    _gbk(src)
    store_dir = str(tmp_path / "s")
    # without the option: one line that names the encoding and the option that reads it
    assert main(["--store", store_dir, "import", str(src), "--kind", "parcel"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gbk.geojson" in err[0] and "--encoding gbk" in err[0]
    assert main(["--store", store_dir, "import", str(src), "--kind", "parcel",
                 "--encoding", "gbk"]) == 0
    assert "version 1" in capsys.readouterr().out
    names = ParquetStore(tmp_path / "s").read("parcel")["name"].tolist()
    assert names == ["泊里镇横河地块"]


def test_wrong_or_unknown_encoding_is_one_line_and_writes_nothing(tmp_path, capsys):
    src = tmp_path / "utf8.geojson"
    src.write_bytes('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                    '{"name":"泊里"},"geometry":{"type":"Point","coordinates":[119.9,35.73]}}]}'
                    .encode()[:-3] + b"\xff]}")
    store_dir = tmp_path / "s"
    for encoding, expected in (("klingon", "unknown text encoding 'klingon'"),
                               ("ascii", "are not ascii text")):
        assert main(["--store", str(store_dir), "import", str(src), "--kind", "facility",
                     "--encoding", encoding]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "utf8.geojson" in err[0] and expected in err[0], err
    assert not store_dir.exists()
