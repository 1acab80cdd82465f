"""Matching a blob by what changed from its base (scanner.engine.change), with the
derivation a pack delta gives or a diff finds (scanner.sources.derive).

The promise: a blob matched by its change gets exactly the matches a whole-blob scan
gives, whatever its base is. Edits are random (seeded) over real code with every rule
example planted in it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from scanner.engine.change import CONTEXT_LINES, ZONE_LINES, carried, match_blob, zones
from scanner.engine.matcher import Matcher
from scanner.engine.prefilter import available_backends
from scanner.findings import Suppressor
from scanner.model import Blob, Derivation, Rule
from scanner.rules import Allowlist
from scanner.scan import scan
from scanner.sources.audit import WholeBlobs, WithoutPacks
from scanner.sources.derive import GRAIN, common_prefix, common_suffix, derive
from scanner.sources.git import HistorySource
from tests.engine.test_prefilter import PACK, corpus
from tests.helpers import git, github_token, random_chars, stripe_key


def changes(new: bytes, old: bytes):
    """The zones of `new` as matched against `old` (a diff's derivation)."""
    return zones(new, derive(new, old, "old"))


def by_change(matcher: Matcher, new: bytes, old: bytes, old_matches) -> list:
    return match_blob(matcher, Blob("new", new, (), derive(new, old, "old")), old_matches)


def by_edit(matcher: Matcher, new: bytes, edit: Derivation, old_matches) -> list:
    return match_blob(matcher, Blob("new", new, (), edit), old_matches)


def _custom_rule(name: str, pattern: str, keyword: str) -> Rule:
    return Rule(
        id=f"custom.{name}", description=f"custom {name}", provider="custom", pattern=pattern, keywords=(keyword,)
    )


def _lines(count: int) -> bytes:
    return b"".join(b"line %d = value\n" % n for n in range(count))


def test_common_prefix_and_suffix_are_equal_runs_at_most_a_grain_short() -> None:
    rnd = random.Random(3)
    for _ in range(300):
        a = bytes(rnd.choice(b"ab\n") for _ in range(rnd.randrange(0, 400)))
        b = (
            a[: rnd.randrange(len(a) + 1)]
            + bytes(rnd.choice(b"ab") for _ in range(rnd.randrange(0, 20)))
            + a[rnd.randrange(len(a) + 1) :]
        )
        prefix = 0
        while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
            prefix += 1
        found = common_prefix(a, b)
        assert a[:found] == b[:found] and prefix - GRAIN <= found <= prefix
        limit = min(len(a), len(b)) - found
        suffix = 0
        while suffix < limit and a[-1 - suffix] == b[-1 - suffix]:
            suffix += 1
        found = common_suffix(a, b, limit)
        assert a[len(a) - found :] == b[len(b) - found :] and suffix - GRAIN <= found <= suffix


def test_zone_and_region_are_whole_lines_around_the_edit() -> None:
    # Lines longer than the grain: the span found may start (end) one line early (late).
    old = b"".join(b"line %02d = %s\n" % (n, b"v" * 80) for n in range(40))
    lines = old.split(b"\n")
    lines[20] = b"line 20 = changed"
    new = b"\n".join(lines)
    [found] = changes(new, old)
    starts = [0] + [i + 1 for i, byte in enumerate(new) if byte == 0x0A]
    zone_start, zone_end = found.zone
    region_start, region_end = found.region
    assert zone_start in (starts[20 - ZONE_LINES], starts[19 - ZONE_LINES])
    assert zone_end in (starts[21 + ZONE_LINES], starts[22 + ZONE_LINES])
    assert region_start == starts[starts.index(zone_start) - CONTEXT_LINES]
    assert region_end == starts[starts.index(zone_end) + CONTEXT_LINES]


def test_zone_of_an_append_a_deletion_and_an_edit_at_the_top() -> None:
    old = _lines(30)
    [appended] = changes(old + b"tail = 1\n", old)
    assert appended.region[1] == len(old) + len(b"tail = 1\n")
    assert appended.zone[0] < len(old)  # the last old lines see a new next line
    # A deleted line joins its neighbours: the zone holds both sides of the cut.
    lines = old.split(b"\n")
    deleted = b"\n".join(lines[:10] + lines[11:])
    cut = len(b"\n".join(lines[:10])) + 1
    [deleted_change] = changes(deleted, old)
    zone = deleted_change.zone
    assert zone[0] < cut < zone[1]
    [top] = changes(b"first = 2\n" + old[old.index(b"\n") + 1 :], old)
    assert top.region[0] == 0 and top.zone[0] == 0


def _edit(rnd: random.Random, blob: bytes, samples: list[bytes]) -> bytes:
    lines = blob.split(b"\n")
    kind = rnd.choice(["insert", "delete", "replace", "join", "touch", "append", "prepend", "split"])
    at = rnd.randrange(len(lines))
    if kind == "insert":
        lines.insert(at, rnd.choice(samples))
    elif kind == "delete" and len(lines) > 1:
        del lines[at]
    elif kind == "replace":
        lines[at] = rnd.choice(samples)
    elif kind == "join" and at + 1 < len(lines):
        lines[at : at + 2] = [lines[at] + lines[at + 1]]
    elif kind == "touch" and lines[at]:
        # One byte changed inside a line: may break (or make) a token there.
        column = rnd.randrange(len(lines[at]))
        lines[at] = lines[at][:column] + rnd.choice([b"x", b"_", b" ", b"7"]) + lines[at][column + 1 :]
    elif kind == "append":
        lines.append(rnd.choice(samples))
    elif kind == "prepend":
        lines.insert(0, rnd.choice(samples))
    elif kind == "split" and len(lines[at]) > 2:
        column = rnd.randrange(1, len(lines[at]))
        lines[at : at + 1] = [lines[at][:column], lines[at][column:]]
    return b"\n".join(lines)


def _full(match) -> tuple:
    return (match.rule_id, match.start, match.end, match.secret, match.line, match.end_line, match.column)


@pytest.mark.parametrize("backend", available_backends())
def test_a_version_matched_by_its_diff_gets_its_whole_scan(backend: str) -> None:
    matcher = Matcher(PACK, backend=backend)
    matcher.prepare()
    rnd = random.Random(11)
    samples = [s.encode("utf-8") for rule in PACK for s in rule.examples + rule.negative_examples]
    carried_over = re_found = versions = 0
    for blob in corpus(seed=4, files=8):
        old = blob
        old_matches = matcher.scan(old)
        for _ in range(6):
            new = old
            for _ in range(rnd.choice([1, 1, 2, 3])):
                new = _edit(rnd, new, samples)
            full = matcher.scan(new, "new")
            derivation = derive(new, old, "old")
            found = zones(new, derivation)
            carried_over += len(carried(old_matches, derivation, found))
            re_found += sum(1 for m in full if any(c.zone[0] < m.end and m.start < c.zone[1] for c in found))
            assert by_change(matcher, new, old, old_matches) == full
            versions += 1
            old, old_matches = new, full
    assert versions == 6 * len(corpus(seed=4, files=8))
    # Both sides are exercised: matches carried from the previous version, and matches re-found.
    assert carried_over > 100 and re_found > 20


def test_a_diff_derivation_copies_only_equal_bytes_and_covers_the_blob() -> None:
    rnd = random.Random(5)
    samples = [b"alpha = 1", b"beta = 'two'", b"x" * 3000, b"gamma"]
    for blob in corpus(seed=3, files=4):
        old = blob
        for _ in range(20):
            new = _edit(rnd, old, samples)
            derivation = derive(new, old, "old")
            at = 0
            for start, end, origin in derivation.pieces:
                assert start == at < end
                if origin >= 0:
                    assert new[start:end] == old[origin : origin + end - start]
                at = end
            assert at == len(new) and derivation.base_size == len(old)
            old = new


def test_rules_that_reach_past_their_lines_see_the_whole_blob() -> None:
    """A multiline rule's secret can begin far above an edit: a blob where one may match is
    scanned whole. Here the edit repairs a line deep inside a private key block, making the
    whole block (whose BEGIN line is far out of the zone) a finding."""
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    new = b"x = 1\n" + key
    lines = new.split(b"\n")
    assert len(lines) > 2 * (ZONE_LINES + CONTEXT_LINES) + 4
    lines[20] = b"!" * len(lines[20])  # no longer base64: the block no longer matches
    old = b"\n".join(lines)
    key_rule = next(r for r in PACK if r.id == "private-key.pem")
    matcher = Matcher([key_rule, *[r for r in PACK if not r.multiline][:20]], backend="aho-corasick")
    assert matcher.scan(old) == []  # the damaged block is no key
    full = matcher.scan(new)
    assert [m.rule_id for m in full] == [key_rule.id]
    assert changes(new, old)[0].zone[0] > 0  # the change alone would not reach the BEGIN line
    assert [_full(m) for m in by_change(matcher, new, old, matcher.scan(old))] == [_full(m) for m in full]


def test_a_secret_whose_keyword_is_lines_above_the_edit_is_found() -> None:
    """A user rule may let whitespace run across lines: the keyword on the line above the
    edited value must be in the region the change is matched in."""
    rule = _custom_rule("spread", r"deploy_token\s*=\s*(?P<secret>[a-z0-9]{24})\b", "deploy_token")
    matcher = Matcher([rule], backend="aho-corasick")
    filler = [f"value_{n} = {n}" for n in range(30)]
    old_value, new_value = random_chars("spread-old", 24).lower(), random_chars("spread-new", 24).lower()
    old = "\n".join([*filler, "deploy_token =", f"    {old_value}", *filler]).encode()
    new = old.replace(old_value.encode(), new_value.encode())
    full = matcher.scan(new)
    assert [m.secret for m in full] == [new_value]
    assert [_full(m) for m in by_change(matcher, new, old, matcher.scan(old))] == [_full(m) for m in full]


def _at(seconds: int) -> dict[str, str]:
    stamp = f"@{seconds} +0000"
    return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}


def _history(repo: Path) -> None:
    """One file edited over many commits (a secret at the top, edits far and near; one commit
    dated before its parents), a branch
    that edits it too and is merged, and a second file that copies a version on the branch."""
    token = github_token(8)
    stripe = stripe_key(5)
    git(repo, "init", "-q", "-b", "main")
    body = [f"value_{n} = {n}" for n in range(80)]
    lines = [f"GITHUB_TOKEN = '{token}'", *body]
    path = repo / "settings.py"
    for step in range(8):
        if step == 3:
            lines.insert(40, f"STRIPE = '{stripe}'")
        elif step == 5:
            lines[1] = "value_0 = 'next to the token'"
        else:
            lines.append(f"step_{step} = {step}")
        path.write_text("\n".join(lines) + "\n")
        git(repo, "add", "settings.py")
        # Step 6 carries an author date older than its parents' (as a rebase can leave it):
        # it, not step 0, is then the earliest commit of the token, as a whole scan says.
        when = 1_600_000_000 if step == 6 else 1_700_000_000 + step * 60
        git(repo, "commit", "-q", "-m", f"step {step}", env=_at(when))
    git(repo, "checkout", "-q", "-b", "side", "HEAD~2")
    side = path.read_text().replace("value_70 = 70", "value_70 = 'side'")
    path.write_text(side)
    # Listed after settings.py: the copy shares the blob, but not its previous version.
    (repo / "vendored").mkdir()
    (repo / "vendored" / "settings.py").write_text(side)
    git(repo, "add", "settings.py", "vendored")
    git(repo, "commit", "-q", "-m", "side", env=_at(1_700_001_000))
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "side", env=_at(1_700_002_000))


def _report(source) -> list:
    result = scan(source, PACK, Suppressor(Allowlist()))
    return [(f.rule_id, f.file, f.line, f.column, f.secret, f.commit) for f in result.findings]


def test_history_scan_by_change_reports_what_a_whole_blob_scan_reports(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _history(repo)
    expected = _report(WholeBlobs(HistorySource(repo, max_file_size=1 << 20)))
    assert {(rule, path) for rule, path, *_ in expected} >= {
        ("github.classic-pat", "settings.py"),
        ("stripe.secret-key", "settings.py"),
        ("github.classic-pat", "vendored/settings.py"),
    }
    assert _report(WithoutPacks(HistorySource(repo, max_file_size=1 << 20))) == expected
    git(repo, "gc", "-q", "--aggressive")
    assert _report(HistorySource(repo, max_file_size=1 << 20)) == expected


def _rebuilt(rnd: random.Random, old: bytes, samples: list[bytes]) -> tuple[bytes, Derivation]:
    """A new blob made as a git delta makes it: pieces of `old` (anywhere, in any order,
    cut on or off line ends) and inserted bytes; with the Edit that says which is which."""
    pieces: list[tuple[int, int, int]] = []
    out = bytearray()
    at = 0
    for _ in range(rnd.choice([1, 2, 3, 5])):
        kind = rnd.choice(["keep", "keep", "move", "insert"])
        if kind == "insert" or not old:
            text = rnd.choice(samples) + rnd.choice([b"\n", b"", b" "])
            pieces.append((len(out), len(out) + len(text), -1))
            out += text
            continue
        start = at if kind == "keep" else rnd.randrange(len(old))
        end = min(len(old), start + rnd.randrange(1, max(2, len(old) // 2)))
        if rnd.random() < 0.5:  # snap to a line end, as most edits are
            newline = old.find(b"\n", end)
            end = newline + 1 if newline >= 0 else len(old)
        if start >= end:
            continue
        pieces.append((len(out), len(out) + end - start, start))
        out += old[start:end]
        at = end
    if rnd.random() < 0.5 and at < len(old):  # the rest of the file, as most edits keep it
        pieces.append((len(out), len(out) + len(old) - at, at))
        out += old[at:]
    merged: list[tuple[int, int, int]] = []
    for start, end, origin in pieces:
        last = merged[-1] if merged else None
        if last and origin >= 0 and last[2] >= 0 and last[2] + last[1] - last[0] == origin:
            merged[-1] = (last[0], end, last[2])
        else:
            merged.append((start, end, origin))
    return bytes(out), Derivation("old", tuple(merged), len(old))


@pytest.mark.parametrize("backend", available_backends())
def test_an_edit_scan_is_the_whole_scan(backend: str) -> None:
    """A blob matched by its edit gets its own matches, whichever way the edit built it:
    a newer or an older version, with moves, cut anywhere."""
    matcher = Matcher(PACK, backend=backend)
    matcher.prepare()
    rnd = random.Random(23)
    samples = [s.encode("utf-8") for rule in PACK for s in rule.examples + rule.negative_examples]
    carried_over = re_found = 0
    for blob in corpus(seed=6, files=8):
        old, old_matches = blob, matcher.scan(blob, "old")
        for _ in range(5):
            new, edit = _rebuilt(rnd, old, samples)
            full = matcher.scan(new, "new")
            found = zones(new, edit)
            carried_over += len(carried(old_matches, edit, found))
            re_found += sum(1 for m in full if any(c.zone[0] < m.end and m.start < c.zone[1] for c in found))
            assert by_edit(matcher, new, edit, old_matches) == full
            old, old_matches = new, full
    # Both sides are exercised: matches carried from the source, and matches found again.
    assert carried_over > 100 and re_found > 50


def test_an_edit_that_cuts_the_source_short_rescans_its_end() -> None:
    """A version that stops inside the source (an older, shorter one) ends where the source
    went on: its last lines are matched again, not carried."""
    rule = _custom_rule("tail", r"tail_token = (?P<secret>[a-z0-9]{24})$", "tail_token")
    matcher = Matcher([rule], backend="aho-corasick")
    value = random_chars("tail", 24).lower()
    old = b"".join(b"value_%d = %d\n" % (n, n) for n in range(30)) + f"tail_token = {value}x\nend\n".encode()
    new = old[: old.index(b"x\nend")]
    assert matcher.scan(old) == []
    edit = Derivation("old", ((0, len(new), 0),), len(old))
    assert [m.secret for m in by_edit(matcher, new, edit, [])] == [value] == [m.secret for m in matcher.scan(new)]


@pytest.mark.parametrize("backend", available_backends())
def test_regions_matched_together_make_no_match_across_them(backend: str) -> None:
    """The regions of an edit are matched in one call, joined by blank lines. A rule that
    may span lines must not join the end of one region to the start of the next: here a
    Terraform `variable` ends one region and a `"db_password" {...}` block starts the next,
    far apart in the blob. (Hyperscan's gate knows the blob holds no such block, so the
    blob is not scanned whole; without Hyperscan, the keyword alone makes it whole.)"""
    rule = next(r for r in PACK if r.id == "generic.terraform-variable")
    matcher = Matcher([rule, *[r for r in PACK if not r.multiline][:20]], backend=backend)
    matcher.prepare()
    width = 48
    lines = [f"filler line {n:03d}".ljust(width - 1).encode() for n in range(120)]
    old = b"\n".join(lines) + b"\n"
    first, second = b"# one inserted line\n", b"# another\n"
    a, b = old.index(b"filler line 020"), old.index(b"filler line 080")
    new = old[:a] + first + old[a:b] + second + old[b:]
    edit = Derivation(
        "old",
        (
            (0, a, 0),
            (a, a + len(first), -1),
            (a + len(first), b + len(first), a),
            (b + len(first), b + len(first) + len(second), -1),
            (b + len(first) + len(second), len(new), b),
        ),
        len(old),
    )
    one, two = zones(new, edit)
    # Where the first region ends and the second starts, in `old`'s bytes (copied as they
    # are), and the second zone's first line: the secret must touch a zone to be kept.
    end_line = new.rfind(b"\n", 0, one.region[1] - 1) + 1 - len(first)
    start_line = two.region[0] - len(first)
    zone_line = two.zone[0] - len(first)
    assert start_line - end_line > 20 * width and zone_line - start_line == 3 * width
    secret = random_chars("tf", 16)
    for at, text in (
        (end_line, "x = variable"),
        (start_line, '"db_password" {'),
        (zone_line, f'  default = "{secret}" }}'),
    ):
        old = old[:at] + text.encode().ljust(width - 1) + old[at + width - 1 :]
    new = old[:a] + first + old[a:b] + second + old[b:]
    assert matcher.scan(new) == [] == matcher.scan(old)
    joined = b"x = variable\n\n\n\n" + new[two.region[0] : two.region[1]]
    assert [m.secret for m in matcher.scan(joined)] == [secret]  # what joining would make
    assert by_edit(matcher, new, edit, []) == []


def test_an_edit_scan_keeps_matches_that_share_their_span() -> None:
    """Decoding gives a match on top of the ordinary one (a cli flag whose value is valid
    base64, reported raw and decoded; a Basic header decoded at two depths): both are
    carried over an edit, as a whole scan reports both."""
    import base64

    matcher = Matcher(PACK, backend=available_backends()[0])
    matcher.prepare()
    # Base64 of text with a two-byte character: decodes where it is a value.
    flag = base64.b64encode("hRe\u07daT".encode()).decode()
    password = flag + "#" + random_chars("basic", 10)
    basic = base64.b64encode(f"ops:{password}".encode()).decode()
    lines = [f"const value_{n} = {n};" for n in range(40)]
    lines[20] = f'./deploy --database-password "n={flag}"'
    lines[30] = f'curl -H "Authorization: Basic {basic}" https://ci.example.test/api/json'
    old = ("\n".join(lines) + "\n").encode()
    old_matches = matcher.scan(old)
    overlapping = [
        (a, b) for a in old_matches for b in old_matches if a is not b and a.start < b.end and b.start < a.end
    ]
    assert {a.rule_id for a, _ in overlapping} == {"generic.cli-flag", "generic.basic-auth"}
    inserted = b"// one more line\n"
    new = inserted + old
    edit = Derivation("old", ((0, len(inserted), -1), (len(inserted), len(new), 0)), len(old))
    assert by_edit(matcher, new, edit, old_matches) == matcher.scan(new, "new")


@pytest.mark.parametrize("backend", available_backends())
def test_a_version_of_a_base_without_multiline_keywords_is_still_matched_whole_where_one_appears(
    backend: str,
) -> None:
    """A base holding no keyword of the rules that reach past their lines lets its versions
    skip reading themselves whole for one, unless their changed lines hold one: a keyword
    split by an edit, or made by joining two lines, still sends the version to a whole scan.
    Versions are named by their content, as in a history, so each is the next one's base."""
    import hashlib

    matcher = Matcher(PACK, backend=backend)
    matcher.prepare()
    wide = sorted(matcher._wide_keywords)
    assert wide
    # Halves of the keywords, so that joins and edits build whole ones across a seam.
    samples = [k[:cut] for k in wide for cut in (1, len(k) // 2)] + [k[len(k) // 2 :] for k in wide]
    samples += [s.encode("utf-8") for rule in PACK if rule.multiline for s in rule.examples]
    rnd = random.Random(23)
    made = inferred = 0
    for blob in [b for b in corpus(seed=6, files=4) if len(b) < 16384]:
        old = blob.lower().replace(b"begin", b"be_in").replace(b"data:", b"data=")
        old_id = hashlib.sha1(old).hexdigest()
        old_matches = matcher.scan(old, old_id)
        for _ in range(30):
            new = old
            for _ in range(rnd.choice([1, 2])):
                new = _edit(rnd, new, samples)
            new_id = hashlib.sha1(new).hexdigest()
            clean_base = old_id in matcher._no_wide
            found = match_blob(matcher, Blob(new_id, new, (), derive(new, old, old_id)), old_matches)
            assert found == matcher.scan(new, new_id), new
            inferred += clean_base
            made += any(k in new.lower() for k in wide) and not any(k in old.lower() for k in wide)
            old, old_id, old_matches = new, new_id, found
    assert inferred > 20 and made > 5  # both sides: versions inferred clean, keywords made
