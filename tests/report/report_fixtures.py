"""A fixed set of findings for the report tests; every secret is built at run time.

A plain module with a unique name (not conftest) so test modules can import its types.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from scanner.findings import fingerprint
from scanner.model import Finding, Rule, ScanStats
from scanner.report import ReportContext

STARTED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def _derived(seed: str, alphabet: str, length: int) -> str:
    """Deterministic pseudo-random characters: stable golden files, no literal token in git."""
    out: list[str] = []
    counter = 0
    while len(out) < length:
        digest = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        out.extend(alphabet[b % len(alphabet)] for b in digest)
        counter += 1
    return "".join(out[:length])


ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Fixture:
    findings: tuple[Finding, ...]
    rules: dict[str, Rule]
    secrets: tuple[str, ...]

    def context(self, **overrides: object) -> ReportContext:
        values: dict[str, object] = {
            "findings": self.findings,
            "rules": self.rules,
            "stats": ScanStats(
                blobs=42,
                bytes=123_456,
                skips=(("binary", 3),),
                suppressed=1,
                baselined=2,
                seconds=1.25,
            ),
            "redact": True,
            "color": False,
            "version": "0.0.0-test",
            "command": "git",
            "scanned": "example/repo",
            "started_at": STARTED,
            "finished_at": STARTED + timedelta(seconds=1.25),
        }
        values.update(overrides)
        return ReportContext(**values)  # type: ignore[arg-type]


def _finding(rule: Rule, secret: str, file: str, line: int, column: int, **extra: object) -> Finding:
    end_line = line + secret.count("\n")
    return Finding(
        rule_id=rule.id,
        description=rule.description,
        file=file,
        line=line,
        end_line=end_line,
        column=column,
        secret=secret,
        fingerprint=fingerprint(rule.id, secret),
        entropy=4.3125,
        **extra,  # type: ignore[arg-type]
    )


def build_fixture() -> Fixture:
    github = Rule(
        id="github.classic-pat",
        description="GitHub personal access token (classic)",
        provider="github",
        pattern="",
        references=("https://docs.github.com/en/authentication",),
    )
    generic = Rule(
        id="generic.password",
        description='Generic "password" assignment, high entropy',
        provider="generic",
        pattern="",
        priority=-10,
    )
    pem = Rule(
        id="private-key.pkcs8",
        description="PKCS#8 private key",
        provider="private-key",
        pattern="",
        multiline=True,
        references=("https://www.rfc-editor.org/rfc/rfc5208",),
    )
    # A user-config rule the caller did not pass in `rules`: formats must cope.
    unknown_rule = Rule(id="acme.internal-token", description="ACME internal token", provider="acme", pattern="")

    pat = "ghp_" + _derived("pat", ALNUM, 36)
    password = _derived("password", ALNUM + "!#%", 24)
    body = base64.b64encode(hashlib.sha512(b"key").digest() * 3).decode()
    pem_lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    key = "\n".join(["-----BEGIN " + "PRIVATE KEY-----", *pem_lines, "-----END " + "PRIVATE KEY-----"])
    acme = "acme_" + _derived("acme", ALNUM, 30)

    history = {
        "commit": hashlib.sha1(b"commit-1").hexdigest(),
        "author": "Jane Developer",
        "email": "jane@example.com",
        "date": "2024-04-30T09:15:00+00:00",
    }
    findings = (
        _finding(pem, key, "deploy/keys/server.pem", 1, 1, confidence="high", **history),
        _finding(github, pat, "config/settings.py", 12, 15, confidence="high", **history),
        _finding(generic, password, "src/app.js", 40, 21),
        _finding(github, pat, "docs/setup guide.md", 7, 9, confidence="high"),
        _finding(unknown_rule, acme, "config/settings.py", 3, 9, confidence="low", **history),
    )
    return Fixture(
        findings=findings,
        rules={r.id: r for r in (github, generic, pem)},
        secrets=(pat, password, key, acme),
    )
