"""What a failed Google Calendar call means, and running calls under the retry policy.

The domain needs one classification: may another attempt help (HTTP 429, 5xx, 403
`rateLimitExceeded`/`userRateLimitExceeded`, transport failures: retried), and if not, what to
tell a person — an unknown calendar (404), a used-up quota (403 `quotaExceeded`), refused
credentials or tokens, a rejected request. Failures that stay become a `GoogleApiError` (a
`bot.ports.CalendarError`) whose text names the operation in words a recruiter can act on.

The retrying itself is tenacity's (`call_with_retry`), waiting per `bot.retry.RetryPolicy`
(exponential backoff with full jitter, honouring `Retry-After`, bounded by attempts and total
time). POSTs are retried too: every insert carries a client-supplied event id, so a repeat
answers 409. google-api-python-client's own `execute(num_retries=…)` covers the same statuses
but waits `rand() · 2^n` s with no cap, deadline or `Retry-After`, and sleeps with `time.sleep`
that tests cannot replace, so it stays at 0.
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httplib2
import tenacity
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from bot.ports import CalendarError
from bot.retry import RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_403_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "usageLimits"})


def retryable_status(status: int, reason: str | None) -> bool:
    """429, 5xx and rate-limit 403s may pass on a later attempt; other statuses never do."""
    return status == 429 or status >= 500 or (status == 403 and reason in RETRYABLE_403_REASONS)


class GoogleConfigError(ValueError):
    """The Google settings are unusable (credentials file missing or malformed, bad email)."""


class GoogleApiError(CalendarError):
    """A Calendar call failed for good. `str()` is one line fit for the person who asked.

    `status` is the HTTP status (None for transport or token failures), `reason` Google's
    machine reason (`notFound`, `quotaExceeded`, `duplicate`, …) when it gave one.
    """

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason

    @property
    def retryable(self) -> bool:
        """Transport failures, 429, 5xx and rate-limit 403s may pass later; the rest never."""
        return self.status is None or retryable_status(self.status, self.reason)


@dataclass(frozen=True, slots=True)
class Failure:
    """What went wrong with one attempt, and whether another attempt may help."""

    retryable: bool
    status: int | None
    reason: str | None
    detail: str
    retry_after: float | None = None
    kind: str = "http"  # "http" | "transport" | "token"

    def label(self) -> str:
        if self.status is None:
            return self.detail
        return f"HTTP {self.status}" + (f" {self.reason}" if self.reason else "")


def _google_error_body(content: Any) -> tuple[str | None, str | None]:
    """(reason, message) from a Google JSON error body, tolerating anything else."""
    try:
        text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None, None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, (error if isinstance(error, str) else None)
    reason = None
    errors = error.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = errors[0].get("reason")
    if reason is None and isinstance(error.get("status"), str):
        reason = error["status"]
    message = error.get("message")
    return (
        reason if isinstance(reason, str) else None,
        message if isinstance(message, str) else None,
    )


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("retry-after") if headers is not None else None
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None  # an HTTP-date; rare from Google, and the backoff copes


def classify(error: BaseException) -> Failure | None:
    """Describe a failure, or None when it is not a Google/transport failure (a bug: re-raise)."""
    if isinstance(error, HttpError):
        status = int(error.resp.status)
        reason, message = _google_error_body(error.content)
        return Failure(
            retryable=retryable_status(status, reason),
            status=status,
            reason=reason,
            detail=message or str(error.resp.reason or "") or f"HTTP {status}",
            retry_after=_retry_after(error.resp),
        )
    if isinstance(error, auth_exceptions.RefreshError):
        # google-auth has already retried the token endpoint's transient failures itself.
        return Failure(False, None, None, _refresh_detail(error), kind="token")
    if isinstance(error, auth_exceptions.TransportError):
        return Failure(True, None, None, f"token request failed: {error}", kind="transport")
    if isinstance(
        error,
        ConnectionError | TimeoutError | http.client.HTTPException | httplib2.ServerNotFoundError,
    ):
        text = str(error) or type(error).__name__
        return Failure(True, None, None, text, kind="transport")
    return None


def _refresh_detail(error: auth_exceptions.RefreshError) -> str:
    # RefreshError args are usually ("unauthorized_client: Client is unauthorized…", {json}).
    first = error.args[0] if error.args else error
    return str(first).strip() or type(error).__name__


DEFAULT_TOKEN_HINT = (
    "check that the service account has domain-wide delegation for the scopes in "
    "docs/google.md and that GOOGLE_ORGANIZER_EMAIL is a user of the Workspace domain"
)


def explain(what: str, failure: Failure, attempts: int, token_hint: str | None = None) -> str:
    """One human line: the operation, what went wrong, and the technical label."""
    status, reason, detail = failure.status, failure.reason, failure.detail
    if failure.kind == "token":
        text = f"Google refused an access token ({detail}); {token_hint or DEFAULT_TOKEN_HINT}"
    elif failure.kind == "transport":
        text = f"could not reach Google Calendar ({detail})"
    elif status == 400:
        text = f"Google rejected the request ({detail})"
    elif status == 401:
        text = f"Google did not accept the service account's credentials ({detail})"
    elif status == 403 and reason in QUOTA_REASONS:
        text = f"the Google Calendar quota is used up ({detail}); try again later"
    elif status == 403 and reason in RETRYABLE_403_REASONS:
        text = f"Google Calendar is rate limiting us ({detail})"
    elif status == 403:
        text = f"permission denied ({detail})"
    elif status == 404:
        text = f"not found ({detail})"
    elif status == 429:
        text = f"Google Calendar is rate limiting us ({detail})"
    elif status is not None and status >= 500:
        text = f"Google Calendar is unavailable ({detail})"
    else:
        text = detail
    if failure.retryable:
        text += f"; gave up after {attempts} attempt{'s' if attempts != 1 else ''}"
    label = f" [{failure.label()}]" if failure.status is not None else ""
    return " ".join(f"{what} failed: {text}{label}".split())


def call_with_retry(
    fn: Callable[[], T], *, what: str, policy: RetryPolicy, token_hint: str | None = None
) -> T:
    """Run `fn` until it succeeds, fails for good, or the policy's budget is spent.

    Raises `GoogleApiError` naming `what` (e.g. "creating event X on a@b's calendar").
    Exceptions `classify` does not recognise propagate unchanged.
    """
    started = policy.clock()

    def failure_of(state: tenacity.RetryCallState) -> Failure | None:
        error = state.outcome.exception() if state.outcome is not None else None
        return classify(error) if error is not None else None

    def retryable(state: tenacity.RetryCallState) -> bool:
        failure = failure_of(state)
        return failure is not None and failure.retryable

    def wait(state: tenacity.RetryCallState) -> float:
        failure = failure_of(state)
        return policy.backoff(state.attempt_number, failure.retry_after if failure else None)

    def out_of_budget(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        elapsed = policy.clock() - started + state.upcoming_sleep
        return policy.deadline is not None and elapsed > policy.deadline

    def before_sleep(state: tenacity.RetryCallState) -> None:
        failure = failure_of(state)
        label = failure.label() if failure else "?"
        log.warning(
            "%s: attempt %d failed (%s); retrying in %.2fs",
            what,
            state.attempt_number,
            label,
            state.upcoming_sleep,
        )

    retrying = tenacity.Retrying(
        sleep=policy.sleep,
        retry=retryable,
        wait=wait,
        stop=out_of_budget,
        before_sleep=before_sleep,
        reraise=True,
    )
    attempts = 0

    def counted() -> T:
        nonlocal attempts
        attempts += 1
        return fn()

    try:
        return retrying(counted)
    except Exception as error:
        failure = classify(error)
        if failure is None:
            raise
        raise GoogleApiError(
            explain(what, failure, attempts, token_hint),
            status=failure.status,
            reason=failure.reason,
        ) from error
