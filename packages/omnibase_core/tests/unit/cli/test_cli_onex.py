"""Tests of the ``onex`` command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from omnibase_core.cli.cli_onex import main

REPO = Path(__file__).resolve().parents[5]
EXAMPLES = REPO / "examples" / "contracts"
BAD = REPO / "packages/omnibase_core/tests/unit/contracts/bad_contracts"
EXAMPLE_REGISTRY = "examples.example_registry:create_registry"

VALID = """\
name: node_demo
contract_version: 1.0.0
node_type: orchestrator
handler_routing:
  routing_strategy: topic_pattern
  handlers:
    - routing_key: onex.*
      handler_key: handler-all
    - routing_key: onex.evt.*
      handler_key: handler-events
"""


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text(VALID, encoding="utf-8")
    return path


def _write_registry_module(folder: Path, body: str) -> str:
    """A uniquely named importable module in ``folder``; returns its name."""
    name = f"registry_{uuid.uuid4().hex}"
    (folder / f"{name}.py").write_text(body, encoding="utf-8")
    return name


@pytest.fixture
def registry_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """Writes a registry module into the current folder (``tmp_path``); returns its name."""
    monkeypatch.chdir(tmp_path)
    return lambda body: _write_registry_module(tmp_path, body)


#: Source of a minimal handler class, shared by the generated registry modules below.
HANDLER_CLASS = """\
from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput


class Handler:
    def __init__(self, handler_id):
        self.handler_id = handler_id
        self.category = EnumMessageCategory.EVENT
        self.node_kind = EnumNodeKind.ORCHESTRATOR
        self.message_types = set()

    async def handle(self, envelope):
        return ModelHandlerOutput(
            handler_id=self.handler_id, input_envelope_id=envelope.envelope_id
        )
"""

REGISTRY_MODULE = (
    HANDLER_CLASS
    + """
from omnibase_core.services import ServiceHandlerRegistry


def unfrozen():
    registry = ServiceHandlerRegistry()
    registry.register_handler(Handler("handler-all"))
    return registry


def broken():
    raise RuntimeError("database unavailable")


def not_a_registry():
    return 42


NOT_CALLABLE = 3
"""
)


def test_valid_contract_prints_ok_and_warnings(
    contract: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", "validate", str(contract)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"warning: {contract}:9:20: handler_routing.handlers[1].routing_key:")
    assert "'onex.evt.*' is never taken" in out[0]
    assert out[1:] == [
        f"{contract}: ok (canonical shape, 2 entries)",
        "checked 1 contract: 1 valid, 0 invalid, 1 warning",
    ]


def test_examples_are_valid_against_the_example_registry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["contract", "validate", "examples/contracts", "--registry", EXAMPLE_REGISTRY]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "examples/contracts/inventory_effect_live.yaml: ok (live shape, 2 entries)",
        "examples/contracts/key_value_effect.yaml: ok (canonical shape, 2 entries)",
        "examples/contracts/order_orchestrator.yaml: ok (canonical shape, 3 entries)",
        "examples/contracts/platform_events_orchestrator.yaml: ok (canonical shape, 3 entries)",
        "checked 4 contracts: 4 valid, 0 invalid, 0 warnings",
    ]


def test_examples_import_their_handler_classes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["contract", "validate", "-q", "examples/contracts", "--import-handlers"]) == 0
    assert capsys.readouterr().out == ""


def test_bad_corpus_exits_one_with_a_located_line_per_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["contract", "validate", "--quiet", str(BAD)]) == 1
    out = capsys.readouterr().out.splitlines()
    files = sorted(BAD.glob("*.yaml"))
    assert len(out) == len(files)
    for line, path in zip(out, files, strict=True):
        assert line.startswith(f"{path}:")
        assert line.split(":")[1].isdigit()
        assert "Traceback" not in line


def test_mixed_valid_and_invalid_exits_one(
    contract: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = contract.parent / "absent.yaml"
    code = main(["contract", "validate", str(contract), str(missing), str(BAD / "python_tag.yaml")])
    assert code == 1
    out = capsys.readouterr().out
    assert f"{contract}: ok (canonical shape, 2 entries)" in out
    assert f"{missing}:1:1: cannot read the file: No such file or directory; check the path" in out
    assert f"{missing}: invalid (routing shape unknown: the file could not be read)" in out
    assert f"{BAD / 'python_tag.yaml'}:4:14: description: tag" in out
    assert out.splitlines()[-1] == "checked 3 contracts: 1 valid, 2 invalid, 1 warning"


def test_registry_reports_unknown_handler_keys(
    registry_module: Callable[[str], str],
    contract: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = registry_module(REGISTRY_MODULE)
    assert (
        main(["contract", "validate", "-q", str(contract), "--registry", f"{module}:unfrozen"]) == 1
    )
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"warning: {contract}:9:20: handler_routing.handlers[1].routing_key: topic pattern "
        "'onex.evt.*' is never taken: every topic it matches first matches 'onex.*' "
        "(handlers[0], priority 0); give this entry a lower priority value or narrow the "
        "earlier pattern",
        f"{contract}:10:20: handler_routing.handlers[1].handler_key: unknown handler "
        "'handler-events' (registered: handler-all); register it or fix the key",
    ]


@pytest.mark.parametrize(
    "argv", [[], ["contract"], ["contract", "validate"], ["contract", "lint", "x"], ["--bogus"]]
)
def test_usage_errors_exit_two(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "validate", "--help"]) == 0
    assert "--registry MODULE:FACTORY" in capsys.readouterr().out


def test_generated_bad_files_never_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "binary.yaml").write_bytes(b"name: \x00\xff\xfe\n")
    (tmp_path / "huge.yaml").write_bytes(b"#" * (2 * 1024 * 1024))
    (tmp_path / "empty.yaml").write_bytes(b"")
    assert main(["contract", "validate", "-q", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == [
        str(tmp_path / name) for name in ("binary.yaml", "empty.yaml", "huge.yaml")
    ]
    assert "not valid UTF-8" in out[0]
    assert "the file is empty" in out[1]
    assert "more than the limit" in out[2]


def test_console_entry_point_runs_as_a_module(contract: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "omnibase_core.cli",
            "contract",
            "validate",
            str(contract),
            str(BAD / "duplicate_key.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert f"{contract}: ok" in result.stdout
    assert "duplicate key 'handler_key'" in result.stdout
    assert result.stderr == ""


def test_installed_onex_script_runs(contract: Path) -> None:
    script = Path(sys.executable).with_name("onex")
    assert script.exists(), f"the onex console script is not installed next to {sys.executable}"
    result = subprocess.run(
        [str(script), "contract", "validate", "--quiet", str(contract)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"warning: {contract}:9:20:")


# -- the shape read, and --json ---------------------------------------------------------------

LIVE = """\
name: node_live
contract_version: 1.0.0
node_type: EFFECT_GENERIC
handler_routing:
  routing_strategy: operation_match
  execution_mode: parallel
  handlers:
    - operation: kv.put
      handler: {name: HandlerPut, module: shop.handlers}
      message_category: COMMAND
"""


def test_each_contract_line_names_the_shape_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "a_live.yaml": LIVE,
        "b_canonical.yaml": VALID,
        "c_both.yaml": LIVE + "    - {routing_key: kv.get, handler_key: handler-get}\n",
        "d_none.yaml": "name: n\ncontract_version: 1.0.0\nnode_type: effect\n",
        "e_broken.yaml": "name: [\n",
        "f_mixed.yaml": LIVE + "      handler_key: handler-put\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["contract", "validate", str(tmp_path)]) == 1
    shapes = [
        line.removeprefix(f"{tmp_path}/")
        for line in capsys.readouterr().out.splitlines()
        if line.startswith(f"{tmp_path}/") and line.split(": ", 1)[0].endswith(".yaml")
    ]
    assert shapes == [
        "a_live.yaml: ok (live shape, 1 entry)",
        "b_canonical.yaml: ok (canonical shape, 2 entries)",
        "c_both.yaml: ok (canonical and live shapes: 1 canonical, 1 live)",
        "d_none.yaml: ok (no handler_routing)",
        "e_broken.yaml: invalid (routing shape unknown: the file could not be read)",
        "f_mixed.yaml: invalid (no shape, 1 entry mixing both shapes)",
    ]


def test_json_gives_problems_as_objects(
    tmp_path: Path, contract: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "live.yaml"
    live.write_text(LIVE, encoding="utf-8")
    bad = BAD / "unknown_field_handler_kye.yaml"
    assert main(["contract", "validate", "--json", str(live), str(bad)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert {key: document[key] for key in ("checked", "valid", "invalid", "warnings")} == {
        "checked": 2,
        "valid": 1,
        "invalid": 1,
        "warnings": 1,
    }
    first, second = document["contracts"]
    assert first == {
        "path": str(live),
        "valid": True,
        "shape": "live",
        "entries": {"canonical": 0, "live": 1, "mixed": 0, "neither": 0},
        "problems": [
            {
                "path": str(live),
                "line": 6,
                "column": 19,
                "field": "handler_routing.execution_mode",
                "message": "execution_mode 'parallel' has no effect: fan-out handlers run one "
                "after another in routing order",
                "hint": "remove it, or keep it as documentation",
                "severity": "warning",
            }
        ],
    }
    assert second["valid"] is False
    assert second["shape"] == "canonical"
    assert second["problems"] == [
        {
            "path": str(bad),
            "line": 10,
            "column": 7,
            "field": "handler_routing.handlers[1].handler_kye",
            "message": "unknown field",
            "hint": "did you mean 'handler_key'?",
            "severity": "error",
        }
    ]


# -- files that are not regular, and OS errors ----------------------------------------------


def _onex(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "omnibase_core.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=cwd,
    )


def test_fifo_and_device_are_errors_never_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    os.mkfifo(folder / "queued.yaml")  # found by the folder walk, reported, not read
    result = _onex("contract", "validate", "-q", str(fifo), "/dev/zero", str(folder))
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"{fifo}:1:1: not a regular file: it is a named pipe (FIFO); contracts are read from "
        "regular files",
        "/dev/zero:1:1: not a regular file: it is a character device; contracts are read from "
        "regular files",
        f"{folder / 'queued.yaml'}:1:1: not a regular file: it is a named pipe (FIFO); "
        "contracts are read from regular files",
    ]


def test_os_errors_are_one_located_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    long_name = str(tmp_path / ("n" * 300 + ".yaml"))
    assert main(["contract", "validate", "-q", str(loop), long_name]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{loop}:1:1: cannot read the file: Too many levels of symbolic links; a symbolic link "
        "in the path points back at itself; fix or remove it",
        f"{long_name}:1:1: cannot read the file: File name too long; shorten the path",
    ]


# -- Ctrl-C ---------------------------------------------------------------------------------

SLOW_REGISTRY = """\
import pathlib, time


def create():
    pathlib.Path("ready").write_text("ready")
    time.sleep(60)
"""


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path: Path, contract: Path) -> None:
    module = _write_registry_module(tmp_path, SLOW_REGISTRY)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "omnibase_core.cli",
            "contract",
            "validate",
            str(contract),
            "--registry",
            f"{module}:create",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "ready").exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the registry factory never started"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert out == ""
    assert err == "onex: interrupted\n"


# -- registries that misbehave --------------------------------------------------------------

MISBEHAVING = (
    HANDLER_CLASS
    + """
import sys


class Registry:
    is_frozen = True
    handler_count = 1

    def __init__(self, handlers):
        self.handlers = handlers

    def get_handler_by_id(self, handler_id):
        return next((h for h in self.handlers if h.handler_id == handler_id), None)

    def get_handlers(self, category=None, message_type=None):
        return list(self.handlers)


class Bare:
    handler_id = "handler-all"


class RaisingLookup(Registry):
    def get_handler_by_id(self, handler_id):
        if handler_id == "handler-all":
            return self.handlers[0]
        raise LookupError("index corrupted")


class RaisingHandlers(Registry):
    def get_handlers(self, category=None, message_type=None):
        raise RuntimeError("backend down")


class RaisingFrozen(Registry):
    @property
    def is_frozen(self):
        raise RuntimeError("state unknown")


class RaisingAttribute(Handler):
    @property
    def category(self):
        raise ValueError("no category today")

    @category.setter
    def category(self, value):
        pass


def exits():
    sys.exit(3)


def exits_zero():
    sys.exit()


def handler_lacks_attributes():
    return Registry([Bare()])


def lookup_raises():
    return RaisingLookup([Handler("handler-all")])


def handlers_raise():
    return RaisingHandlers([])


def frozen_raises():
    return RaisingFrozen([])


def attribute_raises():
    return Registry([RaisingAttribute("handler-all")])
"""
)


@pytest.mark.parametrize(
    ("body", "spec", "fragment"),
    [
        (REGISTRY_MODULE, "no-colon", "--registry expects MODULE:FACTORY"),
        (REGISTRY_MODULE, "missing_module_xyz:create", "cannot import module 'missing_module_xyz'"),
        (REGISTRY_MODULE, "{module}:absent", "has no attribute 'absent'"),
        (REGISTRY_MODULE, "{module}:NOT_CALLABLE", "'NOT_CALLABLE' is not callable"),
        (
            REGISTRY_MODULE,
            "{module}:broken",
            "the factory raised RuntimeError: database unavailable",
        ),
        (
            REGISTRY_MODULE,
            "{module}:not_a_registry",
            "the factory returned int, not a handler registry",
        ),
        (MISBEHAVING, "{module}:exits", "the factory called sys.exit(3)"),
        (MISBEHAVING, "{module}:exits_zero", "the factory called sys.exit(None)"),
        (
            MISBEHAVING,
            "{module}:handler_lacks_attributes",
            "handler #0 (Bare) lacks category, message_types, node_kind",
        ),
        (MISBEHAVING, "{module}:lookup_raises", "the registry raised LookupError while resolving"),
        (
            MISBEHAVING,
            "{module}:handlers_raise",
            "the registry's get_handlers() raised RuntimeError: backend down",
        ),
        (
            MISBEHAVING,
            "{module}:frozen_raises",
            "the factory returned RaisingFrozen, not a handler registry",
        ),
        (
            MISBEHAVING,
            "{module}:attribute_raises",
            "attributes raised ValueError: no category today",
        ),
    ],
    ids=lambda value: value if value not in (REGISTRY_MODULE, MISBEHAVING) else "",
)
def test_bad_or_misbehaving_registry_exits_two_with_one_line(
    registry_module: Callable[[str], str],
    contract: Path,
    capsys: pytest.CaptureFixture[str],
    body: str,
    spec: str,
    fragment: str,
) -> None:
    spec = spec.format(module=registry_module(body))
    assert main(["contract", "validate", str(contract), "--registry", spec]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("onex contract validate: error: --registry ")
    assert fragment in line


def test_registry_module_calling_sys_exit_on_import_exits_two(
    registry_module: Callable[[str], str],
    contract: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = registry_module("import sys\nsys.exit('bye')\n")
    assert main(["contract", "validate", str(contract), "--registry", f"{module}:create"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"cannot import module {module!r} (called sys.exit('bye'))" in line


def test_help_lists_the_new_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "validate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--import-handlers" in out
    assert "--json" in out
