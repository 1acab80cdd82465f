"""scanner.findings: fingerprints, redaction, the JSON record, and collapsing places."""

from __future__ import annotations

from dataclasses import replace

from scanner.findings import collapse, finding_record, fingerprint, redact
from scanner.model import Finding
from tests.helpers import github_token


def _finding(secret: str, **kw: object) -> Finding:
    base = Finding("github.classic-pat", "d", "app.py", 3, 3, 7, secret, fingerprint("github.classic-pat", secret), 4.0)
    return replace(base, **kw)


def test_fingerprint_depends_on_rule_and_secret_only() -> None:
    token = github_token("fp")
    assert fingerprint("a.b", token) == fingerprint("a.b", token)
    assert fingerprint("a.b", token) != fingerprint("a.c", token)
    assert fingerprint("a.b", token) != fingerprint("a.b", token + "x")
    assert len(fingerprint("a.b", token)) == 32


def test_redaction_hides_the_length_and_all_but_a_prefix() -> None:
    token = github_token("redact")
    shown = redact(token)
    assert shown.startswith("ghp_") and token[4:] not in shown
    assert redact("a" * 40) == redact("a" * 60), "the length does not show"
    assert redact("abc") == "*****"


def test_the_record_is_redacted_unless_asked() -> None:
    token = github_token("record")
    finding = _finding(token, commit="c" * 40)
    assert finding_record(finding)["secret"] == redact(token)
    assert finding_record(finding, redact_secret=False)["secret"] == token
    assert "order" not in finding_record(finding) and "blob_id" not in finding_record(finding)


def test_collapse_keeps_one_finding_per_secret_and_path_the_first_in_history() -> None:
    token = github_token("collapse")
    later_but_older_date = _finding(token, commit="b" * 40, date="2020-01-01T00:00:00+00:00", order=5)
    first = _finding(token, commit="a" * 40, date="2024-01-01T00:00:00+00:00", order=2)
    elsewhere = _finding(token, file="other.py", commit="b" * 40, order=5)
    kept = collapse([later_but_older_date, elsewhere, first])
    assert [(f.file, f.commit) for f in kept] == [("app.py", "a" * 40), ("other.py", "b" * 40)]


def test_collapse_falls_back_to_dates_then_place_without_history_order() -> None:
    token = github_token("dates")
    old = _finding(token, commit="b" * 40, date="2020-01-01T00:00:00Z")
    new = _finding(token, commit="a" * 40, date="2021-01-01T00:00:00+00:00")
    assert collapse([new, old])[0].commit == "b" * 40
    plain = [_finding(token, line=9), _finding(token, line=2)]
    assert [f.line for f in collapse(plain)] == [2]
