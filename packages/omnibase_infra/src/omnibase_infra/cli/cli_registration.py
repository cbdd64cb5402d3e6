"""``onex-registration``: run the registration orchestrator and inspect its registry.

The commands are thin: parsing and printing live here, formatting in ``cli_views`` /
``cli_table``, the run loop in ``cli_run``, the demo in ``omnibase_infra.simulation``. Every user
error prints one line, ``onex-registration: error: ...``, on stderr and exits non-zero (2 for
usage errors, 1 otherwise); a traceback is never shown.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TextIO, TypeVar

from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.cli.cli_views import (
    dead_letter_json,
    dead_letters_table,
    event_json,
    events_table,
    node_json,
    nodes_table,
)
from omnibase_infra.enums import EnumRegistrationState
from omnibase_infra.models import ModelPartition
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.stores.store_factory import default_store_url, open_store, store_url_scheme

RowT = TypeVar("RowT")

PROG = "onex-registration"


class _UsageError(Exception):
    """A mistake in the command line itself (exit status 2)."""


class _UserError(Exception):
    """A problem with what the command line points at: a file, a store (exit status 1)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, raised instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see {self.prog} --help)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``onex-registration``; returns the exit status.

    0 on success, 1 when a command fails (missing file, unreadable store, a demo invariant
    broken), 2 on a usage error, 130 when interrupted.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except _UsageError as exc:
        return _fail(str(exc), 2)
    except _UserError as exc:
        return _fail(str(exc), 1)
    except ModelOnexError as exc:
        return _fail(exc.message, 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except OSError as exc:
        return _fail(f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc), 1)
    except Exception as exc:
        return _fail(f"unexpected {type(exc).__name__}: {_one_line(str(exc))}", 1)


# --- commands ------------------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    from omnibase_infra.cli.cli_run import run_file  # the runtime is loaded only when needed

    path = Path(args.events)
    if not path.is_file():
        reason = "is a folder" if path.is_dir() else "does not exist"
        raise _UserError(f"input file {args.events} {reason}")
    with _store(args.store, must_exist=False) as store, _output(args.out) as out:
        run_file(
            path,
            store,
            partition=args.partition,
            batch_size=args.batch_size,
            out=out,
            err=sys.stderr,
        )
    return 0


def _cmd_nodes(args: argparse.Namespace) -> int:
    state = EnumRegistrationState(args.state) if args.state else None
    with _store(args.store, must_exist=True) as store:
        nodes = store.list_nodes(state)
    empty = f"no nodes{f' in state {state.value}' if state else ''}"
    _print_listing(nodes, args.json, node_json, nodes_table, empty)
    return 0


def _cmd_events(args: argparse.Namespace) -> int:
    with _store(args.store, must_exist=True) as store:
        if args.json:
            _print_lines(event_json(e) for e in store.iter_events())
            return 0
        events = list(store.iter_events())
    _print_listing(events, False, event_json, events_table, "no events")
    return 0


def _cmd_dead_letters(args: argparse.Namespace) -> int:
    with _store(args.store, must_exist=True) as store:
        dead_letters = store.list_dead_letters()
    _print_listing(dead_letters, args.json, dead_letter_json, dead_letters_table, "no dead letters")
    return 0


def _cmd_store_migrate(args: argparse.Namespace) -> int:
    with _store(args.store, must_exist=False) as store:
        version = store.migrate()
        print(f"{store.url}: schema version {version}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from omnibase_infra.simulation.service_registration_demo import ServiceRegistrationDemo

    demo = ServiceRegistrationDemo(
        seed=args.seed, nodes=args.nodes, minutes=args.minutes, store_url=args.store
    )
    report = demo.run()
    print(report.account)
    if report.failures:
        for failure in report.failures:
            print(f"{PROG}: invariant failed: {failure}", file=sys.stderr)
        return 1
    return 0


# --- parsing -------------------------------------------------------------------------------------


def _build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Run the node registration orchestrator and inspect its registry.",
        epilog=f"--store defaults to $ONEX_REGISTRATION_STORE, else {default_store_url({})}.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    run = commands.add_parser("run", help="apply a JSON-lines file of envelopes")
    run.add_argument("events", metavar="EVENTS.jsonl", help="one envelope per line (DESIGN 6.5)")
    _add_store(run)
    run.add_argument(
        "--partition",
        type=_partition,
        default=ModelPartition(),
        metavar="I/N",
        help="own only the nodes whose id hashes to I of N (default 0/1: all)",
    )
    run.add_argument(
        "--batch-size",
        type=_positive_int,
        default=500,
        metavar="N",
        help="inputs committed per transaction (default 500)",
    )
    run.add_argument(
        "--out",
        default="-",
        metavar="FILE|-",
        help="where this run's emitted events go, as JSON lines (default -: stdout)",
    )
    run.set_defaults(handler=_cmd_run)

    nodes = commands.add_parser("nodes", help="the registry, one node per row")
    _add_store(nodes)
    nodes.add_argument("--json", action="store_true", help="one JSON object per line")
    nodes.add_argument(
        "--state", choices=[s.value for s in EnumRegistrationState], help="only nodes in this state"
    )
    nodes.set_defaults(handler=_cmd_nodes)

    events = commands.add_parser("events", help="every emitted event in commit order")
    _add_store(events)
    events.add_argument("--json", action="store_true", help="one JSON object per line")
    events.set_defaults(handler=_cmd_events)

    dead = commands.add_parser("dead-letters", help="every dead-lettered input with its reason")
    _add_store(dead)
    dead.add_argument("--json", action="store_true", help="one JSON object per line")
    dead.set_defaults(handler=_cmd_dead_letters)

    store = commands.add_parser("store", help="store maintenance")
    store_commands = store.add_subparsers(
        dest="store_command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    migrate = store_commands.add_parser("migrate", help="create or upgrade the store's schema")
    _add_store(migrate)
    migrate.set_defaults(handler=_cmd_store_migrate)

    demo = commands.add_parser(
        "demo", help="simulate a cluster through the real orchestrator and check the invariants"
    )
    demo.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    demo.add_argument("--nodes", type=_positive_int, default=100, help="cluster size (100)")
    demo.add_argument(
        "--minutes", type=_minutes, default=30.0, help="simulated minutes, at least 5 (default 30)"
    )
    demo.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="store URL (default: a SQLite file in a temporary folder)",
    )
    demo.set_defaults(handler=_cmd_demo)
    return parser


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="store URL (default $ONEX_REGISTRATION_STORE, else sqlite:///registration.db)",
    )


def _partition(spec: str) -> ModelPartition:
    try:
        return ModelPartition.parse(spec)
    except ModelOnexError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 5 <= value <= 24 * 60:
        raise argparse.ArgumentTypeError(f"{value:g} must be between 5 and 1440")
    return value


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def _store(url: str | None, *, must_exist: bool) -> Iterator[ProtocolRegistrationStore]:
    """Open the store at ``url`` (or the default), closing it afterwards.

    With ``must_exist`` a SQLite file that is not there is an error rather than a new empty
    registry: reading commands must not create stores by accident.
    """
    url = (url or default_store_url()).strip()
    scheme = store_url_scheme(url)
    if must_exist and scheme == "sqlite":
        path = _sqlite_path(url)
        if path is not None and not path.exists():
            raise _UserError(
                f"no SQLite store at {path} (from --store {url}); run "
                f"'{PROG} run EVENTS.jsonl --store {url}' or '{PROG} store migrate' first"
            )
    store = open_store(url)
    try:
        yield store
    finally:
        store.close()


def _sqlite_path(url: str) -> Path | None:
    rest = url.split("://", 1)[1]
    if not rest.startswith("/"):
        return None
    path = rest[1:]
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return Path(path)


@contextmanager
def _output(target: str) -> Iterator[TextIO]:
    if target == "-":
        yield sys.stdout
        return
    try:
        handle = open(target, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _UserError(f"cannot write --out {target}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def _print_listing(
    rows: Sequence[RowT],
    as_json: bool,
    to_json: Callable[[RowT], str],
    to_table: Callable[[Sequence[RowT]], str],
    empty: str,
) -> None:
    """Print ``rows`` as JSON lines or as a table; say ``empty`` on stderr when there are none."""
    if as_json:
        _print_lines(to_json(row) for row in rows)
    elif rows:
        print(to_table(rows))
    else:
        print(empty, file=sys.stderr)


def _print_lines(lines: Iterator[str] | Sequence[str]) -> None:
    write = sys.stdout.write
    for line in lines:
        write(line)
        write("\n")


def _fail(message: str, status: int) -> int:
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)
    return status


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(no detail)"


def _silence_stdout() -> None:
    # Python flushes stdout at exit; a closed pipe would raise again there.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _version() -> str:
    from omnibase_infra import __version__

    return __version__
