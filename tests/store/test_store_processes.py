"""Several real OS processes sharing one store: no write is ever lost or torn."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from multicodex.model import identity_key
from multicodex.store.document import Store

WORKER = Path(__file__).with_name("store_worker.py")
PROCESSES = 8
ROUNDS = 25
DEFAULT_TTL = 300


def test_eight_processes_never_lose_a_write(home: Path) -> None:
    store = Store.open(home)
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(home), str(n), str(ROUNDS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    reads = 0
    try:
        deadline = time.monotonic() + 240
        while any(w.poll() is None for w in workers) and time.monotonic() < deadline:
            store.read()  # must always parse, whatever the writers are doing
            reads += 1
            time.sleep(0.005)
        outputs = [w.communicate(timeout=60) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()

    for w, (out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
        assert out.strip() == "done"
    assert reads > 0

    doc = store.read()
    keys = [a.key for a in doc.accounts]
    assert len(keys) == len(set(keys))
    for n in range(PROCESSES):
        for round_ in range(ROUNDS):
            assert identity_key(f"acct-w{n}-r{round_}", None) in keys
        own = doc.find(identity_key(f"acct-w{n}", None))
        assert own is not None
        assert own.label == f"round-{ROUNDS - 1}"
    assert len(doc.accounts) == PROCESSES * (ROUNDS + 1)
    assert doc.settings.usage_ttl_seconds == DEFAULT_TTL + PROCESSES * ROUNDS
