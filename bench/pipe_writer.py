"""Baseline for relay throughput: write N delta notifications, framed exactly as the
server frames them, through a plain pipe (stdout), as fast as Python can.

``python bench/pipe_writer.py N`` (standalone: imports nothing from MultiCodex).
"""

from __future__ import annotations

import json
import sys

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


def delta(seq: int) -> dict[str, object]:
    return {
        "jsonrpc": "2.0",
        "method": "multicodex/completion/delta",
        "params": {
            "stream_id": "pipe",
            "seq": seq,
            "kind": "text",
            "text": f" {WORDS[seq % len(WORDS)]}",
            "account": {
                "key": "throughput@example.test|acct-0001",
                "display_name": "throughput@example.test",
            },
            "from_account": None,
            "reason": None,
            "until": None,
        },
    }


def main() -> None:
    count = int(sys.argv[1])
    out = sys.stdout.buffer
    for seq in range(count):
        body = json.dumps(delta(seq)).encode()
        out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    out.flush()


if __name__ == "__main__":
    main()
