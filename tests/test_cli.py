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
