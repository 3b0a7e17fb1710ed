"""The application layer turns the engine's failures into protocol errors by the class the
Codex client decided, from one table; nothing is re-derived from a status code."""

from __future__ import annotations

import pytest

from multicodex.app.completion_errors import upstream_error_code, upstream_failure
from multicodex.cli_commands.exit_codes import ExitCode, exit_code_for
from multicodex.model import FailureKind
from multicodex.protocol import AccountRef, ErrorCode
from multicodex.rotation.models import FailureInfo, UpstreamFailure

ALICE = AccountRef(key="alice@example.test|acct", display_name="alice@example.test")


@pytest.mark.parametrize("status", [403, 404, 409])
def test_a_transient_4xx_that_outlasts_the_retries_is_unavailable_not_a_bad_request(
    status: int,
) -> None:
    failure = FailureInfo(kind=FailureKind.TRANSIENT, message="blocked", status=status)
    assert upstream_error_code(failure, after_output=False) is ErrorCode.UPSTREAM_UNAVAILABLE


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (FailureKind.BAD_REQUEST, ErrorCode.UPSTREAM_BAD_REQUEST),
        (FailureKind.RATE_LIMITED, ErrorCode.RATE_LIMITED),
        (FailureKind.TRANSIENT, ErrorCode.UPSTREAM_UNAVAILABLE),
        (FailureKind.QUOTA_EXHAUSTED, ErrorCode.UPSTREAM_UNAVAILABLE),
    ],
)
def test_each_class_has_one_error_code_and_one_exit_code(
    kind: FailureKind, code: ErrorCode
) -> None:
    failure = FailureInfo(kind=kind, message="m", status=None)
    error = upstream_failure(
        UpstreamFailure(
            "m", failure=failure, account_key=ALICE.key, account_name="", after_output=False
        ),
        ALICE,
        0,
    )
    assert error.code is code
    assert upstream_error_code(failure, after_output=True) is ErrorCode.UPSTREAM_FAILED_AFTER_OUTPUT
    expected_exit = ExitCode.EXHAUSTED if code is ErrorCode.RATE_LIMITED else ExitCode.FAILURE
    assert exit_code_for(error.code) is expected_exit


def test_a_bad_request_inside_the_stream_has_no_status_and_says_so() -> None:
    failure = FailureInfo(kind=FailureKind.BAD_REQUEST, message="Invalid prompt", code="x")
    error = upstream_failure(
        UpstreamFailure(
            "Invalid prompt",
            failure=failure,
            account_key=ALICE.key,
            account_name="",
            after_output=False,
        ),
        ALICE,
        0,
    )
    assert error.message == "The backend rejected the request: Invalid prompt"
    assert error.data is not None and error.data.model_dump()["status"] is None
