"""Tests of the ``onex`` command line."""

from __future__ import annotations

import subprocess
import sys
import uuid
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


REGISTRY_MODULE = """\
from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.services import ServiceHandlerRegistry


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
    tmp_path: Path,
    contract: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    module = _write_registry_module(tmp_path, REGISTRY_MODULE)
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
    ("spec", "fragment"),
    [
        ("no-colon", "--registry expects MODULE:FACTORY"),
        ("missing_module_xyz:create", "cannot import module 'missing_module_xyz'"),
        ("{module}:absent", "has no attribute 'absent'"),
        ("{module}:NOT_CALLABLE", "'NOT_CALLABLE' is not callable"),
        ("{module}:broken", "the factory raised RuntimeError: database unavailable"),
        ("{module}:not_a_registry", "the factory returned int, not a handler registry"),
    ],
)
def test_bad_registry_is_a_usage_error(
    tmp_path: Path,
    contract: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    spec: str,
    fragment: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    module = _write_registry_module(tmp_path, REGISTRY_MODULE)
    code = main(["contract", "validate", str(contract), "--registry", spec.format(module=module)])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert fragment in captured.err
    assert "Traceback" not in captured.err


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
