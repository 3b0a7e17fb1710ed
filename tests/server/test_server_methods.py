"""The server serves every protocol method through the handler the application declared
for it, validating params with the model that handler declares."""

from __future__ import annotations

from multicodex.protocol import METHODS, ErrorCode
from support.server_rig import ServerRig


async def test_every_method_validates_with_the_params_model_its_handler_declares(
    server_rig: ServerRig,
) -> None:
    client = server_rig.client
    sent = {m: await client.send_request(m.value, {"not_a_field": 1}) for m in METHODS}

    for method, msg_id in sent.items():
        error = (await client.response(msg_id)).get("error")
        assert error is not None, f"{method.value} accepted a field it does not declare"
        assert error["code"] == ErrorCode.INVALID_PARAMS, (method.value, error)
        assert "not_a_field" in [e["field"] for e in error["data"]["errors"]], method.value
