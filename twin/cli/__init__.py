"""The ``twin`` command line.

Each area of the product adds its commands in its own module; this module builds the app
and turns every :class:`~twin.errors.TwinError` into one clear line and a non-zero exit.
"""

from __future__ import annotations

import errno
import sys

import typer

from ..errors import TwinError
from . import demo as _demo_cli
from . import diff as _diff_cli
from . import find as _find_cli
from . import ifc as _ifc_cli
from . import layers as _layers
from . import query as _query_cli
from . import scenario as _scenario_cli
from . import store as _store_cli
from . import tiles as _tiles_cli
from .common import err_console, state

__all__ = ["app", "main", "hoist_global_options", "resource_error"]

app = typer.Typer(
    name="twin",
    help="twin: a CIM/BIM digital twin of a town (泊里镇 Boli one map 一张图).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    store: str = typer.Option(None, "--store", envvar="TWIN_STORE",
                              help="Store folder or postgresql:// URL (default: layers/)."),
) -> None:
    """Choose the store for every command."""
    state.store_url = store


_layers.register(app)
_ifc_cli.register(app)
_demo_cli.register(app)
_query_cli.register(app)
_store_cli.register(app)
_scenario_cli.register(app)
_find_cli.register(app)
_diff_cli.register(app)
_tiles_cli.register(app)


def _click_exceptions() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(ClickException, Abort) classes of click and of the copy typer may vendor."""
    import click

    errors, aborts = [click.ClickException], [click.exceptions.Abort, typer.Abort]
    try:
        from typer._click import exceptions as vendored
    except ImportError:  # a typer that uses click itself
        vendored = None
    if vendored is not None:
        errors.append(vendored.ClickException)
    return tuple(errors), tuple(aborts)


_GLOBAL_OPTIONS = ("--store",)


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move ``--store VALUE`` (or ``--store=VALUE``) typed after the subcommand to the front,
    where the root command reads it; everything else keeps its order."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        name = arg.split("=", 1)[0]
        if name in _GLOBAL_OPTIONS:
            if "=" in arg:
                front.append(arg)
            else:
                front.extend(argv[i:i + 2])
                i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


_RESOURCE_ERRORS = {
    errno.ENOSPC: ("no space left on the device", "free some space and run it again"),
    errno.EDQUOT: ("the disk quota is exhausted", "free some space and run it again"),
    errno.EFBIG: ("the file grew past the system's file-size limit",
                  "raise the limit (ulimit -f) and run it again"),
    errno.EROFS: ("the file system is read-only", "point --store at a writable folder"),
}


def resource_error(exc: OSError) -> str | None:
    """One line for a machine limit met while writing (disk full, file-size limit, read-only
    file system), or ``None`` for any other OSError. Writes are atomic, so the store still
    holds what it held before."""
    known = _RESOURCE_ERRORS.get(exc.errno)
    if known is None:
        return None
    what, hint = known
    where = f"{exc.filename}: " if exc.filename else ""
    return (f"{where}{what}; nothing was changed (every write is atomic). Hint: {hint}.")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a TwinError prints one line on stderr and exits with status 1, and a
    usage mistake click's one-line usage error with status 2 (never a traceback)."""
    click_errors, click_aborts = _click_exceptions()
    argv = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    try:
        # Without standalone mode click returns the code of a ``typer.Exit`` instead of
        # raising it; keep it.
        result = app(args=argv, prog_name="twin", standalone_mode=False)
    except TwinError as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # click's usage errors
        return int(exc.code or 0)
    except KeyboardInterrupt:
        err_console.print("error: interrupted", markup=False)
        return 130
    except OSError as exc:
        message = resource_error(exc)
        if message is None:
            raise
        err_console.print(f"error: {message}", markup=False)
        return 1
    except click_errors as exc:  # usage errors: unknown option, missing argument, bad value
        exc.show()
        return exc.exit_code
    except click_aborts:
        return 1
    return result if isinstance(result, int) else 0


def _entry() -> None:
    sys.exit(main())
