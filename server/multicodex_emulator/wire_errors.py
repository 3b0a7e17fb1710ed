"""Error answers exactly as the real services word them (codex-wire.md E2, E4)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

PARSE_FAILURE_DETAIL = "Could not parse your authentication token. Please try signing in again."
DEACTIVATED_MESSAGE = (
    "Your OpenAI account has been deactivated, please check your email for more information. "
    "If you feel this is an error, contact us through our help center at help.openai.com."
)
_REFRESH_MESSAGES = {
    "refresh_token_reused": (
        "Your refresh token has already been used to generate a new access token. "
        "Please try signing in again."
    ),
    "refresh_token_expired": "Your refresh token has expired. Please try signing in again.",
    "refresh_token_invalidated": (
        "Your refresh token has been invalidated. Please try signing in again."
    ),
    "token_expired": "Could not validate your token. Please try signing in again.",
    "account_deactivated": DEACTIVATED_MESSAGE,
}
_DEFAULT_STATUS_BODIES: dict[int, Any] = {
    500: {
        "error": {
            "message": "An error occurred while processing your request.",
            "type": "server_error",
            "code": None,
            "param": None,
        }
    },
    502: {"detail": "Bad Gateway"},
    503: {"detail": "Service Unavailable"},
    504: {"detail": "Gateway Timeout"},
}


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def default_status_body(status: int) -> Any:
    return _DEFAULT_STATUS_BODIES.get(status, {"detail": f"Emulated error {status}"})


# --- auth.openai.com ---------------------------------------------------------------------


def refresh_refused(code: str, status: int = 401) -> JSONResponse:
    return json_response(
        status,
        {
            "error": {
                "message": _REFRESH_MESSAGES[code],
                "type": "invalid_request_error",
                "param": None,
                "code": code,
            }
        },
    )


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return json_response(status, {"error": error, "error_description": description})


def invalid_client() -> JSONResponse:
    return oauth_error(401, "invalid_client", "Unknown or missing client_id")


# --- chatgpt.com/backend-api -------------------------------------------------------------


def error_json_header(code: str) -> dict[str, str]:
    """`x-error-json`: base64 of {"error":{"code":...}}, which codex-rs reports to users."""
    raw = json.dumps({"error": {"code": code}}, separators=(",", ":")).encode("utf-8")
    return {"x-error-json": base64.b64encode(raw).decode("ascii")}


def unauthorized(kind: str, code: str | None = None) -> JSONResponse:
    """401 for a backend call, by failure kind (malformed/expired/revoked/deactivated)."""
    if kind == "malformed":
        return json_response(
            401, {"detail": PARSE_FAILURE_DETAIL}, error_json_header("token_invalid")
        )
    if kind == "revoked":
        body = {
            "error": {
                "message": "Encountered invalidated oauth token for user, failing request",
                "type": None,
                "code": "token_revoked",
                "param": None,
            },
            "status": 401,
        }
        return json_response(401, body, error_json_header("token_revoked"))
    if kind == "deactivated":
        body = {
            "error": {
                "message": DEACTIVATED_MESSAGE,
                "type": "invalid_request_error",
                "code": "account_deactivated",
                "param": None,
            }
        }
        return json_response(401, body, error_json_header("account_deactivated"))
    return json_response(
        401, {"detail": "Unauthorized"}, error_json_header(code or "token_expired")
    )


def detail(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return json_response(status, {"detail": message}, headers)


def model_not_supported(slug: str) -> str:
    return f"The '{slug}' model is not supported when using Codex with a ChatGPT account."


def requires_newer_version(slug: str) -> str:
    """The 400 detail for a model above the client's `version` (farion1231/cc-switch#7129)."""
    return (
        f"The '{slug}' model requires a newer version of Codex. "
        "Please upgrade to the latest app or CLI and try again."
    )


def invalid_request(message: str, param: str | None, code: str | None = None) -> dict[str, Any]:
    """The platform-style 400 body (`No tool call found …`, a bad `input_image`)."""
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }
    }


def invalid_encrypted_content(content: str) -> dict[str, Any]:
    """400 for reasoning another account (or no account) encrypted (openai/codex#8145)."""
    shown = f"{content[:4]}...{content[-4:]}"
    return invalid_request(
        f"The encrypted content {shown} could not be verified.",
        None,
        "invalid_encrypted_content",
    )


def throttled_body(retry_after_seconds: float) -> dict[str, Any]:
    return {
        "error": {
            "type": "rate_limit_error",
            "code": "rate_limit_exceeded",
            "message": (
                "Rate limit reached for requests. "
                f"Please try again in {_seconds(retry_after_seconds)}."
            ),
            "param": None,
        }
    }


def overloaded_body(message: str) -> dict[str, Any]:
    return {"error": {"type": "server_error", "code": "server_is_overloaded", "message": message}}


def stream_failure_message(code: str) -> str:
    messages = {
        "rate_limit_exceeded": "Rate limit reached for gpt-5.5. Please try again in 1.5s.",
        "context_length_exceeded": (
            "Your input exceeds the context window of this model. "
            "Please adjust your input and try again."
        ),
        "insufficient_quota": (
            "You exceeded your current quota, please check your plan and billing details."
        ),
        "server_error": "An error occurred while processing your request.",
    }
    return messages.get(code, f"Emulated failure: {code}")


def _seconds(value: float) -> str:
    return f"{int(value)}s" if value == int(value) else f"{value:g}s"
