"""``onex-registration demo --bus``: runs :class:`ServiceBusDemo` from the command line.

Loaded only when the demo runs over a bus. Each step is reported on stderr as it happens (the
account itself goes to stdout once the run is checked). SIGTERM is turned into the same
interrupt as Ctrl-C, so the serve processes the demo started are stopped either way.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from omnibase_infra.simulation.model_demo_report import ModelDemoReport
from omnibase_infra.simulation.service_bus_demo import ServiceBusDemo

PROG = "onex-registration"


def run_bus_demo(args: argparse.Namespace, store_url: str | None) -> ModelDemoReport:
    """The demo over ``args.bus``; raises what :class:`ServiceBusDemo` raises, and
    ``KeyboardInterrupt`` on SIGINT or SIGTERM (after its serve processes were stopped)."""
    demo = ServiceBusDemo(
        bus_url=args.bus,
        seed=args.seed,
        nodes=args.nodes,
        minutes=args.minutes,
        store_url=store_url,
        serve_processes=1 if args.serve is None else args.serve,
        partitions=4 if args.partitions is None else args.partitions,
        stall_seconds=60.0 if args.stall_timeout is None else args.stall_timeout,
        # this interpreter and this package: the serve processes run this installation
        serve_command=(sys.executable, "-m", "omnibase_infra.cli", "serve"),
        progress=_progress,
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return demo.run()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _progress(line: str) -> None:
    print(f"{PROG}: demo: {line}", file=sys.stderr, flush=True)


def _interrupt(_number: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
