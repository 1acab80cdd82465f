"""The first stage: both backends give identical findings, the regex gate is safe, the
compiled-database cache never breaks a scan, and worker count never changes the output.

The corpus is built at run time: this interpreter's standard library sources, with every
rule's own examples and negative examples (from rules/*.toml) spliced into their lines.
"""

from __future__ import annotations

import base64
import random
import sysconfig
from pathlib import Path

import pytest

from scanner.engine import decode
from scanner.engine.hyperscan_gate import LineFinder, drop_leading_atoms, gate_pattern, relax_longest_group
from scanner.engine.matcher import Matcher
from scanner.engine.prefilter import available_backends
from scanner.findings import Suppressor
from scanner.rules import Allowlist, load_rule_pack
from scanner.scan import scan
from scanner.sources.audit import WithoutPacks
from scanner.sources.files import FilesSource
from scanner.sources.git import HistorySource
from tests.helpers import git

PACK = tuple(r for r in load_rule_pack() if not r.path)  # path rules report in their files only
needs_hyperscan = pytest.mark.skipif("hyperscan" not in available_backends(), reason="Hyperscan not installed")


def _code_files(limit: int) -> list[bytes]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in sorted(root.glob("*.py"))[:limit]:
        try:
            files.append(path.read_bytes())
        except OSError:
            continue
    return files


def corpus(seed: int = 5, files: int = 20) -> list[bytes]:
    """Real code with every example and negative example of the pack planted in it, plus
    the examples alone and glued to their neighbours (to stress window edges)."""
    rnd = random.Random(seed)
    blobs = _code_files(files)
    samples = [s for rule in PACK for s in rule.examples + rule.negative_examples]
    planted = []
    for blob in blobs:
        lines = blob.split(b"\n")
        for sample in rnd.sample(samples, min(len(samples), 25)):
            lines.insert(rnd.randrange(len(lines) + 1), sample.encode("utf-8"))
        planted.append(b"\n".join(lines))
    planted.append("\n".join(samples).encode("utf-8"))
    few = rnd.sample(samples, min(len(samples), 40))
    planted.append(" ".join(few).encode("utf-8"))
    planted.append("\r\n".join(few).encode("utf-8"))
    return blobs + planted


def _key(matches: list) -> list[tuple]:
    return [(m.rule_id, m.start, m.end, m.secret, m.line, m.column) for m in matches]


@needs_hyperscan
def test_both_backends_give_identical_findings_over_a_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = Matcher(PACK, backend="hyperscan")
    fast.prepare()
    slow = Matcher(PACK, backend="aho-corasick")
    assert fast.backend == "hyperscan" and slow.backend == "aho-corasick"
    # The gate must really be in play, or this test compares two identical code paths.
    assert len(fast.prefilter.gated) >= 10  # type: ignore[attr-defined]
    assert len(fast.prefilter.window_gated) >= 10  # type: ignore[attr-defined]
    total = 0
    for number, blob in enumerate(corpus()):
        expected = _key(slow.scan(blob, str(number)))
        assert _key(fast.scan(blob, str(number))) == expected, f"blob {number}"
        total += len(expected)
    assert total > len(PACK) // 2  # the planted examples are found


@needs_hyperscan
def test_gate_only_drops_rules_that_cannot_match(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rule with a regex match in a blob survives the Hyperscan first stage."""
    fast = Matcher(PACK, backend="hyperscan")
    fast.prepare()
    slow = Matcher(PACK, backend="aho-corasick")
    dropped_somewhere = False
    for blob in corpus(seed=9, files=20):
        fired = set(fast.prefilter.fired(blob))
        windows = slow._windows(blob)[0]
        confirmed = {index for index, *_ in slow._confirm(blob, windows, keep_dropped=True)}
        assert confirmed <= fired
        dropped_somewhere |= bool(set(windows) - fired)
    assert dropped_somewhere  # the gate prunes something on real code


def test_gate_pattern_opens_only_large_bounded_repeats() -> None:
    assert gate_pattern(r"a{3,1000}?b") == r"a{3,}?b"
    assert gate_pattern(r"[A-Z]{100,8000}") == r"[A-Z]{64,}"
    assert gate_pattern(r"[A-Z]{40,8000}") == r"[A-Z]{40,}"
    assert gate_pattern(r"x{0,200}y{1,100}") == r"x*y+"
    assert gate_pattern(r"ghp_[A-Za-z0-9]{36}\b") == r"ghp_[A-Za-z0-9]{36}\b"
    # braces inside classes and escapes are not quantifiers
    assert gate_pattern(r"[{]{1,2}\{100,200\}\x{41}") == r"[{]{1,2}\{100,200\}\x{41}"


@needs_hyperscan
def test_base64_run_search_on_candidate_lines_equals_full_search() -> None:
    finder = LineFinder(decode.RUN_PREFIX)
    for blob in corpus(seed=3, files=30):
        spans = finder.spans(blob)
        assert spans is not None
        assert decode.find_encoded(blob, spans=spans) == decode.find_encoded(blob)


@needs_hyperscan
def test_base64_line_finder_keeps_every_text_that_decodes() -> None:
    """Runs of printable text, ASCII or not, for every pair of first and second characters:
    the candidate lines (narrowed to what the first two characters of text can encode)
    hold every run found."""
    finder = LineFinder(decode.RUN_PREFIX)
    rnd = random.Random(7)
    starts = [chr(c) for c in range(0x20, 0x7F)] + list("\t\n\ré€中😀ß")
    tail = [chr(c) for c in range(0x20, 0x7F)] + list("\t\nàéß€中文кириллица😀")
    lines = []
    for first in starts:
        for second in starts:
            text = first + second + "".join(rnd.choice(tail) for _ in range(rnd.randint(3, 12)))
            lines.append(b"value: " + base64.b64encode(text.encode("utf-8")))
    lines += [b"x = textwrap", b"y = Envelope", b"z = Callable", b"cls = HeaderParser"]
    blob = b"\n".join(lines) + b"\n"
    runs = decode.find_encoded(blob, per_line=100_000).runs
    assert len(runs) > 9_000
    spans = finder.spans(blob)
    assert spans is not None
    assert decode.find_encoded(blob, spans=spans, per_line=100_000).runs == runs
    # identifiers that cannot decode to text are not candidate lines
    assert all(not blob[start:end].startswith((b"x =", b"y =", b"z =")) for start, end in spans)


def test_base64_first_pair_is_derived_from_utf8() -> None:
    assert decode.FIRST_PAIR == decode.first_pair_expression()


@needs_hyperscan
def test_unwritable_cache_dir_still_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(blocker / "cache"))
    rule = next(r for r in PACK if r.id.startswith("generic."))
    matcher = Matcher([rule], backend="hyperscan")
    matcher.prepare()
    assert matcher.scan(rule.examples[0].encode("utf-8"))


@needs_hyperscan
def test_cache_is_reused_and_corrupt_entries_are_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(cache))
    rules = [r for r in PACK if r.provider == "generic"]
    Matcher(rules, backend="hyperscan").prepare()
    # The blob and window gates of the matcher's prefilter and of the multiline rules' own
    # (scanner.engine.delta); one of them covers no rule here.
    entries = sorted(cache.glob("gate-*.hsdb"))
    assert len(entries) == 3
    for entry in entries:
        entry.write_bytes(b"[1, 2]\nnot a database")
    again = Matcher(rules, backend="hyperscan")
    again.prepare()
    assert again.prefilter.gated  # type: ignore[attr-defined]
    example = rules[0].examples[0].encode("utf-8")
    assert _key(again.scan(example)) == _key(Matcher(rules, backend="aho-corasick").scan(example))


def _tree(root: Path, count: int) -> None:
    """`count` small code files with planted examples (more files than one worker batch)."""
    samples = [s for rule in PACK for s in rule.examples]
    rnd = random.Random(4)
    for index in range(count):
        lines = [b"def f%d(x):" % index, b"    return x + %d" % index]
        lines.insert(1, rnd.choice(samples).encode("utf-8"))
        path = root / f"pkg{index % 7}" / f"mod{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\n".join(lines) + b"\n")


def _findings(result) -> list[tuple]:
    return [(f.rule_id, f.file, f.line, f.column, f.secret, f.commit) for f in result.findings]


def test_dir_scan_output_is_the_same_with_one_or_two_workers(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _tree(root, 600)
    suppressor = Suppressor(Allowlist())
    one = scan(FilesSource([root], max_file_size=10 << 20, use_gitignore=False), PACK, suppressor, jobs=1)
    two = scan(FilesSource([root], max_file_size=10 << 20, use_gitignore=False), PACK, suppressor, jobs=2)
    assert _findings(one) and _findings(one) == _findings(two)
    assert one.stats.blobs == two.stats.blobs and one.stats.bytes == two.stats.bytes


def test_history_scan_with_workers_finishes_and_matches_one_process(tmp_path: Path) -> None:
    """Workers forked while git streams would hold its pipes open and hang the scan."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    blobs = corpus(seed=2, files=8)
    for step in range(3):
        for index in range(step, len(blobs), 3):
            (repo / f"f{index}.py").write_bytes(blobs[index] + b"\n# step %d\n" % step)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"step {step}")
    suppressor = Suppressor(Allowlist())
    one = scan(WithoutPacks(HistorySource(repo, max_file_size=10 << 20)), PACK, suppressor, jobs=1)
    two = scan(WithoutPacks(HistorySource(repo, max_file_size=10 << 20)), PACK, suppressor, jobs=2)
    assert _findings(one) and _findings(one) == _findings(two)
    git(repo, "gc", "-q")  # the packs, walked by the workers (what `keysweep git` does)
    for jobs in (1, 2):
        walked = scan(HistorySource(repo, max_file_size=10 << 20), PACK, suppressor, jobs=jobs)
        assert _findings(walked) == _findings(one)
        assert (walked.stats.blobs, walked.stats.bytes) == (one.stats.blobs, one.stats.bytes)


@needs_hyperscan
def test_backends_agree_on_examples_deep_in_a_blob(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hyperscan missed some matches of a large gate past the first bytes of its input
    (generic.keyed-call); every example, after other lines and deep in its own line, is
    found alike by both backends, window by window."""
    fast = Matcher(PACK, backend="hyperscan")
    fast.prepare()
    slow = Matcher(PACK, backend="aho-corasick")
    for rule in PACK:
        for example in rule.examples:
            blob = ("import os\n" * 5 + " " * 40 + example + "  # tail\n").encode("utf-8")
            assert _key(fast.scan(blob)) == _key(slow.scan(blob)), rule.id


def test_relaxing_a_gate_only_widens_it() -> None:
    assert relax_longest_group(r"\((?:ab|cd)[\"'](?P<q>x)") == r"\([^\n]*[\"'](?P<q>x)"
    assert relax_longest_group(r"a(?:b\s|c)+d") == r"a.*d"
    assert relax_longest_group(r"a(?=bc)d") == r"a(?=bc)d"


def test_dropping_leading_atoms_keeps_a_suffix_of_the_pattern() -> None:
    assert drop_leading_atoms(r"\([ \t]*[\"'](?:ab|cd)x") == r"(?:ab|cd)x"
    assert drop_leading_atoms(r"(?i)ab(c)d") == r"(?i)(c)d"
    assert drop_leading_atoms(r"a(?<=a)b(c)") == r"(c)"
    # a top-level alternation has no common suffix; a leading group leaves nothing to drop
    assert drop_leading_atoms(r"ab(c)|d") == r"ab(c)|d"
    assert drop_leading_atoms(r"(ab)c") == r"(ab)c"


@needs_hyperscan
def test_keyed_call_gate_is_exact_again_not_relaxed_to_any_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its relaxed gate fired on any `f("x", "value")` call; dropping the `(` prefix Hyperscan
    trips on keeps the name group, so ordinary calls no longer pass it."""
    fast = Matcher(PACK, backend="hyperscan")
    fast.prepare()
    index = next(i for i, rule in enumerate(fast.rules) if rule.id == "generic.keyed-call")
    assert index in fast.prefilter.gated
    head = b"import os\n" * 5 + b"    "
    for example in fast.rules[index].examples:
        keyed = example.encode("utf-8")
        assert index in fast.prefilter.fired(head + keyed)
        # the same call with a name that is no credential: logger.info("starting", ...)
        name = keyed.split(b"(", 1)[1].split(b",", 1)[0]
        plain = keyed.replace(name, b'"starting"')
        assert index not in fast.prefilter.fired(head + plain + b"  # token"), plain


@needs_hyperscan
def test_gate_cache_key_follows_how_gates_are_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change to the gate construction (not to the rules) must not reuse old gates."""
    from scanner.engine.cache import MISSING, load_gate
    from scanner.engine.hyperscan_gate import build_gate

    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(tmp_path / "cache"))
    rules = [rule for rule in PACK if rule.id == "generic.password"]
    assert load_gate(rules, [0], build_gate, signature="one") not in (None, MISSING)
    assert load_gate(rules, [0], None, signature="one") not in (None, MISSING)
    assert load_gate(rules, [0], None, signature="two") is MISSING


@needs_hyperscan
def test_a_gate_is_built_once_the_scans_without_one_add_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past GATE_AFTER_BYTES a cached gate is used; one is built only once
    GATE_COMPILE_AFTER_BYTES were scanned without it, over one run or several (it costs
    more than it saves on less). Findings are the same with and without it."""
    from scanner.engine import hyperscan_gate
    from scanner.engine.hyperscan_gate import GATE_AFTER_BYTES

    cache = tmp_path / "cache"
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(cache))
    # Two runs of the blobs below add up to it (the real threshold is 128 MiB).
    monkeypatch.setattr(hyperscan_gate, "GATE_COMPILE_AFTER_BYTES", 2 * GATE_AFTER_BYTES)
    rules = [r for r in PACK if r.provider == "generic"]
    secret = "-".join(["Tulip", "4471", "quartz"]).encode()  # built here: the repo scans clean
    blob = b"x = 1\n" * (GATE_AFTER_BYTES // 24) + b'password = "' + secret + b'"\n'
    blobs = [blob] * (GATE_AFTER_BYTES // len(blob) + 2)

    def scanned() -> tuple[frozenset[int], list]:
        matcher = Matcher(rules, backend="hyperscan")
        found = [_key(matcher.scan(b)) for b in blobs]
        return matcher.prefilter.gated, found  # type: ignore[attr-defined]

    first_gated, first = scanned()
    assert not first_gated and not list(cache.glob("gate-*.hsdb"))
    second_gated, second = scanned()  # one look before, one now: worth building
    assert second_gated and list(cache.glob("gate-*.hsdb"))
    third_gated, third = scanned()  # the cached gate, from the first look
    assert third_gated == second_gated
    assert first == second == third and first[0]


def test_a_mid_sized_walk_compiles_the_generic_patterns_before_the_workers_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the size that builds a gate, the generic patterns (needed by nearly every code
    base) are still compiled once before forking, not once in each worker."""
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(tmp_path / "cache"))
    rules = [r for r in PACK if r.provider in ("generic", "github")]
    generic = [i for i, r in enumerate(rules) if r.provider == "generic"]

    def compiled(**options: bool) -> set[int]:
        matcher = Matcher(rules)
        matcher.prepare(**options)
        return {i for i, c in enumerate(matcher._compiled) if c is not None}

    assert compiled(compile=False) == set()
    assert compiled(compile=False, patterns=True) == set(generic)
