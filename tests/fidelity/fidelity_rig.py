"""Running the real Codex CLI (`codex exec`) against the emulator on 127.0.0.1.

Everything the CLI reads is made here for one run: a throw-away CODEX_HOME with a
config.toml pointing at the emulator and an auth.json holding tokens that the emulator's
own OAuth endpoints issued, plus a minimal environment in which every proxy variable
points at a dead local port (only 127.0.0.1 is exempt), so nothing leaves the machine.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx2
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from pydantic import BaseModel, ConfigDict, Field

from multicodex.config import CLIENT_ID, SCOPES
from multicodex_emulator import Emulator

FIDELITY_DIR = Path(__file__).resolve().parent
SETUP_SCRIPT = FIDELITY_DIR / "setup.sh"
MODEL = "gpt-5.5"
SPARK_MODEL = "gpt-5.3-codex-spark"
RUN_TIMEOUT = 60.0
SETUP_TIMEOUT = 900.0
# Port 9 (discard) has no listener here: anything sent through a proxy fails at once.
DEAD_PROXY = "http://127.0.0.1:9"
LOOPBACK_HOSTS = "127.0.0.1,localhost"
# Any loopback port is accepted by the emulator; nothing listens there, the code is
# read from the redirect's Location header.
REDIRECT_URI = "http://localhost:1455/auth/callback"


class TokenGrant(BaseModel):
    """The token endpoint's answer to a code exchange or refresh."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id_token: str
    access_token: str
    refresh_token: str
    expires_in: int


class CodexTokens(BaseModel):
    id_token: str
    access_token: str
    refresh_token: str
    account_id: str


class CodexAuthFile(BaseModel):
    """`$CODEX_HOME/auth.json` as the Codex CLI reads and rewrites it (ChatGPT mode)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    auth_mode: Literal["chatgpt"] = "chatgpt"
    openai_api_key: str | None = Field(default=None, alias="OPENAI_API_KEY")
    tokens: CodexTokens
    last_refresh: str


@dataclass(frozen=True)
class CodexCli:
    """One installed release of the Codex CLI (an npm alias of @openai/codex)."""

    version: str
    package: str
    """Its directory in tests/fidelity/node_modules (package.json's alias)."""
    accept_encoding: str | None
    """The `accept-encoding` its HTTP requests carry (None: the header is not sent)."""
    asks_plugin_tooling_state: bool
    """Whether it calls `ps/plugins/tooling-state/turtle` at start (apps and plugins on)."""

    @property
    def path(self) -> Path:
        return FIDELITY_DIR / "node_modules" / self.package / "bin" / "codex.js"


# The releases the suite runs against, as package.json pins them (setup.sh checks both).
CODEX_CLIS = (
    CodexCli(
        version="0.169.1",
        package="codex-0169",
        accept_encoding=None,
        asks_plugin_tooling_state=False,
    ),
    CodexCli(
        version="0.171.0",
        package="codex-0171",
        accept_encoding="zstd,gzip",
        asks_plugin_tooling_state=True,
    ),
)


@dataclass(frozen=True)
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    auth: CodexAuthFile
    """auth.json as the CLI left it."""


def install_codex_clis() -> None:
    """Run setup.sh (npm ci when node_modules is missing or stale)."""
    result = subprocess.run(
        ["bash", str(SETUP_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=SETUP_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{SETUP_SCRIPT} failed ({result.returncode}):\n{result.stderr[-4000:]}")


def login_with_pkce(emu: Emulator, base_url: str) -> TokenGrant:
    """A browser-style login against the emulator: /oauth/authorize, then the code exchange."""
    verifier = generate_token(64)
    authorize_url = prepare_grant_uri(
        f"{base_url}/oauth/authorize",
        client_id=CLIENT_ID,
        response_type="code",
        redirect_uri=REDIRECT_URI,
        scope=" ".join(SCOPES),
        state=generate_token(16),
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    with httpx2.Client(verify=emu.client_ssl_context(), timeout=15.0) as http:
        redirect = http.get(authorize_url)
        if redirect.status_code != 302:
            raise RuntimeError(f"authorize answered {redirect.status_code}")
        code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=REDIRECT_URI,
            client_id=CLIENT_ID,
            code_verifier=verifier,
        )
        answer = http.post(
            f"{base_url}/oauth/token",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        answer.raise_for_status()
        return TokenGrant.model_validate(answer.json())


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (to compare tokens by `jti` and `exp`)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


class CodexHome:
    """A throw-away CODEX_HOME (plus HOME and working directory) under `root`.

    Quiet by default (no analytics, apps or plugins calls); `apps_and_plugins` turns the
    two features on, for the start-up calls they make.
    """

    def __init__(self, root: Path, base_url: str, apps_and_plugins: bool = False) -> None:
        self.root = root
        self.base_url = base_url
        self.apps_and_plugins = apps_and_plugins
        self.codex_home = root / "codex-home"
        self.user_home = root / "home"
        self.workdir = root / "work"
        for directory in (self.codex_home, self.user_home, self.workdir):
            directory.mkdir(parents=True, exist_ok=True)
        (self.codex_home / "config.toml").write_text(self._config_toml(), encoding="utf-8")

    @property
    def auth_path(self) -> Path:
        return self.codex_home / "auth.json"

    def write_auth(self, grant: TokenGrant, account_id: str) -> CodexAuthFile:
        auth = CodexAuthFile(
            tokens=CodexTokens(
                id_token=grant.id_token,
                access_token=grant.access_token,
                refresh_token=grant.refresh_token,
                account_id=account_id,
            ),
            last_refresh=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        )
        _write_private(self.auth_path, auth.model_dump_json(by_alias=True, indent=2))
        return auth

    def read_auth(self) -> CodexAuthFile:
        return CodexAuthFile.model_validate_json(self.auth_path.read_text(encoding="utf-8"))

    def _config_toml(self) -> str:
        # Quiet: no analytics calls (and no ~5 s wait for them at exit).
        settings = {
            "model": MODEL,
            "openai_base_url": f"{self.base_url}/backend-api/codex",
            "chatgpt_base_url": f"{self.base_url}/backend-api/",
            "forced_login_method": "chatgpt",
            "cli_auth_credentials_store": "file",
            "check_for_update_on_startup": False,
        }
        lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
        features = json.dumps(self.apps_and_plugins)
        lines += ["[analytics]", "enabled = false", "[features]"]
        lines += [f"apps = {features}", f"plugins = {features}"]
        return "\n".join(lines) + "\n"

    def environment(self, ca_pem: str) -> dict[str, str]:
        """Only what the CLI needs; nothing of the caller's OPENAI_*, CODEX_* or proxies."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.user_home),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "CODEX_HOME": str(self.codex_home),
            "CODEX_CA_CERTIFICATE": ca_pem,
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE": f"{self.base_url}/oauth/token",
            "CODEX_REVOKE_TOKEN_URL_OVERRIDE": f"{self.base_url}/oauth/revoke",
        }
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
            env[name] = env[name.lower()] = DEAD_PROXY
        env["NO_PROXY"] = env["no_proxy"] = LOOPBACK_HOSTS
        return env

    def run_exec(
        self, codex: CodexCli, ca_pem: str, prompt: str, model: str | None = None
    ) -> CliRun:
        """`codex exec` once (with `-m model` if given, else config.toml's model), killed
        with its whole process group after RUN_TIMEOUT."""
        command = [str(codex.path), "exec", "--skip-git-repo-check", "--strict-config"]
        if model is not None:
            command += ["--model", model]
        command.append(prompt)
        process = subprocess.Popen(
            command,
            cwd=self.workdir,
            env=self.environment(ca_pem),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"codex exec did not finish within {RUN_TIMEOUT:.0f} s\n"
                f"stdout:\n{stdout}\nstderr:\n{stderr}"
            ) from None
        finally:
            _kill_group(process.pid)
        return CliRun(process.returncode, stdout, stderr, self.read_auth())


def _kill_group(pgid: int) -> None:
    """Stop whatever the CLI left running in its session (normally nothing)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _write_private(path: Path, text: str) -> None:
    """Atomically, mode 0600: temp file in the same directory, fsync, rename."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o600)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class WallClockBehind:
    """A clock source for the emulator: wall time minus `behind` seconds.

    Setting `behind` before a login and then advancing the emulator's clock by the same
    amount yields tokens issued in the past: expired for the CLI and for the emulator.
    """

    def __init__(self) -> None:
        self.behind = 0.0

    def __call__(self) -> float:
        return time.time() - self.behind
