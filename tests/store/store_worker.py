"""A separate MultiCodex process doing read-modify-write transactions on one store.

usage: python store_worker.py HOME WORKER ROUNDS
Each round, in one transaction: appends the account ``w<WORKER>-r<round>``, records the
round on the worker's own account ``w<WORKER>`` and increments a counter every worker
shares (settings.usage_ttl_seconds). Prints "done" when finished.
"""

from __future__ import annotations

import sys
from pathlib import Path

from multicodex.model import StoredAccount, TokenSet, identity_key
from multicodex.store.document import Store


def account(name: str) -> StoredAccount:
    return StoredAccount(
        key=identity_key(f"acct-{name}", None),
        account_id=f"acct-{name}",
        tokens=TokenSet(access_token=f"at-{name}", refresh_token=f"rt-{name}", expires_at=2e9),
        added_at=1.0,
    )


def main(home: Path, worker: int, rounds: int) -> None:
    store = Store.open(home)
    own_key = identity_key(f"acct-w{worker}", None)
    for round_ in range(rounds):
        with store.transaction() as doc:
            doc.accounts.append(account(f"w{worker}-r{round_}"))
            own = doc.find(own_key)
            if own is None:
                own = account(f"w{worker}")
                doc.accounts.append(own)
            own.label = f"round-{round_}"
            doc.settings.usage_ttl_seconds += 1
    print("done", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
