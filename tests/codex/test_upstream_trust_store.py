"""The upstream client reads the system's trust store at its first request, not when it
is made: a server that has not reached upstream yet keeps no CA certificates in memory.
The proof: a CA file that appears only after the client was made is the one it trusts."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx2
import pytest

from multicodex.codex.coalescing import upstream_client
from multicodex_emulator import Emulator


async def test_a_ca_file_written_after_the_client_was_made_is_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file = tmp_path / "later-ca.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    emu = Emulator(tokens_per_second=0)
    http = upstream_client(10.0)
    try:
        async with emu.serve(tls=True) as base_url:
            assert emu.ca_pem_path is not None
            shutil.copyfile(emu.ca_pem_path, ca_file)
            response = await http.get(f"{base_url}/backend-api/codex/models")
    finally:
        await http.aclose()
    assert base_url.startswith("https://")
    assert response.status_code == 401  # answered (no token given) over verified TLS


async def test_a_server_signed_by_another_ca_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file = tmp_path / "other-ca.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    trusted, served = Emulator(tokens_per_second=0), Emulator(tokens_per_second=0)
    http = upstream_client(10.0)
    try:
        async with trusted.serve(tls=True), served.serve(tls=True) as base_url:
            assert trusted.ca_pem_path is not None
            shutil.copyfile(trusted.ca_pem_path, ca_file)
            with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await http.get(f"{base_url}/backend-api/codex/models")
    finally:
        await http.aclose()
