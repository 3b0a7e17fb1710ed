"""`ask`: the answer streams to stdout, switches go to stderr, a 429 moves the request to
another account, Ctrl-C cancels the upstream request, and an exhausted pool exits 5."""

from __future__ import annotations

import signal
import time

from cli_rig import RESPONSES_PATH, CliRig, read_until


def test_a_429_moves_the_answer_to_another_account(cli: CliRig) -> None:
    alice = cli.seed("alice")
    bob = cli.seed("bob", five_hour_used=97)
    assert cli.run("use", "bob").code == 0
    cli.emu.set_usage(bob.account_id, five_hour_used=100)  # spent elsewhere since

    result = cli.run("ask", "Say", "hello")

    assert result.code == 0, result
    assert result.stdout.startswith("Hello from alice@example.test.")
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    notes = result.stderr.splitlines()
    # The 429's headers took bob past the usage notice thresholds: said once, whenever the
    # notice arrives (it is not ordered with the request's own lines).
    usage_notices = [n for n in notes if " has used 100% of its 5h window" in n]
    assert usage_notices == [notes[notes.index(usage_notices[0])]]
    notes = [n for n in notes if n not in usage_notices]
    assert notes[0] == "multicodex: using bob@example.test - pinned by you"
    assert notes[1].startswith(
        "multicodex: switched from bob@example.test to alice@example.test - "
        "bob@example.test hit its usage limit; cooling down until"
    )
    assert notes[-1] == "multicodex: answered by alice@example.test (2 attempt(s), 1 switch)"
    requests = cli.emu.requests_to(RESPONSES_PATH)
    assert [(r.account_id, r.status) for r in requests] == [
        (bob.account_id, 429),
        (alice.account_id, 200),
    ]
    assert requests[0].error_code == "usage_limit_reached"
    assert requests[1].body["input"][0]["content"][0]["text"] == "Say hello"

    bob_now = cli.run("accounts", "bob", "--cached", "--json").json()
    assert bob_now["state"] == "cooldown"
    resets_at = next(
        w.reset_at for w in cli.emu.account(bob.account_id).windows if w.slot == "primary"
    )
    assert abs(bob_now["cooldown_until"] - resets_at) < 2


def test_json_output_is_the_complete_result(cli: CliRig) -> None:
    cli.seed("alice")
    result = cli.run("ask", "--json", "--conversation", "conv-1", "hi")
    assert result.code == 0
    answer = result.json()
    assert answer["text"].startswith("Hello from alice@example.test.")
    assert answer["account"]["display_name"] == "alice@example.test"
    assert answer["status"] == "completed" and answer["switches"] == []
    assert answer["deltas"] > 1
    assert cli.emu.requests_to(RESPONSES_PATH)[0].prompt_cache_key == "conv-1"


def test_prompt_from_stdin_and_explicit_model(cli: CliRig) -> None:
    cli.seed("alice")
    result = cli.run("ask", "--model", "gpt-5.5", stdin="What is a quota?\n")
    assert result.code == 0, result
    request = cli.emu.requests_to(RESPONSES_PATH)[0]
    assert request.body["model"] == "gpt-5.5"
    assert request.body["input"][0]["content"][0]["text"] == "What is a quota?"


def test_a_rejected_request_exits_1_with_the_backends_reason(cli: CliRig) -> None:
    alice = cli.seed("alice")
    refusal = {"kind": "status", "status": 400, "body": {"detail": "Instructions are required"}}
    cli.emu.script_faults(alice.account_id, [refusal])
    result = cli.run("ask", "--model", "gpt-5.5", "hi")
    assert result.code == 1
    reason = result.stderr.splitlines()[-1]
    assert reason.startswith("multicodex ask: The backend rejected the request (400)")


def test_a_model_no_account_serves_exits_1_naming_the_models_that_work(cli: CliRig) -> None:
    cli.seed("alice")
    result = cli.run("ask", "--model", "no-such-model", "hi")
    assert result.code == 1
    reason = result.stderr.splitlines()[-1]
    assert reason.startswith("multicodex ask: No MultiCodex account can serve no-such-model")
    assert "models the pool can serve: " in reason and "gpt-5.5" in reason
    assert cli.emu.requests_to(RESPONSES_PATH) == []


def test_text_streams_and_ctrl_c_cancels_the_upstream_request(cli: CliRig) -> None:
    alice = cli.seed("alice")
    # Three deltas, then the backend goes quiet for a minute: the answer cannot be complete
    # when the first words arrive, so seeing them proves the text streams.
    cli.emu.script_faults(alice.account_id, [{"kind": "stall", "after_deltas": 3, "seconds": 60}])
    process = cli.start("ask", "hello")
    first_words = read_until(process.stdout, b"Hello")
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    result = cli.finish(process, "ask", "hello")

    assert first_words.startswith(b"Hello")
    assert result.code == 130
    assert result.stderr.splitlines()[-1] == "multicodex ask: interrupted"
    deadline = time.monotonic() + 15
    while not cli.emu.requests_to(RESPONSES_PATH)[0].client_disconnected:
        assert time.monotonic() < deadline, "the emulator never saw the client go"
        time.sleep(0.05)
    assert cli.emu.counters(alice.account_id)["client_disconnects"] == 1


def test_an_account_that_does_not_answer_is_left_for_another_saying_so(cli: CliRig) -> None:
    alice = cli.seed("alice")
    cli.seed("bob")
    assert cli.run("use", "alice").code == 0
    assert cli.run("rotation", "--first-output-timeout", "2").code == 0
    cli.emu.script_faults(
        alice.account_id, [{"kind": "stall", "before_first_event": True, "seconds": 60}]
    )

    result = cli.run("ask", "hi")

    assert result.code == 0, result
    assert result.stdout.startswith("Hello from bob@example.test.")
    notes = result.stderr.splitlines()
    assert notes[1] == (
        "multicodex: alice@example.test has not answered for 2 s; trying bob@example.test"
        " - no answer from the backend within 2 s"
    )
    assert notes[2].startswith("multicodex: switched from alice@example.test to bob@example.test")
    assert notes[-1] == "multicodex: answered by bob@example.test (2 attempt(s), 1 switch)"
    assert [r.account_id for r in cli.emu.requests_to(RESPONSES_PATH)] == [
        alice.account_id,
        cli.emu.accounts()[1].account_id,
    ]


def test_a_silence_after_output_keeps_the_partial_answer_and_exits_1(cli: CliRig) -> None:
    alice = cli.seed("alice")
    assert cli.run("rotation", "--stall-timeout", "2").code == 0
    cli.emu.script_faults(alice.account_id, [{"kind": "stall", "after_deltas": 3, "seconds": 60}])

    result = cli.run("ask", "hi")

    assert result.code == 1, result
    assert result.stdout == "Hello from alice@example.test. alpha bravo\n"
    assert result.stderr.splitlines()[-1] == (
        "multicodex ask: the backend stopped sending for 2 s after the answer from "
        "alice@example.test had started; the partial answer is above"
    )
    assert len(cli.emu.requests_to(RESPONSES_PATH)) == 1


def test_every_account_exhausted_exits_5(cli: CliRig) -> None:
    cli.seed("alice", five_hour_used=100)
    result = cli.run("ask", "hi")
    assert result.code == 5, result
    assert result.stdout == ""
    reason = result.stderr.splitlines()[-1]
    assert reason.startswith("multicodex ask: No MultiCodex account can serve this request now;")
    assert "earliest reset" in reason


def test_no_accounts_exits_5(cli: CliRig) -> None:
    result = cli.run("ask", "hi")
    assert result.code == 5
    assert (
        result.one_line_error()
        == "multicodex ask: No MultiCodex accounts yet: log in or import one"
    )


def test_empty_prompt_is_a_usage_error(cli: CliRig) -> None:
    cli.seed("alice")
    result = cli.run("ask", stdin="   \n")
    assert result.code == 2
    assert result.one_line_error() == "multicodex ask: the prompt is empty"


def test_accounts_left_out_for_a_dead_login_are_named_with_the_fix(cli: CliRig) -> None:
    cli.seed("alice")
    bob = cli.seed("bob")
    cli.emu.revoke_refresh_tokens(bob.account_id)
    cli.emu.expire_access_tokens(bob.account_id)
    assert cli.run("refresh", "bob").code == 4

    result = cli.run("ask", "hi")

    assert result.code == 0, result
    assert result.stderr.splitlines()[-1] == (
        "multicodex: 1 account needs a new login: bob@example.test - "
        "run `multicodex reauth bob@example.test`"
    )
