"""Webhook targets: `[[webhooks]]` config and `--webhook URL`, validated into WebhookTarget."""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scanner.actions import github
from scanner.actions.transport import RetryPolicy, safe_url
from scanner.errors import WebhookError
from scanner.model import Finding

TYPES = ("generic", "github")

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FIELDS = frozenset(
    {
        "type",
        "url",
        "api_url",
        "secret_env",
        "include_secret",
        "rules",
        "timeout",
        "connect_timeout",
        "max_attempts",
        "backoff",
    }
)


@dataclass(frozen=True)
class WebhookTarget:
    """One place findings are sent; for `type = "github"`, `url` is the revocation endpoint."""

    url: str
    type: str = "generic"
    secret_env: str | None = None
    include_secret: bool = False
    rules: tuple[str, ...] = ()
    api_url: str | None = None
    timeout: float = 10.0
    connect_timeout: float = 3.0
    max_attempts: int = 5
    backoff: float = 1.0
    source: str = ""

    @property
    def key(self) -> str:
        """Journal identity: a secret is sent once per key."""
        return f"{self.type} {self.url}"

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            timeout=self.timeout,
            connect_timeout=self.connect_timeout,
            max_attempts=self.max_attempts,
            backoff=self.backoff,
        )

    def accepts(self, finding: Finding) -> bool:
        if self.rules and not any(fnmatch.fnmatchcase(finding.rule_id, g) for g in self.rules):
            return False
        return self.type != "github" or github.is_github_token(finding.secret)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def check_url(url: str, *, where: str) -> str:
    """https://, or http:// to a loopback address only: leak reports must not travel in clear."""
    if not isinstance(url, str) or not url.strip():
        raise WebhookError(f"{where}: the URL is empty")
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        # urlsplit rejects e.g. an unclosed IPv6 bracket; its message holds no part of the URL.
        raise WebhookError(f"{where}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    shown = safe_url(url) if parts.hostname else repr(scheme + "://…" if scheme else "…")
    if scheme not in ("https", "http"):
        raise WebhookError(f"{where}: {shown} is not an https:// URL")
    host = parts.hostname
    if not host:
        raise WebhookError(f"{where}: {shown} has no host")
    try:
        _ = parts.port
    except ValueError:
        raise WebhookError(f"{where}: {shown} has an invalid port") from None
    if scheme == "http" and not _is_loopback(host):
        raise WebhookError(
            f"{where}: refusing plain http:// URL {shown}: findings must travel over https://"
            " (http:// is allowed only to loopback: 127.0.0.0/8, ::1, localhost)"
        )
    return url


def target_from_url(url: str, *, secret_env: str | None = None, include_secret: bool = False) -> WebhookTarget:
    """The target of `--webhook URL` (a generic webhook; signed when `secret_env` is given)."""
    checked = check_url(url, where="--webhook")
    if secret_env is not None and not _ENV_NAME.match(secret_env):
        raise WebhookError(f"--webhook: {secret_env!r} is not an environment variable name")
    return WebhookTarget(url=checked, secret_env=secret_env, include_secret=include_secret, source="--webhook")


def _number(
    table: Mapping[str, Any], name: str, default: float, where: str, *, minimum: float, integer: bool = False
) -> Any:
    value: Any = table.get(name, default)
    wrong_kind = isinstance(value, bool) or not isinstance(value, (int, float))
    if wrong_kind or (integer and not isinstance(value, int)) or value < minimum:
        kind = "an integer" if integer else "a number"
        raise WebhookError(f"{where}: field {name!r}: must be {kind} >= {minimum:g}")
    return value


def parse_targets(raw: Sequence[Mapping[str, Any]], *, source: str) -> tuple[WebhookTarget, ...]:
    """Validate `[[webhooks]]` tables of a config file into targets; errors name file and field."""
    if not isinstance(raw, (list, tuple)):
        raise WebhookError(f"{source}: 'webhooks' must be an array of tables ([[webhooks]])")
    return tuple(_parse_target(table, f"{source}: [[webhooks]] #{index}") for index, table in enumerate(raw, start=1))


def _parse_target(table: Any, where: str) -> WebhookTarget:
    if not isinstance(table, Mapping):
        raise WebhookError(f"{where}: must be a table")
    unknown = sorted(set(table) - _FIELDS)
    if unknown:
        raise WebhookError(f"{where}: field {unknown[0]!r}: unknown field (expected: {', '.join(sorted(_FIELDS))})")
    kind = table.get("type", "generic")
    if kind not in TYPES:
        raise WebhookError(f"{where}: field 'type': must be one of {', '.join(TYPES)}")
    rules = table.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(g, str) and g for g in rules):
        raise WebhookError(f"{where}: field 'rules': must be a list of rule id globs")
    include_secret = table.get("include_secret", False)
    if not isinstance(include_secret, bool):
        raise WebhookError(f"{where}: field 'include_secret': must be true or false")
    secret_env = table.get("secret_env")
    if secret_env is not None and (not isinstance(secret_env, str) or not _ENV_NAME.match(secret_env)):
        raise WebhookError(
            f"{where}: field 'secret_env': must name an environment variable (e.g. KEYSWEEP_WEBHOOK_SECRET)"
        )
    url, api_url = _endpoint(table, kind, where)
    return WebhookTarget(
        url=url,
        type=kind,
        secret_env=secret_env,
        include_secret=include_secret,
        rules=tuple(rules),
        api_url=api_url,
        timeout=float(_number(table, "timeout", 10.0, where, minimum=0.001)),
        connect_timeout=float(_number(table, "connect_timeout", 3.0, where, minimum=0.001)),
        max_attempts=int(_number(table, "max_attempts", 5, where, minimum=1, integer=True)),
        backoff=float(_number(table, "backoff", 1.0, where, minimum=0)),
        source=where,
    )


def _endpoint(table: Mapping[str, Any], kind: str, where: str) -> tuple[str, str | None]:
    """Where a target posts: its `url`, or for GitHub the revocation endpoint of `api_url`."""
    if kind != "github":
        if "api_url" in table:
            raise WebhookError(f"{where}: field 'api_url': only for type = \"github\"")
        if "url" not in table:
            raise WebhookError(f"{where}: field 'url': missing")
        return check_url(table["url"], where=f"{where}: field 'url'"), None
    for field_name in ("url", "secret_env", "include_secret"):
        if field_name in table:
            raise WebhookError(
                f'{where}: field {field_name!r}: not used by type = "github"'
                " (it posts raw tokens to {api_url}/credentials/revoke)"
            )
    api_url = table.get("api_url", github.DEFAULT_API_URL)
    if not isinstance(api_url, str):
        raise WebhookError(f"{where}: field 'api_url': must be a URL string")
    api_url = check_url(api_url, where=f"{where}: field 'api_url'").rstrip("/")
    return github.revoke_url(api_url), api_url


def check_signing(targets: Sequence[WebhookTarget], env: Mapping[str, str]) -> None:
    """Fail before scanning when a signing key is configured but absent."""
    for target in targets:
        if target.secret_env and not env.get(target.secret_env):
            where = target.source or f"webhook {safe_url(target.url)}"
            raise WebhookError(
                f"{where}: secret_env {target.secret_env!r} is not set"
                " (the environment variable holding the signing key)"
            )
