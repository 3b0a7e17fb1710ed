"""`multicodex codex` with the real Codex CLI 0.171.0 against the emulator with two
accounts: turns complete on the pool, failover is invisible, a session resumed in a second
run stays on its account and cache key, an exhausted pool is the CLI's own usage-limit
message, and the user's own Codex configuration applies and is left as it was."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from codex_rig import USER_CONFIG, CodexRig, codex_rig, needs_codex

pytestmark = needs_codex


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[CodexRig]:
    with codex_rig(tmp_path) as served:
        yield served


def test_codex_exec_completes_a_turn_on_the_pool(rig: CodexRig) -> None:
    _, alice = rig.add("alice@example.com")
    rig.add("bob@example.com")
    rig.pin(alice)

    run = rig.exec("say hi")

    assert run.returncode == 0, run.stderr
    assert any("Hello from alice@example.com" in m for m in run.messages())
    assert run.errors() == []
    turn = rig.upstream_turns()[0]
    assert turn.body["model"] == "gpt-5.5"  # the user's own config.toml applied
    assert (rig.codex_home / "config.toml").read_text() == USER_CONFIG
    secret = (rig.home / "proxy-secret").read_text().strip()
    assert secret not in run.stdout + run.stderr


def test_a_stale_exhausted_first_account_moves_the_turn_with_one_429_and_no_error(
    rig: CodexRig,
) -> None:
    spent, alice = rig.add("alice@example.com")
    rig.add("bob@example.com")
    rig.pin(alice)
    rig.emu.set_usage(spent.account_id, five_hour_used=100.0)  # MultiCodex has not seen it

    run = rig.exec("say hi")

    assert run.returncode == 0, run.stderr
    assert any("Hello from bob@example.com" in m for m in run.messages())
    assert run.errors() == []
    assert [r.status for r in rig.upstream_turns()] == [429, 200]


def test_exec_then_resume_with_a_shell_call_keeps_one_account_and_cache_key(
    rig: CodexRig,
) -> None:
    _, alice = rig.add("alice@example.com")
    rig.add("bob@example.com")
    rig.pin(alice)

    first = rig.exec("remember the word kiwi")
    tools = {t.get("name") for t in rig.upstream_turns()[0].body["tools"]}
    assert "exec_command" in tools  # the shell tool the CLI 0.171 declares
    rig.emu.script_tool_calls(
        [{"name": "exec_command", "arguments": {"cmd": "echo tool-ran-here"}}]
    )
    second = rig.run("exec", "resume", "--last", "--skip-git-repo-check", "--json", "run it")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert second.errors() == []
    commands = [
        e["item"] for e in second.events()
        if e.get("type") == "item.completed" and e["item"].get("type") == "command_execution"
    ]  # fmt: skip
    assert commands and "tool-ran-here" in commands[0]["aggregated_output"]
    turns = rig.upstream_turns()
    assert len(turns) == 3  # the first turn; the resumed one and its answer to the tool
    assert {t.account_id for t in turns} == {alice.account_id}
    assert len({t.body["prompt_cache_key"] for t in turns}) == 1
    call_outputs = [i for i in turns[-1].body["input"] if i.get("type") == "function_call_output"]
    assert call_outputs
    assert "remember the word kiwi" in str(turns[-1].body["input"])  # the resumed history


def test_every_account_exhausted_is_the_cli_own_usage_limit_message_with_the_earliest_reset(
    rig: CodexRig,
) -> None:
    now = time.time()
    later, sooner = now + 3 * 3600, now + 2 * 3600 + 17 * 60
    for email, reset in (("alice@example.com", later), ("bob@example.com", sooner)):
        created, _ = rig.add(email)
        rig.emu.set_usage(created.account_id, five_hour_used=100.0, five_hour_resets_at=reset)

    run = rig.exec("say hi")

    assert run.returncode != 0
    failures = " ".join(str(e) for e in run.errors())
    assert "usage limit" in failures.lower()
    assert time.strftime("%-I:%M %p", time.localtime(sooner)) in failures
    assert [r.status for r in rig.upstream_turns()] == [429, 429]
