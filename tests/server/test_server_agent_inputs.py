"""What an agent sends besides text, checked by multicodex/complete before any account is
tried: image parts reach the backend as input_image or are refused naming the part, tools
and tool_choice are refused when the backend could not use them; and models/list says what
each model takes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from multicodex.app.input_images import MAX_IMAGE_BYTES, image_problem
from support.rpc_client import RpcError
from support.server_rig import ServerRig, ready

COMPLETE = "multicodex/complete"
RESPONSES = "/backend-api/codex/responses"
INVALID_PARAMS = -32602
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(64)).decode()


def with_image(url: str, **part: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is in this picture?"},
                {"type": "input_image", "image_url": url, **part},
            ],
        }
    ]


async def refused(rig: ServerRig, **params: Any) -> RpcError:
    with pytest.raises(RpcError) as failure:
        await rig.client.request(COMPLETE, {"stream_id": "bad", "model": "gpt-5.5", **params})
    assert failure.value.code == INVALID_PARAMS
    return failure.value


async def test_an_image_part_reaches_the_backend_as_input_image(server_rig: ServerRig) -> None:
    await ready(server_rig, "alice@example.test")
    items = with_image(f"data:image/png;base64,{PNG}", detail="auto")

    result = await server_rig.client.request(
        COMPLETE, {"stream_id": "img", "model": "gpt-5.5", "input": items}
    )

    assert result["status"] == "completed"
    [sent] = server_rig.emu.requests_to(RESPONSES)
    assert sent.body["input"] == items
    [image] = sent.images
    assert (image.source, image.media_type, image.bytes) == ("data", "image/png", 72)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"data:image/bmp;base64,{PNG}", "is image/bmp; images must be png, jpeg, gif, webp"),
        ("data:image/png;base64,not*base64", "is not valid base64"),
        (f"data:image/png,{PNG}", "without ;base64"),
        ("http://example.test/cat.png", "is neither a data: URL nor an https URL"),
        ("", "has no image_url"),
    ],
)
async def test_an_image_the_backend_cannot_use_is_refused_naming_the_part(
    server_rig: ServerRig, url: str, words: str
) -> None:
    await ready(server_rig, "alice@example.test")

    error = await refused(server_rig, input=with_image(url))

    [problem] = error.data["errors"]
    assert problem["field"] == "input[0].content[1]"
    assert words in problem["message"]
    assert "input[0].content[1]" in error.message
    assert words in error.message
    assert server_rig.emu.requests_to(RESPONSES) == []


async def test_an_image_in_a_tool_output_is_checked_too(server_rig: ServerRig) -> None:
    await ready(server_rig, "alice@example.test")
    items = [
        {"type": "function_call", "call_id": "c1", "name": "shot", "arguments": "{}"},
        {
            "type": "function_call_output",
            "call_id": "c1",
            "output": [{"type": "input_image", "file_id": "file-1"}],
        },
    ]

    error = await refused(server_rig, input=items)

    assert error.data["errors"][0]["field"] == "input[1].output[0]"
    assert "file_id" in error.message


def test_a_data_url_over_20_mb_is_refused_before_it_is_decoded() -> None:
    too_big = "A" * ((MAX_IMAGE_BYTES // 3 + 2) * 4)
    just_right = base64.b64encode(bytes(MAX_IMAGE_BYTES)).decode()

    problem = image_problem({"image_url": f"data:image/webp;base64,{too_big}"})

    assert problem == "is 20.0 MB; an image may be at most 20 MB"
    assert image_problem({"image_url": f"data:image/webp;base64,{just_right}"}) is None
    assert image_problem({"image_url": "https://example.test/cat.gif"}) is None


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"tools": [{"type": "web_search"}]}, "tools.0.type", "tools.0.type must be 'function'"),
        (
            {"tools": [{"type": "function", "name": "read file"}]},
            "tools.0.name",
            "the tool name 'read file' is not one the backend accepts",
        ),
        ({"tools": [{"type": "function"}]}, "tools.0.name", "is required"),
        (
            {
                "tools": [{"type": "function", "name": "a"}],
                "tool_choice": {"type": "function", "name": "b"},
            },
            "",
            "tool_choice names 'b', which is not one of the tools",
        ),
        ({"tool_choice": "required"}, "", "tool_choice 'required' needs at least one tool"),
        (
            {"tools": [{"type": "function", "name": "a"}, {"type": "function", "name": "a"}]},
            "",
            "two tools have the same name",
        ),
    ],
)
async def test_tools_the_backend_could_not_use_are_invalid_params(
    server_rig: ServerRig, params: dict[str, Any], field: str, words: str
) -> None:
    await ready(server_rig, "alice@example.test")

    error = await refused(server_rig, prompt="hi", **params)

    problem = error.data["errors"][0]
    if field:
        assert problem["field"] == field
    assert words in error.message
    assert server_rig.emu.requests_to(RESPONSES) == []


async def test_models_list_says_what_each_model_takes(server_rig: ServerRig) -> None:
    await ready(server_rig, "alice@example.test")

    listed = await server_rig.client.request("multicodex/models/list", {"refresh": True})

    assert listed["source"] == "backend"
    by_slug = {m["slug"]: m for m in listed["models"]}
    gpt = by_slug["gpt-5.5"]
    assert gpt["max_input_tokens"] == gpt["context_window"] == 272_000
    assert gpt["max_output_tokens"] == 128_000
    assert gpt["supports_images"] is True
    assert gpt["supports_tools"] is True
    assert gpt["supports_parallel_tool_calls"] is True
    assert by_slug["gpt-6.2-sol"]["max_input_tokens"] == 500_000
