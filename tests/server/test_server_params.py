"""Params that do not validate are answered with INVALID_PARAMS naming the field, for
every kind of mistake, and omitted params mean {}."""

from __future__ import annotations

from typing import Any

from support.server_rig import ServerRig

CASES: list[tuple[str, Any, str]] = [
    ("multicodex/accounts/use", {}, "key"),
    ("multicodex/accounts/use", {"key": 5}, "key"),
    ("multicodex/accounts/remove", {"key": ""}, "key"),
    ("multicodex/accounts/label", {"key": "a|b", "label": "x" * 81}, "label"),
    ("multicodex/accounts/label", {"key": "a|b"}, "label"),
    ("multicodex/accounts/import", {"sources": [{"kind": "vim"}]}, "sources.0.kind"),
    ("multicodex/accounts/import", {"link": "sometimes"}, "link"),
    ("multicodex/accounts/reset", {"target": "everything"}, "target"),
    ("multicodex/accounts/list", {"refresh_stale": "maybe"}, "refresh_stale"),
    ("multicodex/accounts/list", {"bogus": 1}, "bogus"),
    ("multicodex/accounts/refresh", {"key": ["a"]}, "key"),
    ("multicodex/login/paste", {"login_id": "login-1"}, "text"),
    ("multicodex/login/wait", {"login_id": None}, "login_id"),
    ("multicodex/footer/set", {"usage_mode": "sideways"}, "usage_mode"),
    ("multicodex/footer/preview", {"order": 3}, "order"),
    ("multicodex/rotation/set", {"retry_limit": 99}, "retry_limit"),
    ("multicodex/rotation/set", {"fallback_cooldown_seconds": 0}, "fallback_cooldown_seconds"),
    ("multicodex/models/list", {"refresh": {}}, "refresh"),
    ("multicodex/status/get", {"x": 1}, "x"),
    ("multicodex/complete", {"model": "m", "prompt": "x"}, "stream_id"),
    ("multicodex/complete", {"stream_id": "s", "model": "m", "input": []}, "input"),
    (
        "multicodex/complete",
        {"stream_id": "s", "model": "m", "prompt": "x", "reasoning": {"summary": "verbose"}},
        "reasoning.summary",
    ),
    (
        "multicodex/complete",
        {"stream_id": "s", "model": "m", "prompt": "x", "wait_for_reset_seconds": -1},
        "wait_for_reset_seconds",
    ),
    ("multicodex/complete", {"stream_id": "x" * 201, "model": "m", "prompt": "x"}, "stream_id"),
]


async def test_invalid_params_name_the_field(server_rig: ServerRig) -> None:
    client = server_rig.client
    ids = [await client.send_request(method, params) for method, params, _field in CASES]
    for msg_id, (method, params, field) in zip(ids, CASES, strict=True):
        error = (await client.response(msg_id)).get("error")
        assert error is not None, f"{method} {params} was accepted"
        assert error["code"] == -32602, (method, error)
        fields = [e["field"] for e in error["data"]["errors"]]
        assert field in fields, (method, params, fields)
        assert error["message"].startswith("invalid params: "), error["message"]


async def test_invalid_params_say_what_is_wrong_in_words(server_rig: ServerRig) -> None:
    client = server_rig.client
    cases = [
        ("multicodex/rotation/set", {"retry_limit": 99}, "retry_limit must be between 0 and 50"),
        ("multicodex/accounts/list", {"bogus": 1}, "bogus is not a known field"),
        ("multicodex/login/paste", {"login_id": "login-1"}, "text is required"),
        ("multicodex/footer/set", {"usage_mode": 1}, "usage_mode must be 'left' or 'used'"),
    ]
    for method, params, sentence in cases:
        msg_id = await client.send_request(method, params)
        error = (await client.response(msg_id))["error"]
        assert error["message"] == f"invalid params: {sentence}", (method, error)
        field, problem = sentence.split(" ", 1)
        assert error["data"]["errors"][0] == {"field": field, "message": problem}


async def test_params_that_are_not_an_object_are_invalid(server_rig: ServerRig) -> None:
    client = server_rig.client
    for params in ([], "status", 7, [{"key": "x"}]):
        msg_id = await client.send_request("multicodex/accounts/list", params)
        error = (await client.response(msg_id))["error"]
        assert error["code"] == -32602
        assert error["message"] == "invalid params: params must be an object"


async def test_omitted_params_mean_an_empty_object(server_rig: ServerRig) -> None:
    client = server_rig.client
    for method in (
        "multicodex/status/get",
        "multicodex/accounts/list",
        "multicodex/footer/get",
        "multicodex/rotation/get",
        "multicodex/models/list",
    ):
        await client.send({"jsonrpc": "2.0", "id": method, "method": method})
        assert "result" in await client.response(method), method
