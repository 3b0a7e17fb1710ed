"""The emulator in a process of its own (so that it never competes with the measuring
client for the GIL), driven through its control API."""

from __future__ import annotations

import subprocess
import sys
import time
from types import TracebackType
from typing import Any

import httpx2

from multicodex.auth.importers import ImportedCredentials
from multicodex.auth.tokens import login_result, tokens_from_response
from multicodex.model import StoredAccount
from multicodex.pool.membership import new_account

_START_TIMEOUT = 30.0


class EmulatorProcess:
    """``multicodex emulator --port 0`` as a child process; ``with`` stops it."""

    def __init__(self, *, tokens_per_second: float = 0.0) -> None:
        self._tokens_per_second = tokens_per_second
        self._process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self._http: httpx2.Client | None = None

    def __enter__(self) -> EmulatorProcess:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "multicodex",
                "emulator",
                "--port",
                "0",
                "--tokens-per-second",
                str(self._tokens_per_second),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"the emulator did not start (first line: {line!r})")
        self.base_url = line
        self._http = httpx2.Client(base_url=f"{line}/_emu", timeout=_START_TIMEOUT)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        process = self._process
        if process is None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
        self._process = None

    # -- control API ----------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None) -> Any:
        assert self._http is not None, "the emulator is not running"
        response = self._http.request(method, path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    def settings(self, **changes: Any) -> Any:
        return self.call("PATCH", "/settings", changes)

    def add_account(self, email: str, **fields: Any) -> str:
        created = self.call("POST", "/accounts", {"email": email, **fields})
        return str(created["account_id"])

    def update_account(self, account_id: str, **fields: Any) -> None:
        self.call("PATCH", f"/accounts/{account_id}", fields)

    def tokens(self, account_id: str) -> dict[str, Any]:
        return dict(self.call("POST", f"/accounts/{account_id}/tokens"))

    def script_faults(self, account_id: str, faults: list[dict[str, Any]]) -> None:
        self.call("POST", f"/accounts/{account_id}/faults", {"faults": faults, "append": True})

    def counters(self, account_id: str) -> dict[str, int]:
        return dict(self.call("GET", f"/accounts/{account_id}/counters"))

    def all_counters(self) -> dict[str, dict[str, int]]:
        return dict(self.call("GET", "/counters"))

    def expire_access_tokens(self, account_id: str) -> None:
        """The backend answers 401 to the account's current access tokens from now on."""
        self.call("POST", f"/accounts/{account_id}/expire-access-tokens")

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        query = f"?path={path}" if path else ""
        return list(self.call("GET", f"/requests{query}"))

    def clear_requests(self) -> None:
        self.call("DELETE", "/requests")

    def stored_account(self, account_id: str) -> StoredAccount:
        """A store entry holding fresh tokens of an emulator account."""
        login = login_result(tokens_from_response(self.tokens(account_id)))
        creds = ImportedCredentials(tokens=login.tokens, claims=login.claims)
        return new_account(creds, time.time())
