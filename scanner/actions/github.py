"""GitHub's public credential-revocation endpoint as a webhook target.

`POST {api_url}/credentials/revoke` with `{"credentials": [...]}` revokes exposed
GitHub tokens whoever owns them; it is unauthenticated (an authenticated request is
refused), takes at most 1,000 tokens a request and allows 60 requests an hour.
https://docs.github.com/en/rest/credentials/revoke
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar

from scanner.actions.transport import USER_AGENT, Attempt

__all__ = [
    "DEFAULT_API_URL",
    "MAX_BATCH",
    "TOKEN_PREFIXES",
    "batches",
    "is_github_token",
    "rate_limit_exhausted",
    "rate_limit_reason",
    "revoke_request",
    "revoke_url",
]

DEFAULT_API_URL = "https://api.github.com"

# Token kinds the endpoint revokes: classic and fine-grained PATs, OAuth, GitHub App
# user-to-server and refresh tokens.
TOKEN_PREFIXES = ("ghp_", "github_pat_", "gho_", "ghu_", "ghr_")

MAX_BATCH = 1000

T = TypeVar("T")


def is_github_token(secret: str) -> bool:
    return secret.startswith(TOKEN_PREFIXES)


def revoke_url(api_url: str) -> str:
    return api_url.rstrip("/") + "/credentials/revoke"


def revoke_request(tokens: Sequence[str]) -> tuple[bytes, dict[str, str]]:
    """Body and headers of one revocation request; no Authorization, by GitHub's rule."""
    body = json.dumps({"credentials": list(tokens)}, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": USER_AGENT,
    }
    return body, headers


def batches(items: Sequence[T], size: int = MAX_BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _reset_note(headers: Mapping[str, str]) -> str:
    reset = headers.get("x-ratelimit-reset", "")
    return f" until {reset} (epoch seconds)" if reset.isdigit() else ""


def rate_limit_reason(attempt: Attempt) -> str | None:
    """Why to stop at once instead of retrying: waiting out an hourly limit is not a retry."""
    remaining = attempt.headers.get("x-ratelimit-remaining")
    limited = attempt.status == 429 or (
        attempt.status in (403, 422) and (remaining == "0" or attempt.retry_after is not None)
    )
    if not limited:
        return None
    return f"GitHub rate limit reached (HTTP {attempt.status}){_reset_note(attempt.headers)}"


def rate_limit_exhausted(headers: Mapping[str, str]) -> str | None:
    """After a success: no request left this hour, so the next batch would be refused."""
    if headers.get("x-ratelimit-remaining") == "0":
        return f"GitHub rate limit used up{_reset_note(headers)}"
    return None
