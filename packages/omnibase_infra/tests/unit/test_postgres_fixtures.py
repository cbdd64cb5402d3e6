"""The PostgreSQL fixtures' rule when no server can start: skip locally, fail under CI=true."""

from __future__ import annotations

import postgres_fixtures
import pytest

REASON = "no initdb found"


@pytest.mark.parametrize("value", [None, "", "false", "0", "no"])
def test_outside_ci_skips_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception) as info:
        postgres_fixtures.skip_or_fail(REASON)
    assert info.value.msg == f"PostgreSQL tests cannot run: {REASON}"


@pytest.mark.parametrize("value", ["true", "TRUE", " True ", "1", "yes"])
def test_under_ci_fails_with_the_reason(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception) as info:
        postgres_fixtures.skip_or_fail(REASON)
    assert info.value.msg == (
        f"PostgreSQL tests cannot run: {REASON} (CI=true: PostgreSQL tests must not be skipped)"
    )
    assert info.value.pytrace is False


@pytest.mark.parametrize(
    ("ci", "outcome"), [(None, pytest.skip.Exception), ("true", pytest.fail.Exception)]
)
def test_shared_server_applies_the_rule_without_starting_a_server(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, outcome: type[BaseException]
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    calls: list[None] = []

    def no_server() -> str:
        calls.append(None)
        return REASON

    monkeypatch.setattr(postgres_fixtures, "_server", None)
    monkeypatch.setattr(postgres_fixtures, "_start_error", None)
    monkeypatch.setattr(postgres_fixtures, "unavailable_reason", no_server)
    with pytest.raises(outcome, match=REASON):
        postgres_fixtures.shared_server()
    # The reason is remembered: a second caller gets the same outcome without a new probe.
    with pytest.raises(outcome, match=REASON):
        postgres_fixtures.shared_server()
    assert len(calls) == 1
