"""Calendar API service objects: one per thread, built from the bundled discovery document.

`httplib2.Http` is not thread-safe, so every thread gets its own `AuthorizedHttp` and service
(building one from the bundled document takes about 1 ms and makes no network call). The
credentials are shared and refreshed under a lock (`TokenSource`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import google_auth_httplib2
from google.auth.credentials import Credentials
from googleapiclient.discovery import build

from bot.retry import RetryPolicy
from integrations.google.auth import TokenSource, new_http
from integrations.google.errors import call_with_retry, classify

DEFAULT_HTTP_TIMEOUT = 20.0


def normalise_endpoint(api_endpoint: str | None) -> str | None:
    """`GOOGLE_API_ENDPOINT` with the trailing slash URL joining needs; None for Google's."""
    if api_endpoint is None or not api_endpoint.strip():
        return None
    endpoint = api_endpoint.strip()
    return endpoint if endpoint.endswith("/") else endpoint + "/"


def build_service(http: Any, api_endpoint: str | None = None) -> Any:
    """A Calendar v3 service on `http`; no network (static discovery, no discovery cache)."""
    endpoint = normalise_endpoint(api_endpoint)
    return build(
        "calendar",
        "v3",
        http=http,
        cache_discovery=False,
        static_discovery=True,
        client_options={"api_endpoint": endpoint} if endpoint else None,
    )


class CalendarApi:
    """Runs Calendar requests on a per-thread service through the retry policy."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        api_endpoint: str | None = None,
        retry: RetryPolicy | None = None,
        http_timeout: float = DEFAULT_HTTP_TIMEOUT,
        token_hint: str | None = None,
    ) -> None:
        self.credentials = credentials
        self.api_endpoint = normalise_endpoint(api_endpoint)
        self.retry = retry or RetryPolicy()
        self.http_timeout = http_timeout
        self.token_hint = token_hint
        self._tokens = TokenSource(credentials, lambda: new_http(http_timeout))
        self._local = threading.local()

    def service(self) -> Any:
        """This thread's service, built on first use."""
        service = getattr(self._local, "service", None)
        if service is None:
            http = google_auth_httplib2.AuthorizedHttp(
                self.credentials, http=new_http(self.http_timeout)
            )
            service = build_service(http, self.api_endpoint)
            self._local.service = service
        return service

    def _discard_service(self) -> None:
        self._local.service = None

    def call(self, what: str, make_request: Callable[[Any], Any]) -> Any:
        """Build a request with `make_request(service)`, execute it, retry per the policy.

        Raises `GoogleApiError` (a `CalendarError`) whose text starts with `what`.
        """

        def attempt() -> Any:
            try:
                self._tokens.ensure_valid()
                return make_request(self.service()).execute(num_retries=0)
            except Exception as error:
                failure = classify(error)
                if failure is not None and failure.kind == "transport":
                    # The connection may be half-dead; start the next attempt on a fresh one.
                    self._discard_service()
                raise

        return call_with_retry(attempt, what=what, policy=self.retry, token_hint=self.token_hint)
