"""The pushed status is the Status model's JSON, whole: every field the model has, non-ASCII
text as it is, and nothing the model would not read back the same."""

from __future__ import annotations

from multicodex.protocol import Status
from support.server_rig import STATUS, ServerRig


async def test_the_pushed_status_reads_back_as_the_same_model(server_rig: ServerRig) -> None:
    [zoe] = await server_rig.seed("zo\u00eb.\u5c71\u7530@example.test")

    pushed = await server_rig.client.notification(
        STATUS, lambda s: any(a["key"] == zoe["key"] and a["usage"] for a in s["accounts"])
    )

    [account] = [a for a in pushed["accounts"] if a["key"] == zoe["key"]]
    assert account["email"] == "zo\u00eb.\u5c71\u7530@example.test"
    assert Status.model_validate(pushed).model_dump(mode="json") == pushed
