"""The HTML audit page: self-contained, escaped, redacted, and working in a real browser.

The browser tests drive Debian's chromium (/usr/bin/chromium) with Playwright for Python,
never a browser Playwright downloads; they skip when either is missing.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import Fixture

from scanner import cli as cli_module
from scanner.findings import fingerprint, group_by_secret
from scanner.model import Audit, Finding, Location, Standing
from scanner.report import EXTENSIONS, FORMATS, ReportContext, render
from scanner.report.html import CSP, script_json
from tests.helpers import git, github_token, stripe_key

HOSTILE = "</script><img src=x onerror=alert(1)>"
REMOVED_IN = "ab" * 20


def _data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="keysweep-data">(.*?)</script>', page, re.S)
    assert match is not None
    loaded: dict[str, Any] = json.loads(match.group(1))
    return loaded


def _pat(fixture: Fixture) -> Finding:
    return next(f for f in fixture.findings if f.rule_id == "github.classic-pat" and f.commit)


def _audited(fixture: Fixture) -> ReportContext:
    """The fixture grouped by secret, with the triage and standing a datastore would give."""
    findings = group_by_secret(fixture.findings)
    by_rule = {f.rule_id: f for f in findings}
    audit = {
        by_rule["github.classic-pat"].fingerprint: Audit(
            status="false-positive",
            note="a test fixture, never live",
            triaged_at="2024-05-02T08:00:00+00:00",
            first_seen="2024-05-01T12:00:01+00:00",
            new=False,
            standing=Standing(
                ref="refs/heads/main",
                present=False,
                first_commit="cd" * 20,
                first_date="2024-04-01T10:00:00+00:00",
                removed_commit=REMOVED_IN,
                removed_date="2024-04-20T10:00:00+00:00",
                branches=2,
            ),
        ),
        by_rule["private-key.pkcs8"].fingerprint: Audit(
            status="revoked", standing=Standing(ref="refs/heads/main", present=True, branches=1)
        ),
        by_rule["acme.internal-token"].fingerprint: Audit(
            standing=Standing(ref="refs/heads/main", present=False, branches=0)
        ),
    }
    return fixture.context(findings=findings, audit=audit)


# --- the file ---------------------------------------------------------------------------


def test_html_is_a_format_of_the_cli_and_the_report_package() -> None:
    assert "html" in FORMATS and EXTENSIONS["html"] == "html"
    assert cli_module.FORMATS == FORMATS


def test_page_is_self_contained(fixture: Fixture) -> None:
    page = render("html", fixture.context())
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "default-src 'none'" in CSP
    # Nothing loaded from anywhere: no external script, stylesheet, image, font or frame.
    assert not re.search(r"""\b(src|href|action|srcset)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"<(link|iframe|object|embed|img|base)\b(?![^>]*href=\"data:)", page, re.I)
    assert "@import" not in page and "url(" not in page
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")


def test_provider_docs_are_data_and_only_http_links(fixture: Fixture) -> None:
    """The rules' references become plain links drawn by the script (followed only when
    clicked); a reference in another scheme (javascript:) is dropped."""
    findings = (_pat(fixture),)
    rule = fixture.rules["github.classic-pat"]
    hostile_rule = replace(rule, references=("javascript:alert(1)", *rule.references))
    data = _data(render("html", fixture.context(findings=findings, rules={rule.id: hostile_rule})))
    assert data["rules"]["github.classic-pat"]["references"] == list(rule.references)


def test_secrets_are_redacted_unless_asked(fixture: Fixture) -> None:
    ctx = _audited(fixture)
    page = render("html", ctx).encode("utf-8")
    for secret in fixture.secrets:
        for piece in (secret, secret[4:20], secret.splitlines()[-2] if "\n" in secret else secret[-12:]):
            assert piece.encode() not in page
    shown = render("html", replace(ctx, redact=False))
    secrets = {f["secret"] for f in _data(shown)["findings"]}
    assert set(fixture.secrets) <= secrets
    assert "unredacted" in shown


def test_hostile_values_cannot_break_out(fixture: Fixture) -> None:
    odd = replace(
        _pat(fixture),
        file=HOSTILE + ".env",
        author="<!-- Mallory & co -->",
        description="token </SCRIPT><script>alert(2)</script>",
        locations=(),
    )
    page = render("html", fixture.context(findings=(odd,), scanned=HOSTILE, command="git <b>"))
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<img" not in page and "<!--" not in page and "</SCRIPT>" not in page
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # the header's "Scanned"
    record = _data(page)["findings"][0]
    assert record["locations"][0]["file"] == HOSTILE + ".env"
    assert record["locations"][0]["author"] == "<!-- Mallory & co -->"


def test_script_json_escapes_markup_and_reads_back() -> None:
    value = {"a": "</script><!-- & -->", "b": "\u2028"}
    text = script_json(value)
    assert not set("<>&") & set(text)
    assert json.loads(text) == value


def test_controls_and_undecodable_bytes_are_escaped(fixture: Fixture) -> None:
    odd = replace(_pat(fixture), file="esc\x1b[31m/b\udcffd.txt", locations=())
    page = render("html", fixture.context(findings=(odd,)))
    assert "\x1b" not in page and "\udcff" not in page
    assert _data(page)["findings"][0]["locations"][0]["file"] == "esc\\x1b[31m/b\\xffd.txt"


def test_without_a_datastore_all_are_open_and_dated_by_their_locations(fixture: Fixture) -> None:
    pat = _pat(fixture)
    later = Location(file="b.py", line=2, end_line=2, column=1, commit="ee" * 20, date="2024-06-01T00:00:00+02:00")
    earlier = Location(file="a.py", line=1, end_line=1, column=1, commit="ff" * 20, date="2024-01-01T00:00:00-05:00")
    grouped = replace(pat, locations=(later, earlier))
    tree = replace(fixture.findings[2], locations=())  # read from files: no commit
    data = _data(render("html", fixture.context(findings=(grouped, tree))))
    assert data["datastore"] is False
    by_file = {f["locations"][0]["file"]: f for f in data["findings"]}
    history, files = by_file["b.py"], by_file["src/app.js"]
    assert {history["status"], files["status"]} == {"open"}
    assert (history["first_date"], history["first_commit"]) == (earlier.date, earlier.commit)
    assert (history["stand"], files["stand"]) == ("unknown", "present")
    assert files["first_date"] is None


def test_the_datastore_gives_status_note_and_standing(fixture: Fixture) -> None:
    data = _data(render("html", _audited(fixture)))
    assert data["datastore"] is True
    by_rule = {f["rule"]: f for f in data["findings"]}
    pat = by_rule["github.classic-pat"]
    assert (pat["status"], pat["note"], pat["stand"]) == ("false-positive", "a test fixture, never live", "removed")
    assert (pat["removed_commit"], pat["branches"], pat["first_commit"]) == (REMOVED_IN, 2, "cd" * 20)
    assert pat["first_date"] == "2024-04-01T10:00:00+00:00"
    assert (by_rule["private-key.pkcs8"]["stand"], by_rule["private-key.pkcs8"]["ref"]) == (
        "present",
        "refs/heads/main",
    )
    assert by_rule["acme.internal-token"]["stand"] == "history"
    assert by_rule["generic.password"]["status"] == "open"


def test_an_empty_scan_is_a_page_too(fixture: Fixture) -> None:
    page = render("html", fixture.context(findings=()))
    assert _data(page)["findings"] == []


# --- in the browser -------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
# As the machine notes say: Chromium's own background connections are refused here, and root needs --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Opened:
    """A page and everything it said or asked for while it ran."""

    page: Any
    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def rows(self) -> Any:
        return self.page.locator("#findings tbody tr.finding")

    def expect_rows(self, count: int) -> None:
        """The table comes to hold `count` rows (Playwright retries: some controls, such as
        Clear filters, redraw on the next tick, and a loaded machine makes that late)."""
        from playwright.sync_api import expect

        expect(self.rows()).to_have_count(count)

    def rules_shown(self) -> list[str]:
        return [
            text.strip() for text in self.page.locator("#findings tbody tr.finding td:nth-child(2)").all_inner_texts()
        ]

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.requests == [self.url]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra has it)")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[Path], Opened]]:
    contexts = []

    def opener(path: Path) -> Opened:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        opened = Opened(page, path.resolve().as_uri())
        page.on("console", lambda msg: opened.errors.append(msg.text) if msg.type in ("error", "warning") else None)
        page.on("pageerror", lambda exc: opened.errors.append(str(exc)))
        page.on("dialog", lambda dialog: (opened.errors.append("dialog: " + dialog.message), dialog.dismiss()))
        page.on("request", lambda request: opened.requests.append(request.url))
        page.goto(opened.url)
        page.wait_for_selector("#count:not(:empty)")
        return opened

    yield opener
    for context in contexts:
        context.close()


def _history(repo: Path) -> dict[str, str]:
    """Three secrets over four commits; the first is deleted in the third, and one file
    has a name made to break out of a script element."""
    secrets = {"first": github_token(101), "stripe": stripe_key(102), "last": github_token(103)}
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")

    def commit(message: str, date: str) -> None:
        env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_NAME": "Ann Auditor"}
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message, env=env)

    (repo / "config.py").write_text(f'TOKEN = "{secrets["first"]}"\n')
    (repo / "docs").mkdir()
    (repo / "docs" / "old.md").write_text(f"token: {secrets['first']}\n")
    commit("add config", "2024-01-10T10:00:00+00:00")
    hostile = repo / "<" / "script><img src=x onerror=alert(1)>.env"
    hostile.parent.mkdir()
    hostile.write_text(f'STRIPE = "{secrets["stripe"]}"\n')
    commit("add payments", "2024-03-10T10:00:00+00:00")
    (repo / "config.py").write_text('TOKEN = os.environ["TOKEN"]\n')
    (repo / "docs" / "old.md").unlink()
    commit("read the token from the environment", "2024-05-10T10:00:00+00:00")
    (repo / "other.py").write_text(f'X = "{secrets["last"]}"\n')
    commit("add other", "2024-08-10T10:00:00+00:00")
    return secrets


def test_cli_report_in_the_browser(cli, tmp_path: Path, open_page: Callable[[Path], Opened]) -> None:
    secrets = _history(tmp_path / "repo")
    out = tmp_path / "report.html"
    result = cli(["git", str(tmp_path / "repo"), "--format", "html", "-o", str(out), "--no-progress"])
    assert result.code == 1, result.err
    content = out.read_bytes()
    assert all(secret.encode() not in content for secret in secrets.values())

    opened = open_page(out)
    page = opened.page
    opened.expect_rows(3)
    assert page.locator("#count").inner_text() == "Showing all 3 findings"
    _search_narrows(opened)
    _sorting_by_rule(opened)
    _expanding_shows_locations(opened)
    assert page.locator("img").count() == 0  # the hostile file name stayed text
    assert page.locator("#timeline svg rect.bar").count() == 3
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    opened.assert_clean()


def _search_narrows(opened: Opened) -> None:
    page = opened.page
    search = page.get_by_label("Search", exact=True)
    for query, expected in (("stripe", 1), ("onerror", 1), ("other.py", 1), ("ann auditor", 3), ("no such", 0)):
        search.fill(query)
        opened.expect_rows(expected)
    assert page.locator("#empty").is_visible()
    search.fill("")
    page.get_by_label("Status", exact=True).select_option("revoked")
    opened.expect_rows(0)
    page.get_by_label("Status", exact=True).select_option("open")
    opened.expect_rows(3)
    page.locator("#by-rule button", has_text="stripe.secret-key").click()
    assert opened.rules_shown() == ["stripe.secret-key"]
    assert page.get_by_label("Rule", exact=True).input_value() == "stripe.secret-key"
    page.get_by_role("button", name="Clear filters").click()
    opened.expect_rows(3)


def _sorting_by_rule(opened: Opened) -> None:
    page = opened.page
    header = page.locator("#findings thead th[data-key=rule]")
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert opened.rules_shown() == ["github.classic-pat", "github.classic-pat", "stripe.secret-key"]
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert opened.rules_shown()[0] == "stripe.secret-key"


def _expanding_shows_locations(opened: Opened) -> None:
    page = opened.page
    page.get_by_label("Search", exact=True).fill("config.py")
    toggle = opened.rows().first.locator("button.toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    page.keyboard.press("Enter")  # rows open from the keyboard
    detail = page.locator("#findings tr.detail")
    assert detail.count() == 1
    text = detail.inner_text()
    assert "config.py:1" in text and "docs/old.md:1" in text and "Ann Auditor" in text and "2024-01-10" in text
    assert page.locator("#findings button.toggle").first.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Enter")
    assert detail.count() == 0
    page.get_by_label("Search", exact=True).fill("")


def test_datastore_audit_in_the_browser(fixture: Fixture, tmp_path: Path, open_page: Callable[[Path], Opened]) -> None:
    out = tmp_path / "audit.html"
    out.write_text(render("html", _audited(fixture)), encoding="utf-8")
    opened = open_page(out)
    page = opened.page
    opened.expect_rows(4)
    page.get_by_label("Status", exact=True).select_option("false-positive")
    assert opened.rules_shown() == ["github.classic-pat"]
    stand = opened.rows().first.locator("td").nth(5)
    assert stand.inner_text() == "removed in " + REMOVED_IN[:12]
    opened.rows().first.click()
    detail = page.locator("#findings tr.detail").inner_text()
    assert "a test fixture, never live" in detail and "2024-04-20" in detail
    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Where it stands", exact=True).select_option("removed")
    assert opened.rules_shown() == ["github.classic-pat"]
    page.get_by_label("Where it stands", exact=True).select_option("")
    page.locator("#by-status button", has_text="revoked").click()
    assert opened.rules_shown() == ["private-key.pkcs8"]
    assert opened.rows().first.locator("td").nth(5).inner_text() == "present at refs/heads/main"
    page.screenshot(path=str(tmp_path / "audit.png"), full_page=True)
    assert (tmp_path / "audit.png").stat().st_size > 0
    opened.assert_clean()


def test_hundreds_of_findings_stay_readable(
    fixture: Fixture, tmp_path: Path, open_page: Callable[[Path], Opened]
) -> None:
    """Past 40 findings the timeline has one row per rule, with a tick where each secret
    was added; the table draws 500 rows at a time (its layout is what gets slow), and a
    button draws the rest."""
    base = _pat(fixture)
    many = []
    for n in range(700):
        rule_id = ("github.classic-pat", "generic.password", "acme.internal-token")[n % 3]
        secret = f"{rule_id}-{n:04d}-" + "x" * 20
        date = f"20{20 + n % 5}-0{1 + n % 9}-1{n % 10}T10:00:00+00:00"
        changes = {"rule_id": rule_id, "secret": secret, "fingerprint": fingerprint(rule_id, secret)}
        many.append(replace(base, date=date, file=f"f{n}.py", **changes))  # type: ignore[arg-type]
    out = tmp_path / "many.html"
    out.write_text(render("html", fixture.context(findings=tuple(many))), encoding="utf-8")
    opened = open_page(out)
    page = opened.page
    opened.expect_rows(500)
    assert page.locator("#count").inner_text() == "Showing all 700 findings (the first 500 drawn)"
    assert page.locator("#timeline svg text.label").count() == 3
    assert page.locator("#timeline svg line.tick").count() == 700
    page.get_by_role("button", name="Show 200 more (200 not shown)").click()
    opened.expect_rows(700)
    assert page.locator("#more").is_hidden()
    page.get_by_label("Search", exact=True).fill("f7.py")
    opened.expect_rows(1)
    assert page.locator("#timeline svg text.label").count() == 1
    opened.assert_clean()
