"""``onex-registration publish`` and ``onex-registration bus setup``: the producer's side of the
live service on NATS JetStream.

Loaded only when one of these commands runs (it imports the bus client and the node's
contract). Both build the bus layout from the orchestrator's contract (its ``topics`` section,
see ``registration_bus``), so they agree with ``serve`` on stream names, topics and partitions.

- ``publish FILE``: JSON lines (a file, or ``-`` for standard input) through
  :class:`~omnibase_infra.bus.ServiceBusProducer`: each envelope on its node's partition, ticks
  on every partition, the envelope id as the idempotency id, so publishing a file again stores
  nothing new. Only the orchestrator's input topics are accepted. Partition streams that do
  not exist yet are created; existing ones and every consumer are left as they are (their
  partition count must match ``--partitions``). A line that is not an envelope the bus can
  route is refused and skipped; the summary lists the refused lines and the exit status is 1.
- ``bus setup``: creates or updates every partition stream and durable consumer of the input
  and output streams (idempotent) and prints what it created, updated or found.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusUnavailableError, ModelEventBusSettings
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.bus import (
    EventBusNats,
    ModelBusProducerReport,
    ModelNatsBusOptions,
    ModelNatsSetupStep,
    ServiceBusProducer,
)
from omnibase_infra.cli.cli_registration import PROG
from omnibase_infra.nodes.node_registration_orchestrator.node import NodeRegistrationOrchestrator
from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import (
    INPUT_STREAM,
    registration_bus_settings,
)
from omnibase_infra.utils.url_masking import mask_url

STDIN = "-"
#: Refused line numbers listed in the summary; past that, how many more.
_LISTED_REFUSALS = 10


def publish_command(args: argparse.Namespace) -> int:
    """Run ``publish`` with parsed arguments; returns the exit status (1 when a line was
    refused).

    Raises ``ModelOnexError`` with a one-line message for an unreadable file, an unreachable
    bus (within ``--timeout``), streams whose partition count differs from ``--partitions``,
    or a bus that stopped storing messages mid-file.
    """
    return asyncio.run(_publish(args))


def bus_setup_command(args: argparse.Namespace) -> int:
    """Run ``bus setup`` with parsed arguments; returns 0.

    Raises ``ModelOnexError`` with a one-line message for an unreachable bus or streams and
    consumers that conflict with the settings (a different partition count, a consumer with
    another ack policy), naming what to do.
    """
    return asyncio.run(_setup(args))


def _settings(
    args: argparse.Namespace, max_batch: int = 256, ack_wait: float = 30.0
) -> ModelEventBusSettings:
    contract = NodeRegistrationOrchestrator.load_registration_contract()
    return registration_bus_settings(
        contract,
        args.partitions,
        max_batch=max_batch,
        ack_wait_seconds=ack_wait,
        duplicate_window_seconds=args.duplicate_window,
        operation_timeout_seconds=args.timeout,
    )


async def _connect(args: argparse.Namespace, settings: ModelEventBusSettings) -> EventBusNats:
    options = ModelNatsBusOptions(
        connection_name=f"onex-registration {args.command}",
        replicas=args.replicas,
        connect_timeout_seconds=args.timeout,
        connect_attempts=1,
    )
    return await EventBusNats.connect(args.bus, settings, options, setup=False)


async def _publish(args: argparse.Namespace) -> int:
    full = _settings(args)
    input_stream = full.stream(INPUT_STREAM)
    assert input_stream is not None
    settings = full.model_copy(update={"streams": (input_stream,)})
    source = "<stdin>" if args.file == STDIN else args.file
    refused: list[tuple[int, str]] = []
    with _lines(args.file) as lines:
        bus = await _connect(args, settings)
        try:
            await bus.setup(producer=True)
            producer = ServiceBusProducer(bus)
            try:
                report = await producer.publish_lines(
                    lines, source, on_refused=lambda n, why: refused.append((n, why))
                )
            except ModelBusUnavailableError as exc:
                raise ModelOnexError(
                    f"{exc.message}; publishing {source} again within the streams' duplicate "
                    f"window ({args.duplicate_window:g}s) is safe: the server keeps one copy",
                    EnumCoreErrorCode.CONFIGURATION_ERROR,
                ) from None
        finally:
            await bus.close()
    print(_publish_summary(report, source, mask_url(args.bus), args.partitions, refused))
    if refused:
        count = len(refused)
        print(
            f"{PROG}: error: {count} line{'s' * (count != 1)} of {source} refused "
            f"(not published); first: {refused[0][1]}",
            file=sys.stderr,
        )
        return 1
    return 0


def _publish_summary(
    report: ModelBusProducerReport,
    source: str,
    url: str,
    partitions: int,
    refused: list[tuple[int, str]],
) -> str:
    ticks = f", {report.broadcast} to all {partitions} partitions" if report.broadcast else ""
    summary = (
        f"published {report.envelopes} envelopes from {source} to {url} "
        f"({report.keyed} keyed{ticks}): {report.copies} messages, {report.stored} stored, "
        f"{report.duplicates} duplicates; {len(refused)} lines refused"
    )
    if refused:
        listed = ", ".join(str(number) for number, _ in refused[:_LISTED_REFUSALS])
        more = len(refused) - _LISTED_REFUSALS
        summary += f" (lines {listed}{f' and {more} more' if more > 0 else ''})"
    return summary


@contextmanager
def _lines(name: str) -> Iterator[BinaryIO | Iterator[bytes]]:
    if name == STDIN:
        yield sys.stdin.buffer
        return
    try:
        handle = open(name, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ModelOnexError(
            f"cannot read input file {name}: {exc.strerror or exc}",
            EnumCoreErrorCode.FILE_NOT_FOUND,
        ) from None
    with handle:
        yield handle


async def _setup(args: argparse.Namespace) -> int:
    settings = _settings(args, max_batch=args.batch_size, ack_wait=args.ack_wait)
    bus = await _connect(args, settings)
    try:
        steps = await bus.setup()
    finally:
        await bus.close()
    for step in steps:
        print(step)
    print(_setup_summary(steps, mask_url(args.bus), settings))
    return 0


def _setup_summary(
    steps: tuple[ModelNatsSetupStep, ...], url: str, settings: ModelEventBusSettings
) -> str:
    def tally(kind: str) -> str:
        mine = [step.action for step in steps if step.kind == kind]
        counts = ", ".join(
            f"{mine.count(action)} {action}"
            for action in ("created", "updated", "unchanged")
            if mine.count(action)
        )
        return f"{len(mine)} {kind}s ({counts or 'none'})"

    streams = ", ".join(f"{s.name} ({s.partitions} partitions)" for s in settings.streams)
    return f"bus {url}: {streams}: {tally('stream')}, {tally('consumer')}"
