"""``onex-registration``: run the registration orchestrator and inspect its registry.

The commands are thin: parsing and printing live here, formatting in ``cli_views`` /
``cli_table``, the run loop in ``cli_run``, the demo's account in ``cli_demo_account`` (the
demo itself, which returns data, in ``omnibase_infra.simulation``), ``serve`` in
``cli_serve``, ``publish`` and ``bus setup`` in ``cli_publish``. Every user error prints one
line, ``onex-registration: error: ...``, on stderr and exits non-zero (2 for usage errors, 1
otherwise); a traceback is never shown.

This module is the console entry point: it imports only the standard library and light
modules, and everything heavy (models, stores, the runtime, the database drivers) inside the
command that needs it, so ``--help`` and usage errors answer at once.

It is over the usual module size (about 700 lines) for that reason: the parser, the command
functions, the option checks and the store and output helpers they share are the whole
command surface, each command a few lines long, kept in one light module so that the entry
point loads one file.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn, TextIO, TypeVar

from omnibase_infra.cli.cli_text import one_line
from omnibase_infra.enums.enum_registration_state import EnumRegistrationState

if TYPE_CHECKING:
    from omnibase_infra.models import ModelPartition
    from omnibase_infra.stores.model_store_url import ModelStoreUrl
    from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore

RowT = TypeVar("RowT")

PROG = "onex-registration"
#: Shown by ``--help``; equal to ``store_factory.ENV_STORE_URL`` and ``DEFAULT_STORE_URL``
#: (a test keeps them so) without importing the stores for a help text.
STORE_DEFAULT_HELP = "$ONEX_REGISTRATION_STORE, else sqlite:///registration.db"


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
    command = None
    try:
        args = parser.parse_args(argv)
        command = args.command
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except _UsageError as exc:
        return _fail(str(exc), 2)
    except _UserError as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        _silence_stdout()
        # a reading command piped into `head`: the reader has what it wanted; a run is never
        # quietly cut short (it reports its own closed output, this is a closed stderr)
        return 141 if command == "run" else 0
    except Exception as exc:
        return _fail(_describe(exc), 1)


def _describe(exc: Exception) -> str:
    """The one-line message of an error no command turned into a ``_UserError``."""
    from omnibase_core.models.errors import ModelOnexError  # loaded by whoever raised it

    if isinstance(exc, ModelOnexError):
        return exc.message
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)
    return f"unexpected {type(exc).__name__}: {one_line(str(exc))}"


# --- commands ------------------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    from omnibase_infra.cli.cli_output_guard import output_conflict
    from omnibase_infra.cli.cli_run import STDIN, run_file  # the runtime is loaded only now

    store_url = _parse_store(args.store)
    _check_input(args.events)
    reading = ("standard input", 0) if args.events == STDIN else ("the input file", args.events)
    conflict = output_conflict(
        args.out, [reading, *store_url.sqlite_files()], stdout_fd=_stdout_fd()
    )
    if conflict is not None:
        remedy = "choose another --out file" if args.out != "-" else "redirect it elsewhere"
        raise _UsageError(f"{conflict}: writing there would destroy it; {remedy}")
    from omnibase_infra.cli.cli_run_stop import ServiceRunStop
    from omnibase_infra.models import ModelPartition

    outcome = None
    # SIGINT/SIGTERM stop the run between batches, never in the middle of one
    with (
        ServiceRunStop() as stop,
        _store(store_url, must_exist=False) as store,
        _output(args.out) as out,
    ):
        outcome = run_file(
            args.events,
            store,
            partition=args.partition or ModelPartition(),
            batch_size=args.batch_size,
            out=out,
            err=sys.stderr,
            stop=stop,
        )
    if outcome is None:  # a signal came while the store was opening: nothing was applied
        return _fail(
            f"interrupted by {stop.signal_name} before the run started; nothing was applied",
            stop.exit_status or 130,
        )
    _summary, status, problem = outcome
    if status == 141 and args.out == "-":
        _silence_stdout()
    if problem is not None:
        return _fail(problem, status)
    return status


def _cmd_nodes(args: argparse.Namespace) -> int:
    from omnibase_infra.cli.cli_views import node_json, nodes_table

    state = EnumRegistrationState(args.state) if args.state else None
    with _store(_parse_store(args.store), must_exist=True) as store:
        nodes = store.list_nodes(state)
    empty = f"no nodes{f' in state {state.value}' if state else ''}"
    _print_listing(nodes, args.json, node_json, nodes_table, empty)
    return 0


def _cmd_events(args: argparse.Namespace) -> int:
    from omnibase_infra.cli.cli_views import event_json, events_table

    with _store(_parse_store(args.store), must_exist=True) as store:
        events = store.iter_events(after_sequence=args.after_sequence)
        if args.partition is not None:
            owns = args.partition.owns
            events = (event for event in events if owns(event.node_id))
        if args.json:
            _print_lines(event_json(e) for e in events)
            return 0
        listed = list(events)
    empty = "no events" + (f" after sequence {args.after_sequence}" if args.after_sequence else "")
    _print_listing(listed, False, event_json, events_table, empty)
    return 0


def _cmd_dead_letters(args: argparse.Namespace) -> int:
    from omnibase_infra.cli.cli_views import dead_letter_json, dead_letters_table

    with _store(_parse_store(args.store), must_exist=True) as store:
        dead_letters = store.list_dead_letters()
    _print_listing(dead_letters, args.json, dead_letter_json, dead_letters_table, "no dead letters")
    return 0


def _cmd_store_migrate(args: argparse.Namespace) -> int:
    with _store(_parse_store(args.store), must_exist=False) as store:
        version = store.migrate()
        print(f"{one_line(store.url)}: schema version {version}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    _parse_store(args.store)  # a malformed URL is one line before anything is loaded
    from omnibase_infra.cli.cli_serve import serve_command  # the bus and the engine, only now

    return serve_command(args)


def _cmd_publish(args: argparse.Namespace) -> int:
    _check_input(args.file)
    from omnibase_infra.cli.cli_publish import publish_command  # the bus client, only now

    return publish_command(args)


def _cmd_bus_setup(args: argparse.Namespace) -> int:
    from omnibase_infra.cli.cli_publish import bus_setup_command  # the bus client, only now

    return bus_setup_command(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from omnibase_core.enums import EnumCoreErrorCode
    from omnibase_core.models.errors import ModelOnexError
    from omnibase_infra.cli.cli_demo_account import render_demo_account

    if args.bus is None:
        given = [
            f"--{name.replace('_', '-')}"
            for name in ("serve", "partitions", "stall_timeout")
            if getattr(args, name) is not None
        ]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            raise _UsageError(f"{', '.join(given)} only {verb} with --bus URL")
    store_url = None if args.store is None else _parse_store(args.store).url
    try:
        if args.bus is None:
            from omnibase_infra.simulation.service_registration_demo import (
                ServiceRegistrationDemo,
            )

            report = ServiceRegistrationDemo(
                seed=args.seed, nodes=args.nodes, minutes=args.minutes, store_url=store_url
            ).run()
        else:
            from omnibase_infra.cli.cli_demo_bus import run_bus_demo

            report = run_bus_demo(args, store_url)
    except ModelOnexError as exc:
        if exc.error_code is EnumCoreErrorCode.INVALID_PARAMETER:
            raise _UsageError(exc.message) from None  # a parameter or a store that is not empty
        raise
    print(render_demo_account(report))
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
        epilog=f"--store defaults to {STORE_DEFAULT_HELP}.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0, help="show the version and exit"
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    run = commands.add_parser("run", help="apply a JSON-lines file of envelopes")
    run.add_argument("events", metavar="EVENTS.jsonl", help="one envelope per line")
    _add_store(run)
    run.add_argument(
        "--partition",
        type=_partition,
        default=None,
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
    events.add_argument(
        "--after-sequence",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="only events whose sequence is above N (what a run's --out missed after N)",
    )
    events.add_argument(
        "--partition",
        type=_partition,
        default=None,
        metavar="I/N",
        help="only events of the nodes partition I of N owns (what one run --partition I/N "
        "emitted)",
    )
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

    serve = commands.add_parser(
        "serve", help="run as a live service on NATS JetStream (see docs/operations.md)"
    )
    _add_store(serve)
    serve.add_argument(
        "--bus", required=True, metavar="URL", help="the NATS server, nats://HOST:PORT"
    )
    serve.add_argument(
        "--partitions",
        type=_partition_count,
        default=4,
        metavar="P",
        help="partitions of the bus streams (default 4; must match streams already created)",
    )
    serve.add_argument(
        "--http",
        default=None,
        metavar="HOST:PORT",
        help="serve /livez, /readyz and /metrics there (needs omnibase-infra[serve])",
    )
    serve.add_argument(
        "--no-ticks",
        action="store_true",
        help="do not tick the owned partitions (ticks published on the bus are still applied)",
    )
    serve.add_argument(
        "--batch-size",
        type=_batch_size,
        default=256,
        metavar="B",
        help="messages fetched and committed per transaction, per partition (default 256)",
    )
    serve.add_argument(
        "--ack-wait",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long a fetched message may stay unacknowledged before it is delivered "
        "again (default 30)",
    )
    serve.add_argument(
        "--contract",
        default=None,
        metavar="PATH",
        help="the orchestrator's contract (default: the one shipped with the package); its "
        "lifecycle section sets the liveness interval and window and the tick interval",
    )
    serve.add_argument(
        "--shutdown-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="longest clean stop after SIGTERM/SIGINT before exiting anyway (default 30)",
    )
    serve.set_defaults(handler=_cmd_serve)

    publish = commands.add_parser(
        "publish",
        help="publish a JSON-lines file of envelopes to the bus, each on its node's partition",
    )
    publish.add_argument("file", metavar="FILE", help="one envelope per line; - for stdin")
    _add_bus(publish)
    publish.add_argument(
        "--duplicate-window",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="de-duplication window of partition streams this creates (default 120)",
    )
    publish.set_defaults(handler=_cmd_publish)

    bus = commands.add_parser("bus", help="bus maintenance")
    bus_commands = bus.add_subparsers(
        dest="bus_command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    setup = bus_commands.add_parser(
        "setup", help="create or update the bus streams and consumers (idempotent)"
    )
    _add_bus(setup)
    setup.add_argument(
        "--batch-size",
        type=_batch_size,
        default=256,
        metavar="B",
        help="the consumers' batch, and unacknowledged messages per partition (default 256)",
    )
    setup.add_argument(
        "--ack-wait",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long a fetched message may stay unacknowledged (default 30)",
    )
    setup.add_argument(
        "--duplicate-window",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="how long the streams remember message ids to drop duplicates (default 120)",
    )
    setup.set_defaults(handler=_cmd_bus_setup)

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
    demo.add_argument(
        "--bus",
        type=_bus_url,
        default=None,
        metavar="URL",
        help="run the cluster through serve processes on this NATS server, nats://HOST:PORT "
        "(its streams must be empty; see docs/registration.md)",
    )
    demo.add_argument(
        "--serve",
        type=_non_negative_int,
        default=None,
        metavar="N",
        help="with --bus: serve processes the demo starts (default 1; more need a PostgreSQL "
        "--store; 0: use serve processes already running on --store with --no-ticks)",
    )
    demo.add_argument(
        "--partitions",
        type=_partition_count,
        default=None,
        metavar="P",
        help="with --bus: partitions of the bus streams (default 4)",
    )
    demo.add_argument(
        "--stall-timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="with --bus: give up when the services make no progress for this long (default 60)",
    )
    demo.set_defaults(handler=_cmd_demo)
    return parser


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help=f"store URL (default {STORE_DEFAULT_HELP})",
    )


def _add_bus(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bus", required=True, type=_bus_url, metavar="URL", help="nats://HOST:PORT"
    )
    parser.add_argument(
        "--partitions",
        type=_partition_count,
        default=4,
        metavar="P",
        help="partitions of the bus streams (default 4; must match the streams on the server)",
    )
    parser.add_argument(
        "--replicas",
        type=_replicas,
        default=1,
        metavar="R",
        help="copies of each partition stream it creates (default 1; 3 in a cluster)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="give up connecting, or storing a batch, after this long (default 10)",
    )


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked for."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> NoReturn:
        from omnibase_infra import __version__

        parser.exit(message=f"{parser.prog} {__version__}\n")


def _partition(spec: str) -> ModelPartition:
    """``--partition I/N``; the model (and pydantic) is loaded only when the option is given."""
    from omnibase_core.models.errors import ModelOnexError
    from omnibase_infra.models import ModelPartition

    try:
        return ModelPartition.parse(spec)
    except ModelOnexError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _whole_number(text: str, minimum: int, rule: str) -> int:
    """``text`` as an integer of at least ``minimum``; ``rule`` says so in the error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} must be {rule}")
    return value


def _non_negative_int(text: str) -> int:
    return _whole_number(text, 0, "0 or more")


def _positive_int(text: str) -> int:
    return _whole_number(text, 1, "at least 1")


def _at_most(maximum: int) -> Callable[[str], int]:
    """An argument type: a whole number from 1 to ``maximum``."""

    def parse(text: str) -> int:
        value = _whole_number(text, 1, "at least 1")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"{value} must be at most {maximum}")
        return value

    return parse


#: ``--partitions``, ``--batch-size`` and ``--replicas``: the bounds the bus settings enforce.
_partition_count = _at_most(4096)
_batch_size = _at_most(10_000)
_replicas = _at_most(5)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"{value:g} must be above 0 and at most 86400 seconds")
    return value


def _bus_url(text: str) -> str:
    """``--bus``: ``nats://HOST:PORT`` (or ``tls://``), checked before anything is loaded; a
    password in it is masked in the error."""
    from urllib.parse import urlsplit

    from omnibase_infra.utils.url_masking import mask_url

    shown = repr(mask_url(text))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{shown} is not a URL: {exc}") from None
    if parts.scheme not in {"nats", "tls"} or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{shown} is not nats://HOST:PORT (or tls://HOST:PORT)")
    if port is None:
        raise argparse.ArgumentTypeError(f"{shown} has no port; NATS listens on 4222 by default")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"{shown}: a bus URL has no path, query or fragment")
    return text


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 5 <= value <= 24 * 60:
        raise argparse.ArgumentTypeError(f"{value:g} must be between 5 and 1440")
    return value


# --- helpers -------------------------------------------------------------------------------------


def _parse_store(url: str | None) -> ModelStoreUrl:
    """``--store`` (or the default) read by the one rule every command shares.

    Raises ``_UserError`` for an unknown scheme or a malformed URL.
    """
    from omnibase_core.models.errors import ModelOnexError
    from omnibase_infra.stores.store_factory import parse_store_url

    try:
        return parse_store_url(url)
    except ModelOnexError as exc:
        raise _UserError(exc.message) from None


@contextmanager
def _store(url: ModelStoreUrl, *, must_exist: bool) -> Iterator[ProtocolRegistrationStore]:
    """Open the store at ``url``, closing it afterwards.

    With ``must_exist`` a SQLite file that is not there is an error rather than a new empty
    registry: reading commands must not create stores by accident.
    """
    from omnibase_infra.stores.store_factory import open_store

    if must_exist and url.sqlite_path is not None and not os.path.exists(url.sqlite_path):
        raise _UserError(
            f"no SQLite store at {url.sqlite_path} (from --store {url.url}); run "
            f"'{PROG} run EVENTS.jsonl --store {url.url}' or '{PROG} store migrate' first"
        )
    store = open_store(url.url)
    try:
        yield store
    finally:
        store.close()


def _check_input(name: str) -> None:
    """Refuse an input ``run`` cannot read line by line: missing, a folder, a block device.

    ``-`` (standard input), regular files, FIFOs, process substitutions and character devices
    are read as they come. Raises ``_UserError``.
    """
    if name == "-":
        return
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        raise _UserError(f"input file {name} does not exist") from None
    except OSError as exc:
        raise _UserError(f"input file {name}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise _UserError(f"input file {name} is a folder")
    if stat.S_ISBLK(mode):
        raise _UserError(
            f"input file {name} is a block device; give a file, a FIFO or - for standard input"
        )


def _stdout_fd() -> int | None:
    """The descriptor behind ``sys.stdout``, or ``None`` when it has none (a test capture)."""
    try:
        return sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return None


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
    print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)
    return status


def _silence_stdout() -> None:
    # Python flushes stdout at exit; a closed pipe would raise again there.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
