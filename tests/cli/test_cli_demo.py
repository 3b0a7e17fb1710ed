"""`multicodex demo` end to end, as `bash .ci/demo` runs it."""

from __future__ import annotations

from cli_rig import CliRig


def test_demo_tells_the_whole_story(cli: CliRig) -> None:
    result = cli.run("demo")

    assert result.code == 0, result
    assert result.stderr == ""
    out = result.stdout
    lines = out.splitlines()
    footers = [line for line in lines if line.startswith("Codex · ")]
    assert len(footers) == 2
    before, after = footers
    assert "bob@example.test" in before and "5h 3% left ↺" in before
    # A Team account's window is 30 days long, and called so.
    assert any(
        line.split() == ["carol@example.test", "team", "30-day", "70%", "used"] for line in lines
    )
    assert "alice@example.test" in after
    assert "Footer BEFORE:" in out and "Footer AFTER:" in out
    assert "-> 429 usage_limit_reached" in out
    assert any(
        line.startswith("multicodex: switched from bob@example.test to alice@example.test - ")
        and "hit its usage limit" in line
        for line in lines
    )
    assert "Hello from alice@example.test." in out
    assert "MultiCodex put bob@example.test on cooldown until" in out
    assert any(line.startswith("bob@example.test (quota") for line in lines)
    assert lines[-2].startswith("Summary: one question")
    # Nothing of the user's own store: the demo never names this test's MultiCodex home.
    assert str(cli.home) not in out
    assert not cli.home.exists()
