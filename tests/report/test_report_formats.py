"""Behaviour of each format beyond its golden file: redaction, escaping, structure."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from report_fixtures import ALNUM, Fixture, _derived

from scanner.baseline import load_baseline
from scanner.errors import ConfigError
from scanner.findings import finding_record, redact
from scanner.model import Finding, ScanStats
from scanner.report import FORMATS, render, summary_line
from scanner.report._common import sorted_findings
from scanner.report.gitlab import NO_COMMIT

SPEC_FIELDS = [
    "rule_id", "description", "file", "line", "end_line", "column", "secret",
    "fingerprint", "entropy", "commit", "author", "email", "date",
]  # fmt: skip


def _one(fixture: Fixture, **changes: object) -> Finding:
    """The config/settings.py GitHub finding, optionally altered."""
    base = next(f for f in fixture.findings if f.rule_id == "github.classic-pat" and f.commit)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_formats_are_the_spec_list() -> None:
    assert FORMATS == ("text", "json", "jsonl", "sarif", "csv", "junit", "gitlab", "html")


def test_unknown_format_is_a_config_error(fixture: Fixture) -> None:
    with pytest.raises(ConfigError, match="unknown report format 'xml'.*sarif"):
        render("xml", fixture.context())


# --- redaction --------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_redacted_by_default_everywhere(fmt: str, fixture: Fixture) -> None:
    output = render(fmt, fixture.context())
    for secret in fixture.secrets:
        assert secret not in output
        assert secret[5:17] not in output
    assert redact(fixture.secrets[0]) in output


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_redact_shows_the_secret(fmt: str, fixture: Fixture) -> None:
    output = render(fmt, fixture.context(redact=False))
    pat, password = fixture.secrets[0], fixture.secrets[1]
    assert pat in output
    assert password in output or json.dumps(password)[1:-1] in output


def test_sarif_no_redact_puts_the_raw_secret_in_message_and_snippet(fixture: Fixture) -> None:
    log = json.loads(render("sarif", fixture.context(findings=(_one(fixture),), redact=False)))
    result = log["runs"][0]["results"][0]
    assert fixture.secrets[0] in result["message"]["text"]
    assert result["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] == fixture.secrets[0]


# --- json / jsonl -----------------------------------------------------------


def test_json_is_the_spec_records_sorted(fixture: Fixture) -> None:
    data = json.loads(render("json", fixture.context()))
    expected = [finding_record(f) for f in sorted_findings(fixture.findings)]
    assert data == expected
    assert all(list(record) == SPEC_FIELDS for record in data)
    assert [(r["file"], r["line"]) for r in data] == sorted((r["file"], r["line"]) for r in data)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "sarif"])
def test_report_round_trips_as_baseline(fmt: str, fixture: Fixture, tmp_path: Path) -> None:
    path = tmp_path / f"baseline.{fmt}"
    path.write_text(render(fmt, fixture.context()), encoding="utf-8")
    assert load_baseline(path) == {f.fingerprint for f in fixture.findings}


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_empty_report_is_an_empty_baseline(fmt: str, fixture: Fixture, tmp_path: Path) -> None:
    output = render(fmt, fixture.context(findings=()))
    assert output == ("[]\n" if fmt == "json" else "")
    path = tmp_path / "baseline"
    path.write_text(output, encoding="utf-8")
    assert load_baseline(path) == frozenset()


def test_jsonl_is_one_record_a_line(fixture: Fixture) -> None:
    lines = render("jsonl", fixture.context()).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(render("json", fixture.context()))


def test_json_output_is_ascii_even_with_undecodable_paths(fixture: Fixture) -> None:
    odd = _one(fixture, file="caf\u00e9/b\udcffd.txt", author="Zo\u00eb")
    output = render("json", fixture.context(findings=(odd,)))
    output.encode("ascii")
    assert json.loads(output)[0]["file"] == odd.file


# --- csv --------------------------------------------------------------------


def test_csv_round_trips_awkward_values(fixture: Fixture) -> None:
    odd = _one(fixture, file='dir, with "quotes"\nand newline.txt', author="O'Brien, Pat")
    output = render("csv", fixture.context(findings=(odd, *fixture.findings)))
    rows = list(csv.reader(io.StringIO(output, newline="")))
    assert rows[0] == SPEC_FIELDS
    assert len(rows) == 1 + 1 + len(fixture.findings)
    by_file = {row[2]: row for row in rows[1:]}
    assert by_file[odd.file][10] == "O'Brien, Pat"
    record = finding_record(fixture.findings[2])
    row = next(r for r in rows[1:] if r[2] == record["file"])
    assert row == ["" if v is None else str(v) for v in record.values()]
    # RFC 4180: CRLF ends every record; the newline inside the quoted field stays as it is.
    assert output.endswith("\r\n") and output.count("\r\n") == len(rows)


def test_csv_escapes_control_characters(fixture: Fixture) -> None:
    odd = _one(fixture, file="evil\x1b[31m\x00.txt")
    output = render("csv", fixture.context(findings=(odd,)))
    assert "\x1b" not in output and "\x00" not in output
    assert "evil\\x1b[31m\\x00.txt" in output


# --- junit ------------------------------------------------------------------


def test_junit_one_failure_per_finding(fixture: Fixture) -> None:
    root = ET.fromstring(render("junit", fixture.context()))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(fixture.findings)
    assert all(case.find("failure") is not None for case in cases)
    assert suite.get("tests") == suite.get("failures") == str(len(fixture.findings))
    assert root.get("failures") == str(len(fixture.findings))


def test_junit_no_findings_is_one_passing_testcase(fixture: Fixture) -> None:
    root = ET.fromstring(render("junit", fixture.context(findings=())))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 1
    assert cases[0].find("failure") is None
    assert root.get("tests") == "1" and root.get("failures") == "0"


def test_junit_stays_well_formed_with_hostile_text(fixture: Fixture) -> None:
    odd = _one(
        fixture,
        file='a<b>&"c"\x01\x1b\udcfe.txt',
        description="Token ]]> <![CDATA[ & more",
        author="\x0bbell\x07",
    )
    output = render("junit", fixture.context(findings=(odd,), redact=False))
    root = ET.fromstring(output.encode("utf-8"))
    case = root.find("./testsuite/testcase")
    assert case is not None
    assert case.get("file") == 'a<b>&"c"\\x01\\x1b\\xfe.txt'
    failure = case.find("failure")
    assert failure is not None and failure.text is not None
    assert "Token ]]> <![CDATA[ & more" in failure.text


# --- text -------------------------------------------------------------------


def test_text_groups_by_file(fixture: Fixture) -> None:
    output = render("text", fixture.context())
    headers = [line for line in output.splitlines() if line and not line.startswith(" ")]
    assert headers == sorted({f.file for f in fixture.findings})
    block = output.split("\n\n")[0]
    assert block.startswith("config/settings.py\n")
    assert "3:9  acme.internal-token" in block and "12:15  github.classic-pat" in block
    assert "705f74ba5bd5  Jane Developer <jane@example.com>  2024-04-30T09:15:00+00:00" in block


def test_text_colour_only_when_asked(fixture: Fixture) -> None:
    plain = render("text", fixture.context())
    coloured = render("text", fixture.context(color=True))
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_text_when_empty_leaves_it_to_the_summary(fixture: Fixture) -> None:
    assert render("text", fixture.context(findings=())) == ""


def test_text_neutralises_terminal_escapes_from_scanned_content(fixture: Fixture) -> None:
    odd = _one(fixture, file="x\x1b]0;pwned\x07.txt", secret="\x1b[2J" + _derived("t", ALNUM, 30))
    output = render("text", fixture.context(findings=(odd,), redact=False))
    assert "\x1b" not in output and "\x07" not in output
    assert "x\\x1b]0;pwned\\x07.txt" in output


def test_summary_line() -> None:
    stats = ScanStats(
        blobs=1, bytes=3 * 1024 * 1024, seconds=0.5, suppressed=2, skips=(("binary", 2), ("too-large", 1))
    )
    assert summary_line(stats, ()) == (
        "keysweep: no leaks found (1 blob, 3.0 MiB, 0.50 s; 2 suppressed, skipped: 2 binary, 1 too-large)"
    )
    fixture_findings = sorted_findings([Finding("a.b", "d", f, 1, 1, 1, "s", "f", 0.0) for f in ("x", "y", "x")])
    assert summary_line(ScanStats(blobs=2, bytes=10, seconds=1.0, baselined=4), fixture_findings) == (
        "keysweep: 3 leaks found in 2 files (2 blobs, 10 B, 1.00 s; 4 in baseline)"
    )


# --- sarif ------------------------------------------------------------------


def _sarif(fixture: Fixture, **overrides: object) -> dict:
    return json.loads(render("sarif", fixture.context(**overrides)))


def test_sarif_run_and_rules(fixture: Fixture) -> None:
    log = _sarif(fixture)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "keysweep" and driver["version"] == "0.0.0-test"
    assert driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted({*fixture.rules, "acme.internal-token"})
    github = driver["rules"][ids.index("github.classic-pat")]
    assert github["helpUri"] == fixture.rules["github.classic-pat"].references[0]
    assert github["shortDescription"]["text"] == "GitHub personal access token (classic)"
    assert github["fullDescription"]["text"]
    assert github["properties"]["precision"] == "high"
    assert float(github["properties"]["security-severity"]) >= 9.0
    assert "security" in github["properties"]["tags"]
    generic = driver["rules"][ids.index("generic.password")]
    assert generic["properties"]["precision"] == "medium"
    assert "helpUri" not in generic
    for rule in driver["rules"]:
        assert re.fullmatch(r"[A-Za-z0-9]+", rule["name"])


def test_sarif_results(fixture: Fixture) -> None:
    run = _sarif(fixture)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == len(fixture.findings)
    for result, finding in zip(results, sorted_findings(fixture.findings), strict=True):
        assert result["ruleId"] == finding.rule_id
        assert rules[result["ruleIndex"]]["id"] == finding.rule_id
        assert result["level"] == "error"
        assert redact(finding.secret) in result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not location["artifactLocation"]["uri"].startswith("/")
        region = location["region"]
        assert (region["startLine"], region["startColumn"]) == (finding.line, finding.column)
        assert region["endLine"] == finding.end_line
        assert result["properties"]["fingerprint"] == finding.fingerprint
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "docs/setup%20guide.md" in uris


def test_sarif_region_end_column(fixture: Fixture) -> None:
    run = _sarif(fixture)["runs"][0]
    regions = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"] for r in run["results"]}
    pat = fixture.secrets[0]
    assert regions["generic.password"]["endColumn"] == 21 + len(fixture.secrets[1])
    pem = regions["private-key.pkcs8"]
    assert pem["endLine"] == pem["startLine"] + fixture.secrets[2].count("\n")
    assert pem["endColumn"] == len(fixture.secrets[2].splitlines()[-1]) + 1
    assert len(pat) == 40


def test_sarif_fingerprint_survives_line_shifts_and_commits_but_not_moves(fixture: Fixture) -> None:
    def fingerprint_of(finding: Finding) -> str:
        log = _sarif(fixture, findings=(finding,))
        return log["runs"][0]["results"][0]["partialFingerprints"]["keysweep/v1"]

    base = _one(fixture)
    same = fingerprint_of(base)
    assert fingerprint_of(replace(base, line=base.line + 30, end_line=base.end_line + 30)) == same
    assert fingerprint_of(replace(base, commit="f" * 40, column=2)) == same
    assert fingerprint_of(replace(base, file="elsewhere.py")) != same
    assert same.startswith(base.fingerprint)


# --- gitlab -----------------------------------------------------------------

_GITLAB_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def test_gitlab_report_shape(fixture: Fixture) -> None:
    report = json.loads(render("gitlab", fixture.context()))
    assert re.fullmatch(r"15\.\d+\.\d+", report["version"])
    scan = report["scan"]
    assert scan["type"] == "secret_detection" and scan["status"] == "success"
    for part in ("analyzer", "scanner"):
        assert {"id", "name", "version", "vendor"} <= set(scan[part])
        assert scan[part]["vendor"]["name"]
    assert scan["start_time"] == "2024-05-01T12:00:00"
    assert scan["end_time"] == "2024-05-01T12:00:01"
    vulns = report["vulnerabilities"]
    assert len(vulns) == len(fixture.findings)
    assert len({v["id"] for v in vulns}) == len(vulns)
    for vuln, finding in zip(vulns, sorted_findings(fixture.findings), strict=True):
        uuid.UUID(vuln["id"])
        assert set(vuln) <= {"id", "name", "description", "severity", "location", "identifiers"}
        assert vuln["severity"] in {"Info", "Unknown", "Low", "Medium", "High", "Critical"}
        assert vuln["location"]["file"] == finding.file
        assert vuln["location"]["start_line"] == finding.line
        assert vuln["location"]["end_line"] == finding.end_line
        assert vuln["location"]["commit"]["sha"] == (finding.commit or NO_COMMIT)
        (identifier,) = vuln["identifiers"]
        assert identifier["value"] == finding.rule_id
        assert identifier["type"] and identifier["name"]
        assert redact(finding.secret) in vuln["description"]


def test_gitlab_ids_are_stable_across_runs(fixture: Fixture) -> None:
    first = json.loads(render("gitlab", fixture.context()))
    again = json.loads(render("gitlab", fixture.context(stats=ScanStats(seconds=9.0))))
    assert [v["id"] for v in first["vulnerabilities"]] == [v["id"] for v in again["vulnerabilities"]]


def test_gitlab_times_without_explicit_clock(fixture: Fixture) -> None:
    ctx = fixture.context(started_at=None, finished_at=None, stats=ScanStats(seconds=3.0))
    scan = json.loads(render("gitlab", ctx))["scan"]
    assert _GITLAB_TIME.match(scan["start_time"]) and _GITLAB_TIME.match(scan["end_time"])
    assert scan["start_time"] < scan["end_time"]
