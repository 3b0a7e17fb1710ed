"""Where MultiCodex talks to: the real OpenAI hosts unless told otherwise.

Both base URLs can be overridden (environment or settings) so the whole product runs
against the loopback emulator. The emulator serves both under one origin:
``MULTICODEX_AUTH_URL=http://127.0.0.1:PORT`` and
``MULTICODEX_BACKEND_URL=http://127.0.0.1:PORT/backend-api``.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict

DEFAULT_AUTH_URL = "https://auth.openai.com"
DEFAULT_BACKEND_URL = "https://chatgpt.com/backend-api"
CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
SCOPES = "openid profile email offline_access"
ORIGINATOR = "codex_cli_rs"
CLIENT_VERSION = "0.171.0"
"""The Codex CLI release MultiCodex presents itself as (``version`` header,
``codex/models?client_version=``): the backend hides and refuses models whose
``minimal_client_version`` is newer, so an old value never sees new models."""

AUTH_URL_ENV = "MULTICODEX_AUTH_URL"
BACKEND_URL_ENV = "MULTICODEX_BACKEND_URL"
CLIENT_VERSION_ENV = "MULTICODEX_CLIENT_VERSION"


def client_version() -> str:
    """``MULTICODEX_CLIENT_VERSION`` when set (to follow a newer Codex CLI before
    MultiCodex is updated), else ``CLIENT_VERSION``."""
    return os.environ.get(CLIENT_VERSION_ENV, "").strip() or CLIENT_VERSION


class Endpoints(BaseModel):
    """The two origins MultiCodex speaks to."""

    model_config = ConfigDict(frozen=True)

    auth_url: str = DEFAULT_AUTH_URL
    backend_url: str = DEFAULT_BACKEND_URL

    @classmethod
    def from_env(cls, auth_url: str | None = None, backend_url: str | None = None) -> Endpoints:
        """Explicit arguments win over the environment, which wins over the defaults."""
        return cls(
            auth_url=(auth_url or os.environ.get(AUTH_URL_ENV) or DEFAULT_AUTH_URL).rstrip("/"),
            backend_url=(
                backend_url or os.environ.get(BACKEND_URL_ENV) or DEFAULT_BACKEND_URL
            ).rstrip("/"),
        )

    @property
    def token_url(self) -> str:
        return f"{self.auth_url}/oauth/token"

    @property
    def authorize_url(self) -> str:
        return f"{self.auth_url}/oauth/authorize"

    @property
    def responses_url(self) -> str:
        return f"{self.backend_url}/codex/responses"

    @property
    def usage_url(self) -> str:
        return f"{self.backend_url}/wham/usage"

    @property
    def models_url(self) -> str:
        return f"{self.backend_url}/codex/models"
