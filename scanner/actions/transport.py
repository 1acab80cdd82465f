"""One HTTP POST with retries: the at-least-once half of webhook delivery.

Kept apart from payloads and the journal so the generic webhook and the GitHub
revocation target share one retry policy. Nothing here ever formats a request
body, a header value or a requests exception into a message: those may carry a
secret.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

import requests

from scanner import __version__

__all__ = [
    "USER_AGENT",
    "Attempt",
    "Outcome",
    "RetryPolicy",
    "parse_retry_after",
    "post_with_retries",
    "safe_url",
]

log = logging.getLogger(__name__)

USER_AGENT = f"keysweep/{__version__}"

RETRYABLE_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one delivery tries before it is left pending for `keysweep webhook retry`."""

    timeout: float = 10.0
    # An unreachable receiver costs this per attempt, not the whole read timeout.
    connect_timeout: float = 3.0
    max_attempts: int = 5
    backoff: float = 1.0
    backoff_max: float = 30.0
    # A Retry-After longer than this ends the run's attempts (the delivery stays pending).
    max_retry_after: float = 120.0

    def worst_case(self) -> float:
        """An upper bound of one delivery's duration: how long its journal lease must last."""
        per_attempt = self.connect_timeout + self.timeout
        waits = max(self.backoff_max, self.max_retry_after)
        return self.max_attempts * (per_attempt + waits) + 60.0


@dataclass(frozen=True)
class Attempt:
    """What one try produced; `retryable` says whether waiting could change the answer."""

    ok: bool
    status: int | None
    retryable: bool
    message: str
    retry_after: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """The last attempt of a delivery, and how many were made."""

    ok: bool
    status: int | None
    attempts: int
    message: str
    # True when the target itself looks unreachable or overloaded: stop sending to it this run.
    transient: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)


def safe_url(url: str) -> str:
    """The URL without user info and query: both may hold credentials (hook tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = datetime.now(timezone.utc).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def _attempt(
    session: requests.Session,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    policy: RetryPolicy,
    read_timeout: float,
) -> Attempt:
    try:
        response = session.post(
            url,
            data=body,
            headers=dict(headers),
            timeout=(min(policy.connect_timeout, read_timeout), read_timeout),
            # A redirect would carry the body to wherever the receiver points, maybe plain http.
            allow_redirects=False,
        )
    except requests.Timeout:
        return Attempt(False, None, True, f"timed out after {read_timeout:g} s")
    except requests.ConnectionError:
        return Attempt(False, None, True, "connection failed")
    except requests.RequestException as exc:
        return Attempt(False, None, False, f"request failed ({type(exc).__name__})")
    status = response.status_code
    resp_headers = {k.lower(): v for k, v in response.headers.items()}
    response.close()
    if 200 <= status < 300:
        return Attempt(True, status, False, f"HTTP {status}", headers=resp_headers)
    retry_after = parse_retry_after(resp_headers.get("retry-after"))
    if status in RETRYABLE_STATUS or status >= 500:
        return Attempt(False, status, True, f"HTTP {status}", retry_after, resp_headers)
    if 300 <= status < 400:
        return Attempt(False, status, False, f"HTTP {status} (redirects are not followed)", headers=resp_headers)
    return Attempt(False, status, False, f"HTTP {status}", retry_after, resp_headers)


def post_with_retries(
    session: requests.Session,
    url: str,
    build: Callable[[int], tuple[bytes, Mapping[str, str]]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    stop: Callable[[Attempt], str | None] | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """POST `build(attempt_number)` until a 2xx, a permanent failure, or the attempts run out.

    Retries connection errors, timeouts, 408/425/429 and 5xx with exponential backoff and
    jitter, or after Retry-After when the server sends one. `stop` may end the loop early
    (the GitHub rate limit), returning the reason. `deadline` (on `clock`) is the run's
    budget: no attempt starts, and no wait runs, past it.
    """
    rng = rng or random.Random()
    shown = safe_url(url)
    attempt = Attempt(False, None, False, "not attempted")
    number = 0
    for number in range(1, policy.max_attempts + 1):
        left = _left_in_budget(deadline, clock)
        if left is not None and left <= 0:
            return _out_of_budget(attempt, number - 1)
        body, headers = build(number)
        attempt = _attempt(
            session, url, body, headers, policy, policy.timeout if left is None else min(left, policy.timeout)
        )
        log.debug("POST %s attempt %d: %s", shown, number, attempt.message)
        if attempt.ok:
            return Outcome(True, attempt.status, number, attempt.message, headers=attempt.headers)
        reason = stop(attempt) if stop else None
        if reason:
            return Outcome(False, attempt.status, number, reason, transient=True, headers=attempt.headers)
        if not attempt.retryable:
            return Outcome(False, attempt.status, number, attempt.message, headers=attempt.headers)
        if number == policy.max_attempts:
            break
        delay = _delay(attempt, number, policy, rng)
        if isinstance(delay, Outcome):
            return delay
        left = _left_in_budget(deadline, clock)
        if left is not None and delay >= left:
            return _out_of_budget(attempt, number)
        log.debug("POST %s: retrying in %.2f s", shown, delay)
        sleep(delay)
    tries = "1 attempt" if number == 1 else f"{number} attempts"
    return Outcome(False, attempt.status, number, f"{attempt.message} after {tries}", True, attempt.headers)


def _delay(attempt: Attempt, number: int, policy: RetryPolicy, rng: random.Random) -> float | Outcome:
    """How long to wait before the next attempt: what the server asked (an Outcome when it
    asked for too long), else exponential backoff with jitter."""
    if attempt.retry_after is None:
        ceiling = min(policy.backoff_max, policy.backoff * 2 ** (number - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)
    if attempt.retry_after > policy.max_retry_after:
        message = f"{attempt.message}, server asked to retry after {attempt.retry_after:.0f} s"
        return Outcome(False, attempt.status, number, message, transient=True, headers=attempt.headers)
    return attempt.retry_after


def _left_in_budget(deadline: float | None, clock: Callable[[], float]) -> float | None:
    return None if deadline is None else deadline - clock()


def _out_of_budget(attempt: Attempt, number: int) -> Outcome:
    """The run's webhook budget is spent: what is left waits for `keysweep webhook retry`."""
    tried = f"{attempt.message}; " if number else ""
    return Outcome(
        False, attempt.status, number, f"{tried}webhook budget used up", transient=True, headers=attempt.headers
    )
