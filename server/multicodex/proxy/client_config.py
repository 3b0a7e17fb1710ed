"""How the official Codex CLI (and the IDE extension, which runs the same binary) is pointed
at the proxy: a model provider of its own whose bearer is the proxy's secret, read from an
environment variable so the secret never sits in a command line or a config file."""

from __future__ import annotations

import json
import shlex

PROVIDER_ID = "multicodex"
SECRET_ENV = "MULTICODEX_PROXY_SECRET"  # noqa: S105 (the variable's name)
PERMANENT_PORT = 18765
"""The port a permanent setup uses when none is given: the config file names one port."""
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def provider_settings(base_url: str) -> dict[str, str]:
    """The provider's keys; ``base_url`` is the proxy's (``…/backend-api``)."""
    return {
        "name": "MultiCodex",
        "base_url": f"{base_url}/codex",
        "wire_api": "responses",
        "env_key": SECRET_ENV,
    }


def override_arguments(base_url: str) -> list[str]:
    """``-c`` options that select the provider for one run over the user's own config."""
    arguments = ["-c", f"model_provider={_toml(PROVIDER_ID)}"]
    for key, value in provider_settings(base_url).items():
        arguments += ["-c", f"model_providers.{PROVIDER_ID}.{key}={_toml(value)}"]
    return arguments


def config_block(base_url: str) -> str:
    """The lines a permanent setup adds to ``~/.codex/config.toml``."""
    lines = [
        "# ~/.codex/config.toml: model_provider is a top-level key (above every [table])",
        f"model_provider = {_toml(PROVIDER_ID)}",
        "",
        f"[model_providers.{PROVIDER_ID}]",
    ]
    lines += [f"{key} = {_toml(value)}" for key, value in provider_settings(base_url).items()]
    return "\n".join(lines)


def environment_line(secret: str) -> str:
    return f"export {SECRET_ENV}={shlex.quote(secret)}"


def with_loopback_exempt(env: dict[str, str]) -> dict[str, str]:
    """The environment with 127.0.0.1 and localhost exempt from any HTTP proxy the user
    has set, so the CLI reaches this proxy directly."""
    updated = dict(env)
    for name in ("NO_PROXY", "no_proxy"):
        present = [h for h in updated.get(name, "").split(",") if h.strip()]
        missing = [h for h in LOOPBACK_HOSTS if h not in present]
        if name in updated or name == "NO_PROXY":
            updated[name] = ",".join(present + missing)
    return updated


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's for these values)."""
    return json.dumps(value)
