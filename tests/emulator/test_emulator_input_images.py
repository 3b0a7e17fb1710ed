"""`input_image` parts: logged by media type and size (never the data); refused like the
backend when they are not a base64 data URL of a supported image type."""

from __future__ import annotations

import base64
from typing import Any

import httpx2
from emulator_helpers import RESPONSES_PATH, bearer, responses_body

from multicodex_emulator import Emulator

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def data_url(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def with_images(*urls: str) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"type": "input_text", "text": "What is in these?"}]
    parts.extend({"type": "input_image", "image_url": url, "detail": "auto"} for url in urls)
    return [{"type": "message", "role": "user", "content": parts}]


async def post(
    client: httpx2.AsyncClient, tokens: dict[str, Any], input_items: list[dict[str, Any]]
) -> httpx2.Response:
    return await client.post(
        RESPONSES_PATH, headers=bearer(tokens), json=responses_body(input=input_items)
    )


async def test_images_are_logged_by_type_and_size_never_by_content(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + bytes(200)
    images = with_images(
        data_url("image/png", PNG),
        data_url("image/jpeg", jpeg),
        "https://example.test/cat.webp",
    )

    response = await post(client, tokens, images)

    assert response.status_code == 200
    record = emu.requests_to(RESPONSES_PATH)[-1]
    assert [image.model_dump() for image in record.images] == [
        {"source": "data", "media_type": "image/png", "bytes": len(PNG)},
        {"source": "data", "media_type": "image/jpeg", "bytes": len(jpeg)},
        {"source": "url", "media_type": None, "bytes": None},
    ]
    logged = record.model_dump_json(exclude={"body"})
    assert base64.b64encode(PNG).decode() not in logged


async def test_gif_and_webp_are_accepted(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    images = with_images(data_url("image/gif", b"GIF89a..."), data_url("image/webp", b"RIFF.."))
    assert (await post(client, tokens, images)).status_code == 200
    record = emu.requests_to(RESPONSES_PATH)[-1]
    assert [i.media_type for i in record.images] == ["image/gif", "image/webp"]


async def test_unsupported_or_empty_images_are_refused_like_the_backend(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    unsupported = await post(client, tokens, with_images(data_url("image/bmp", b"BM..")))
    assert unsupported.status_code == 400
    assert unsupported.json() == {
        "error": {
            "message": (
                "Invalid 'input[0].content[1].image_url'. Expected a base64-encoded data URL "
                "with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), "
                "but got unsupported MIME type 'image/bmp'."
            ),
            "type": "invalid_request_error",
            "param": "input[0].content[1].image_url",
            "code": None,
        }
    }

    empty = await post(client, tokens, with_images("data:image/png;base64,"))
    assert empty.status_code == 400
    assert empty.json()["error"]["message"].endswith("but got empty base64-encoded bytes.")

    garbled = await post(client, tokens, with_images("data:image/png;base64,!!not base64!!"))
    assert garbled.status_code == 400
    assert garbled.json()["error"]["message"].endswith("but got invalid base64-encoded bytes.")
    assert emu.requests_to(RESPONSES_PATH)[-1].error_code == "invalid_request"
