"""A turn through the proxy as the Codex CLI sends it: streamed back as the backend's own
events, failover before output unseen, a conversation kept on its account, and the 429
the CLI renders when the whole pool is spent."""

from __future__ import annotations

import hashlib
import json

from proxy_rig import ProxyRig, cli_body, json_bytes


def events(response_text: str) -> list[str]:
    return [
        line.removeprefix("event: ")
        for line in response_text.splitlines()
        if line.startswith("event: ")
    ]


async def test_a_streamed_turn_is_the_backends_own_stream_with_the_cli_body(rig: ProxyRig) -> None:
    rig.add("alice@example.com")
    response = await rig.turn("say hi", cache_key="thread-a")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    kinds = events(response.text)
    assert kinds[0] == "response.created"
    assert "response.output_text.delta" in kinds
    assert kinds[-1] == "response.completed"
    assert "Hello from alice@example.com" in "".join(
        json.loads(line[6:])["delta"]
        for line in response.text.splitlines()
        if line.startswith("data: ") and '"response.output_text.delta"' in line
    )
    # The serving account's quota reaches the CLI as the backend wrote it.
    assert response.headers["x-codex-primary-window-minutes"] == "300"
    assert "x-codex-turn-state" in response.headers
    (upstream,) = rig.upstream_turns()
    body = upstream.body
    assert body["client_metadata"] == {"session_id": "thread-a", "thread_id": "thread-a"}
    assert body["prompt_cache_key"] == "thread-a"
    assert body["text"] == {"verbosity": "low"}
    assert body["input"][0]["internal_chat_message_metadata_passthrough"]
    assert upstream.thread_id == "thread-a"
    assert upstream.headers.get("version") == "0.171.0"
    assert rig.proxy.secret not in json.dumps(upstream.model_dump())


async def test_a_429_before_output_moves_the_turn_unseen(rig: ProxyRig) -> None:
    spent, stored = rig.add("alice@example.com")
    fresh, _ = rig.add("bob@example.com")
    await rig.app.pool.pin(stored.key)  # alice is asked first
    rig.emu.set_usage(spent.account_id, five_hour_used=100.0)  # the pool's view is stale

    response = await rig.turn()

    assert response.status_code == 200
    assert events(response.text)[-1] == "response.completed"
    assert "Hello from bob@example.com" in response.text
    statuses = [(r.account_id, r.status) for r in rig.upstream_turns()]
    assert statuses == [(spent.account_id, 429), (fresh.account_id, 200)]
    assert response.headers["x-codex-primary-used-percent"] != "100"


async def test_a_conversation_stays_on_its_account_and_its_turn_state(rig: ProxyRig) -> None:
    rig.add("alice@example.com")
    rig.add("bob@example.com")
    first = await rig.turn(cache_key="thread-s")
    state = first.headers["x-codex-turn-state"]
    served_by = rig.upstream_turns()[0].account_id

    for _ in range(3):
        again = await rig.turn(cache_key="thread-s", headers={"x-codex-turn-state": state})
        assert again.status_code == 200

    turns = rig.upstream_turns()
    assert {t.account_id for t in turns} == {served_by}
    assert [t.turn_state for t in turns[1:]] == [state] * 3


async def test_a_turn_on_its_conversations_account_relays_the_clients_own_bytes(
    rig: ProxyRig,
) -> None:
    rig.add("alice@example.com")
    text = 'caf\u00e9 \u2615, "quoted"'  # the client escapes what MultiCodex would not
    sent = json_bytes(cli_body(text, "thread-r"))

    for _ in range(3):
        assert (await rig.turn(text, cache_key="thread-r")).status_code == 200

    first, *later = rig.upstream_turns()
    # No account was known for the conversation: its first body is encoded anew, without
    # what would bind it to another account (here: nothing), and says the same.
    assert first.body == json.loads(sent)
    assert first.body_sha256 != hashlib.sha256(sent).hexdigest()
    assert [t.body_sha256 for t in later] == [hashlib.sha256(sent).hexdigest()] * 2
    assert [t.account_id for t in later] == [first.account_id] * 2


async def test_a_body_in_another_unicode_encoding_reaches_the_backend_as_utf8(
    rig: ProxyRig,
) -> None:
    rig.add("alice@example.com")
    body = cli_body("caf\u00e9", "thread-u")
    await rig.turn(cache_key="thread-u")  # the conversation's account is known from now on

    for encoding in ("utf-8-sig", "utf-16"):
        assert (
            await rig.turn_with(json.dumps(body).encode(encoding), cache_key="thread-u")
        ).status_code == 200

    utf8 = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    later = rig.upstream_turns()[1:]
    assert [t.body_sha256 for t in later] == [hashlib.sha256(utf8).hexdigest()] * 2


async def test_a_turn_state_never_reaches_another_account(rig: ProxyRig) -> None:
    alice, _ = rig.add("alice@example.com")
    bob, _ = rig.add("bob@example.com")
    first = await rig.turn(cache_key="thread-t")
    state = first.headers["x-codex-turn-state"]
    owner = rig.upstream_turns()[0].account_id
    other = bob if owner == alice.account_id else alice
    rig.emu.set_usage(owner or "", five_hour_used=100.0)

    moved = await rig.turn(cache_key="thread-t", headers={"x-codex-turn-state": state})

    assert moved.status_code == 200
    last = rig.upstream_turns()[-1]
    assert last.account_id == other.account_id
    assert last.turn_state != state
    assert moved.headers["x-codex-turn-state"] != state


async def test_an_unknown_turn_state_is_not_forwarded(rig: ProxyRig) -> None:
    rig.add("alice@example.com")
    response = await rig.turn(headers={"x-codex-turn-state": "ts_from_somewhere_else"})
    assert response.status_code == 200
    assert rig.upstream_turns()[0].turn_state != "ts_from_somewhere_else"


async def test_an_exhausted_pool_answers_the_usage_limit_the_cli_renders(rig: ProxyRig) -> None:
    alice, _ = rig.add("alice@example.com")
    bob, _ = rig.add("bob@example.com")
    now = rig.emu.now()
    rig.emu.set_usage(alice.account_id, five_hour_used=100.0, five_hour_resets_at=now + 7200)
    rig.emu.set_usage(bob.account_id, five_hour_used=100.0, five_hour_resets_at=now + 3600)

    response = await rig.turn()

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["type"] == "usage_limit_reached"
    assert error["plan_type"] == "plus"
    assert error["resets_at"] == int(now + 3600)
    assert 3500 < error["resets_in_seconds"] <= 3600
    assert response.headers["x-codex-primary-used-percent"] == "100"
    assert response.headers["x-codex-primary-reset-at"] == str(int(now + 3600))
    assert len(rig.upstream_turns()) == 2


async def test_a_bad_request_is_the_backends_400_and_is_not_retried(rig: ProxyRig) -> None:
    rig.add("alice@example.com")
    rig.add("bob@example.com")
    response = await rig.http.post(
        f"{rig.url}/codex/responses",
        json={"model": "gpt-5.5", "input": [], "stream": True, "store": True},
        headers=rig.auth,
    )
    assert response.status_code == 400
    assert "detail" in response.json()
    assert len(rig.upstream_turns()) == 1


async def test_models_and_usage_are_the_backends_own(rig: ProxyRig) -> None:
    rig.add("alice@example.com")
    models = await rig.http.get(
        f"{rig.url}/codex/models", params={"client_version": "0.171.0"}, headers=rig.auth
    )
    assert models.status_code == 200
    slugs = [m["slug"] for m in models.json()["models"]]
    assert "gpt-5.5" in slugs
    usage = await rig.http.get(f"{rig.url}/wham/usage", headers=rig.auth)
    assert usage.status_code == 200
    assert usage.json()["email"] == "alice@example.com"


async def test_workspace_routing_keeps_the_cli_on_the_proxy(rig: ProxyRig) -> None:
    check = await rig.http.get(
        f"{rig.url}/wham/accounts/check", headers={**rig.auth, "chatgpt-account-id": "acct-1"}
    )
    assert check.status_code == 200
    (entry,) = check.json()["accounts"]
    assert entry["id"] == "acct-1"
    assert entry["workspace_backend_origin"] == "NO_CONSTRAINT"
    assert entry["account_routing_override"] == "NO_CONSTRAINT"
