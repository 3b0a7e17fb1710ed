"""`cached_tokens`: the prompt-cache hits a repeated prefix earns on the same account.

Per (account, `prompt_cache_key`) the emulator keeps the last request's prompt as one
fingerprint per input item, led by one for what precedes the input (model, instructions,
tools). A new request with the same account and key reports the input items it shares
with that earlier prompt from the start as cached (the whole earlier input when the new
one extends it, as a conversation does); another account, another key, no key, a
different lead or a different first item all report 0. Tokens are counted simply:
len(JSON of the items) // 4, the same measure as `input_tokens`, so cached never exceeds
it. (The real cache works in 128-token blocks from 1024 tokens; the emulator does not.)
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

MAX_ENTRIES = 10_000


def input_tokens(items: list[Any]) -> int:
    return max(1, len(json.dumps(items)) // 4)


def _prefix_tokens(items: list[Any], count: int) -> int:
    return len(json.dumps(items[:count])) // 4 if count else 0


def _fingerprint(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def prompt_fingerprints(body: dict[str, Any]) -> list[str]:
    lead = {key: body.get(key) for key in ("model", "instructions", "tools")}
    items = body.get("input")
    return [_fingerprint(lead), *(_fingerprint(item) for item in items or [])]


class PromptCache:
    """Thread-safe; bounded to the most recently used MAX_ENTRIES (account, key) pairs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prompts: OrderedDict[tuple[str, str], list[str]] = OrderedDict()

    def serve(self, account_id: str, body: dict[str, Any]) -> int:
        """The cached tokens this request reports; remembers its prompt for the next."""
        key = body.get("prompt_cache_key")
        if not isinstance(key, str) or not key:
            return 0
        prompt = prompt_fingerprints(body)
        with self._lock:
            earlier = self._prompts.pop((account_id, key), [])
            self._prompts[(account_id, key)] = prompt
            while len(self._prompts) > MAX_ENTRIES:
                self._prompts.popitem(last=False)
        shared = _shared_length(earlier, prompt)
        items = body.get("input") or []
        # Index 0 is the lead: a different lead shares nothing.
        return _prefix_tokens(items, shared - 1) if shared > 1 else 0


def _shared_length(earlier: list[str], prompt: list[str]) -> int:
    """How many leading fingerprints `prompt` shares with `earlier`."""
    shared = 0
    for old, new in zip(earlier, prompt, strict=False):
        if old != new:
            break
        shared += 1
    return shared
