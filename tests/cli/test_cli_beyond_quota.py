"""`ask` once every included quota is used up: a reset credit is spent only when the
rotation policy allows it; asking without a terminal spends nothing and says how to
allow it, ``automatic`` spends one and serves the answer there."""

from __future__ import annotations

from cli_rig import CliRig

CONSUME_PATH = "/backend-api/wham/rate-limit-reset-credits/consume"


def exhausted_with_a_credit(cli: CliRig) -> str:
    bob = cli.seed("bob", five_hour_used=100)
    cli.emu.set_credits(bob.account_id, reset_credits=1)
    assert cli.run("refresh", "--all").code == 0
    return bob.account_id


def test_ask_spends_nothing_by_default_nor_without_a_terminal_to_ask_on(cli: CliRig) -> None:
    bob = exhausted_with_a_credit(cli)

    default = cli.run("ask", "hi")
    cli.run("rotation", "--when-exhausted", "reset-credit")
    unasked = cli.run("ask", "hi")

    assert default.code == 5 and unasked.code == 5
    assert "reset credit" not in default.stderr
    assert "Spend 1 reset credit" not in unasked.stderr
    assert "bob@example.test holds 1 reset credit" in unasked.stderr
    assert "--reset-credit-confirm automatic" in unasked.stderr
    assert cli.emu.requests_to(CONSUME_PATH) == []
    assert cli.emu.account(bob).credits.reset_credits == 1


def test_automatic_spends_one_credit_and_answers(cli: CliRig) -> None:
    bob = exhausted_with_a_credit(cli)
    cli.run("rotation", "--when-exhausted", "reset-credit", "--reset-credit-confirm", "automatic")

    result = cli.run("ask", "hi")

    assert result.code == 0, result
    assert result.stdout.startswith("Hello from bob@example.test.")
    assert [r.account_id for r in cli.emu.requests_to(CONSUME_PATH)] == [bob]
    assert cli.emu.account(bob).credits.reset_credits == 0
