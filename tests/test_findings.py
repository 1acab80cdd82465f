"""scanner.findings: fingerprints, redaction, the JSON record, and collapsing places."""

from __future__ import annotations

from dataclasses import replace

from scanner.findings import Suppressor, build_findings, collapse, finding_record, fingerprint, redact
from scanner.model import Allowlist, Blob, Finding, Match, Provenance, Rule
from tests.helpers import github_token, random_chars


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


def _match(rule_id: str, secret: str, start: int, end: int) -> Match:
    return Match(rule_id, "b1", start, end, secret, 1, 1, start + 1, 3.0, line_text="x")


def _by_place(matches: list[Match], rules: list[Rule], *paths: str, baseline: frozenset[str] = frozenset()) -> set:
    blob = Blob("b1", b"", tuple(Provenance(path=path) for path in paths))
    suppressor = Suppressor(Allowlist(), baseline)
    built, *_ = build_findings(blob, matches, {rule.id: rule for rule in rules}, suppressor)
    return {(f.file, f.rule_id) for f in built}


_PGPASS = Rule("credential-files.pgpass", "d", "credential-files", "p", path=r"(?:^|/)\.pgpass$", priority=0)
_GENERIC = Rule("generic.password", "d", "generic", "p", priority=-10)
_PROVIDER = Rule("github.classic-pat", "d", "github", "p")


def test_a_path_rule_takes_a_shared_secret_from_a_generic_rule_where_it_reports() -> None:
    """One finding per secret at a `.pgpass`: the path rule's; elsewhere the generic one."""
    secret = random_chars("shared", 16)
    matches = [_match(_PGPASS.id, secret, 20, 36), _match(_GENERIC.id, secret, 20, 36)]
    assert _by_place(matches, [_PGPASS, _GENERIC], ".pgpass", "notes.txt") == {
        (".pgpass", _PGPASS.id),
        ("notes.txt", _GENERIC.id),
    }
    # Baselining the path rule's finding does not bring up the generic one.
    print_ = fingerprint(_PGPASS.id, secret)
    assert _by_place(matches, [_PGPASS, _GENERIC], ".pgpass", baseline=frozenset({print_})) == set()


def test_a_provider_rule_takes_a_shared_secret_from_a_path_rule() -> None:
    token = github_token("shared")
    other = random_chars("other", 12)
    matches = [
        _match(_PGPASS.id, token, 20, 60),
        _match(_PROVIDER.id, token, 20, 60),
        _match(_GENERIC.id, other, 70, 82),
    ]
    assert _by_place(matches, [_PGPASS, _GENERIC, _PROVIDER], ".pgpass") == {
        (".pgpass", _PROVIDER.id),
        (".pgpass", _GENERIC.id),
    }
