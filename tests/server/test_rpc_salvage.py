"""The id read from the start of a message that could not be read whole."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from multicodex.rpc.salvage import request_id


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"jsonrpc":"2.0","id":7,"method":"x","params":{"t":"cut sh', 7),
        (b' \r\n{ "jsonrpc" : "2.0" , "id" : "req-1" , "params": [1, 2', "req-1"),
        (b'{"method":"x","params":{"id":3,"deep":{"id":4}},"id":5}', 5),
        (b'{"jsonrpc":"2.0","id":"caf\xc3\xa9","method":"x', "café"),
        (b'{"jsonrpc":"2.0","params":{"t":"cut before the id', None),
        (b'{"jsonrpc":"2.0","id":true}', None),
        (b'{"jsonrpc":"2.0","id":null}', None),
        (b'{"jsonrpc":"2.0","id":1.5}', None),
        (b'{"jsonrpc":"2.0","id":[1]}', None),
        (b'{"jsonrpc":"2.0","id":12', None),  # the number may go on
        (b'"}}', None),
        (b'{1:2,"id":3}', None),
        (b"", None),
        (b"\xff\xfe garbage", None),
        (b"[" * 100_000, None),
    ],
)
def test_the_top_level_id_is_found_when_the_start_shows_it(head: bytes, expected: object) -> None:
    assert request_id(head) == expected


@given(
    st.integers(min_value=-(2**63), max_value=2**63) | st.text(max_size=20),
    st.integers(min_value=1, max_value=200),
)
def test_the_id_of_any_request_cut_after_it_is_found(msg_id: int | str, keep: int) -> None:
    start = json.dumps({"jsonrpc": "2.0", "id": msg_id}, ensure_ascii=False).encode()[:-1]
    rest = b',"method":"multicodex/paths","params":{"text":"' + b"x" * 300 + b'"}}'
    assert request_id(start + rest[:keep]) == msg_id
