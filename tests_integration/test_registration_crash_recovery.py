"""A run killed with SIGKILL at random points and restarted ends exactly like one never killed."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter

pytestmark = pytest.mark.slow


def _run_cmd(events: Path, db: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "omnibase_infra.cli",
        "run",
        str(events),
        "--store",
        f"sqlite:///{db}",
        "--batch-size",
        "40",
        "--out",
        str(out),
    ]


def test_sigkill_at_random_points_then_restart_matches_an_uninterrupted_run(
    tmp_path: Path,
    write_lines: Callable[[Path, Sequence[str]], Path],
    snapshot: Callable[[str], dict[str, Any]],
) -> None:
    history = ServiceClusterSimulator(seed=5, nodes=100, minutes=15).simulate()
    writer = ServiceWireStreamWriter(malformed_fraction=0.02, seed=5)
    events = write_lines(tmp_path / "events.jsonl", writer.lines(history.envelopes))
    history_size = len(history.envelopes)

    reference_db = tmp_path / "reference.db"
    done = subprocess.run(
        _run_cmd(events, reference_db, tmp_path / "reference.out"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    reference = snapshot(f"sqlite:///{reference_db}")

    db = tmp_path / "killed.db"
    rng = random.Random(20260301)
    # kill points chosen by committed progress, not wall time, so a loaded machine cannot
    # let the run finish before it is interrupted
    targets = sorted(rng.sample(range(history_size // 10, history_size * 9 // 10), 4))
    kills = 0
    for target in targets:
        process = subprocess.Popen(
            _run_cmd(events, db, tmp_path / "killed.out"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_committed(db, target, process)
        if process.poll() is not None:
            break
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
    finished = subprocess.run(
        _run_cmd(events, db, tmp_path / "killed.out"), capture_output=True, text=True, timeout=300
    )

    assert finished.returncode == 0, finished.stderr
    assert kills == len(targets), "a run finished before its kill point"
    duplicates = re.search(r"duplicates\s+([\d,]+)", finished.stderr)
    assert duplicates is not None, finished.stderr
    resumed = int(duplicates.group(1).replace(",", ""))
    assert resumed > history.redeliveries, "the killed runs committed nothing before the restart"
    assert snapshot(f"sqlite:///{db}") == reference


def _wait_for_committed(db: Path, target: int, process: subprocess.Popen[bytes]) -> None:
    """Wait until the store's inbox holds ``target`` records, or ``process`` exits."""
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                (count,) = conn.execute("SELECT count(*) FROM inbox").fetchone()
            conn.close()
            if count >= target:
                return
        except sqlite3.Error:
            pass  # not created yet, or mid-migration
        time.sleep(0.01)
