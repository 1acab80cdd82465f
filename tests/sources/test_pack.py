"""Reading blobs from pack files in pack order (scanner.sources.pack), and the history scan
built on it: every blob git holds, byte for byte, and the same report as `git cat-file`."""

from __future__ import annotations

import base64
import codecs
import re
import subprocess
from pathlib import Path

import pytest

from scanner.findings import Suppressor
from scanner.model import Derivation
from scanner.rules import Allowlist, load_rule_pack
from scanner.scan import ScanResult, scan
from scanner.sources.audit import WithoutPacks
from scanner.sources.git import HistorySource
from scanner.sources.git.history import history_packs
from scanner.sources.git.pack import Deltas, PackedBlob, PackWalk, _Pack, apply_delta, open_packs
from tests.helpers import git, github_token, stripe_key

MAX_SIZE = 64 * 1024


def _commit(repo: Path, files: dict[str, bytes | None], step: int) -> None:
    for name, content in files.items():
        path = repo / name
        if content is None:
            path.unlink()
            git(repo, "rm", "-q", name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        git(repo, "add", name)
    stamp = f"@{1_700_000_000 + step * 60} +0000"
    git(repo, "commit", "-q", "-m", f"step {step}", env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})


def _history(repo: Path, steps: int = 14) -> None:
    """Files edited over many commits: text edited at the top, middle and end (a token
    added, then removed), a binary file, UTF-16 text, a file larger than MAX_SIZE, an
    empty file and a copy at a second path."""
    git(repo, "init", "-q", "-b", "main")
    lines = [f"value_{n} = {n}  # some ordinary configuration line" for n in range(200)]
    token, stripe = github_token(31), stripe_key(32)
    for step in range(steps):
        if step == 3:
            lines.insert(100, f"GITHUB_TOKEN = '{token}'")
        elif step == 8:
            lines.remove(f"GITHUB_TOKEN = '{token}'")
        elif step == 5:
            lines.insert(0, f"STRIPE_KEY = '{stripe}'")
        elif step % 3 == 0:
            del lines[50 + step]
        else:
            lines.append(f"step_{step} = {step}")
        config = ("\n".join(lines) + "\n").encode()
        files: dict[str, bytes | None] = {
            "app/config.py": config,
            "bin/data.bin": bytes(range(256)) * 8 + b"\0" * step + bytes([step]) * 100,
            "docs/notes.txt": codecs.BOM_UTF16_LE
            + (f"note {step}\ntoken = '{github_token(40)}'\n" + "filler line\n" * 50).encode("utf-16-le"),
            "big.txt": b"".join(b"row %d of a large file\n" % n for n in range(4000 + step)),
        }
        if step == 0:
            files["empty.txt"] = b""
        if step == 9:
            files["copy/config.py"] = config
        _commit(repo, files, step)


def _blobs(repo: Path, *, damaged: bool = False) -> dict[bytes, bytes]:
    """Every blob git holds, by id, read by git itself; with `damaged`, those it can read
    (a blob git cannot read is left out instead of failing the test)."""
    listing = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"],
        cwd=repo,
        capture_output=True,
        check=not damaged,
        text=True,
    ).stdout.split("\n")
    out = {}
    for oid in (line.split()[0] for line in listing if line.endswith(" blob")):
        proc = subprocess.run(["git", "cat-file", "blob", oid], cwd=repo, capture_output=True, check=not damaged)
        if proc.returncode == 0:
            out[bytes.fromhex(oid)] = proc.stdout
    return out


def _walked(walk: PackWalk, jobs: int = 3) -> tuple[dict[bytes, bytes], int]:
    """Every blob the walk visits (checking each edit against its base), and how many came by an edit."""
    seen: dict[bytes, bytes] = {}
    edits = 0

    def visit(blob: PackedBlob, base: bytes | None) -> bytes:
        nonlocal edits
        assert blob.oid not in seen
        seen[blob.oid] = blob.data
        if blob.derivation is not None:
            assert base is not None
            edits += 1
            _check_edit(blob.data, blob.derivation, base)
        return blob.data

    for task in walk.tasks(jobs):
        walk.walk(task, visit)
    return seen, edits


def _check_edit(data: bytes, edit: Derivation, base: bytes) -> None:
    assert edit.base_size == len(base)
    at = 0
    for start, end, origin in edit.pieces:
        assert start == at
        if origin >= 0:
            assert data[start:end] == base[origin : origin + end - start]
        at = end
    assert at == len(data)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _copy(origin: int, size: int) -> bytes:
    """A delta copy instruction: only the non-zero bytes of offset and size are written."""
    op, args = 0x80, bytearray()
    for number, (value, width) in enumerate(((origin, 4), (size if size != 0x10000 else 0, 3))):
        for index in range(width):
            byte = (value >> (8 * index)) & 0xFF
            if byte:
                op |= 1 << (index + 4 * number)
                args.append(byte)
    return bytes([op]) + bytes(args)


def _delta(base: bytes, *ops: tuple[int, int] | bytes) -> bytes:
    body = b"".join(_copy(*op) if isinstance(op, tuple) else bytes([len(op)]) + op for op in ops)
    size = sum(op[1] if isinstance(op, tuple) else len(op) for op in ops)
    return _varint(len(base)) + _varint(size) + body


def test_a_delta_builds_its_blob_and_says_which_bytes_were_copied_from_where() -> None:
    base = bytes(range(256)) * 1024  # 256 KiB: copies longer than 64 KiB are split by git
    delta = _delta(base, (0, 0x10000), (0x10000, 0x10000), (0x20000, 5), b"new", (7, 9), (16, 4))
    data, pieces = apply_delta(base, delta, 1 << 20)
    edit = Derivation("", pieces, len(base))
    assert data == base[:0x20005] + b"new" + base[7:20]
    # A copy that carries on where the last one stopped is one piece (no seam to match at);
    # after an insert, or from elsewhere in the base, a new piece starts.
    assert edit.pieces == ((0, 0x20005, 0), (0x20005, 0x20008, -1), (0x20008, 0x20015, 7))
    _check_edit(data, edit, base)
    moved, moved_edit = apply_delta(base, _delta(base, (100, 10), (50, 10)), 1 << 20)
    assert moved == base[100:110] + base[50:60]
    assert moved_edit == ((0, 10, 100), (10, 20, 50))
    # The copy after an insert lines up with the one before it, but the insert replaced
    # two bytes of the base: a new piece.
    replaced, replaced_edit = apply_delta(base, _delta(base, (0, 5), b"ab", (7, 3)), 1 << 20)
    assert replaced == base[:5] + b"ab" + base[7:10]
    assert replaced_edit == ((0, 5, 0), (5, 7, -1), (7, 10, 7))


@pytest.mark.parametrize(
    ("delta", "problem"),
    [
        (_varint(11) + _varint(4) + _copy(0, 4), "does not fit its base"),
        (_varint(10) + _varint(4) + _copy(8, 4), "copies past its base"),
        (_varint(10) + _varint(4) + bytes([5]) + b"abcd", "ends inside an insert"),
        (_varint(10) + _varint(4) + b"\0", "reserved delta opcode"),
        (_varint(10) + _varint(5) + _copy(0, 4), "does not make its size"),
        (_varint(10) + _varint(4) + _copy(0, 4), "too large"),
    ],
)
def test_a_delta_that_does_not_fit_is_refused(delta: bytes, problem: str) -> None:
    limit = 3 if problem == "too large" else 100
    with pytest.raises(ValueError, match=problem):
        apply_delta(b"0123456789", delta, limit)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _history(repo)
    git(repo, "gc", "-q", "--aggressive")
    return repo


def test_the_walk_reads_every_blob_as_git_does(repo: Path) -> None:
    walk = history_packs(repo, max_file_size=MAX_SIZE)
    assert walk is not None
    seen, edits = _walked(walk)
    assert seen == _blobs(repo)
    assert edits >= 20  # most versions come by a delta


def test_packs_that_name_their_delta_bases_by_id_are_read_too(repo: Path) -> None:
    git(repo, "-c", "repack.useDeltaBaseOffset=false", "repack", "-q", "-adf")
    walk = history_packs(repo, max_file_size=MAX_SIZE)
    assert walk is not None
    seen, edits = _walked(walk)
    assert seen == _blobs(repo) and edits >= 20


def _pack_entries(repo: Path) -> list[tuple[str, str, int, int]]:
    """(id, kind, size in pack, offset) of every object in the repository's one pack."""
    [idx] = (repo / ".git" / "objects" / "pack").glob("*.idx")
    out = subprocess.run(["git", "verify-pack", "-v", str(idx)], cwd=repo, capture_output=True, text=True).stdout
    entries = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[1] in ("blob", "tree", "commit", "tag") and len(fields[0]) == 40:
            entries.append((fields[0], fields[1], int(fields[3]), int(fields[4])))
    return entries


def test_a_corrupt_object_is_left_to_git_and_the_rest_is_read(repo: Path) -> None:
    entries = _pack_entries(repo)
    # A stored-whole blob with deltas built on it: the biggest entry of app/config.py's family.
    config = git(repo, "rev-parse", "HEAD:app/config.py").strip()
    victim = next(oid for oid, kind, size, offset in entries if kind == "blob" and size > 2000 and oid != config)
    [pack_path] = (repo / ".git" / "objects" / "pack").glob("*.pack")
    _oid, _kind, size, offset = next(e for e in entries if e[0] == victim)
    pack_path.chmod(0o644)
    data = bytearray(pack_path.read_bytes())
    data[offset + size // 2] ^= 0xFF
    pack_path.write_bytes(bytes(data))
    walk = history_packs(repo, max_file_size=MAX_SIZE)
    assert walk is not None
    seen, _edits = _walked(walk)
    assert bytes.fromhex(victim) not in seen
    blobs = _blobs(repo, damaged=True)
    assert seen and all(blobs[oid] == content for oid, content in seen.items())
    # The scan still ends, and reports what the git-only path reports (git names the damage).
    assert _result(repo, packs=True) == _result(repo, packs=False)


def _result(repo: Path, *, packs: bool, jobs: int = 1) -> tuple:
    source = HistorySource(repo, max_file_size=MAX_SIZE)
    try:
        result: ScanResult = scan(
            source if packs else WithoutPacks(source), load_rule_pack(), Suppressor(Allowlist()), jobs=jobs
        )
    finally:
        source.close()
    stats = result.stats
    return (
        result.findings,
        sorted(result.skipped, key=lambda s: (s.path, s.reason, s.detail, s.blob_id)),
        (stats.blobs, stats.bytes, stats.skips),
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_history_scan_from_packs_reports_what_cat_file_reports(repo: Path, jobs: int) -> None:
    # Later commits stay loose: those blobs are read through git, the rest from the pack.
    more = repo / "app" / "config.py"
    more.write_bytes(more.read_bytes() + f"LATE_TOKEN = '{github_token(77)}'\n".encode())
    git(repo, "commit", "-q", "-am", "late")
    expected = _result(repo, packs=False, jobs=jobs)
    findings, skipped, stats = expected
    assert {f.file for f in findings} >= {"app/config.py", "copy/config.py", "docs/notes.txt"}
    assert any(f.rule_id.startswith("stripe") for f in findings)
    assert {s.reason for s in skipped} == {"binary", "too-large"}
    assert _result(repo, packs=True, jobs=jobs) == expected


def test_blobs_no_commit_reaches_are_read_but_neither_reported_nor_counted(repo: Path) -> None:
    """A pack may hold blobs of dropped commits (kept by `repack -k`, or fetched): the walk
    reads them, the history does not list them, so they are not in the report or its counts."""
    dangling = [
        f"DROPPED_TOKEN = '{github_token(91)}'\n".encode(),
        b"a dropped draft, nothing secret in it\n" * 20,
    ]
    write = ["git", "hash-object", "-w", "--stdin"]
    ids = {
        subprocess.run(write, cwd=repo, input=data, capture_output=True, check=True).stdout.strip().decode()
        for data in dangling
    }
    git(repo, "repack", "-a", "-d", "-k", "-q")
    walk = history_packs(repo, max_file_size=MAX_SIZE)
    assert walk is not None
    seen, _edits = _walked(walk)
    assert {bytes.fromhex(oid) for oid in ids} <= set(seen)
    expected = _result(repo, packs=False)
    assert not any(finding.commit is None for finding in expected[0])
    assert _result(repo, packs=True) == expected
    assert _result(repo, packs=True, jobs=2) == expected


def test_garbage_in_the_pack_directory_is_ignored(repo: Path) -> None:
    pack_dir = repo / ".git" / "objects" / "pack"
    (pack_dir / "pack-junk.pack").write_bytes(b"PACK\0\0\0\2" + b"\xff" * 100)
    (pack_dir / "pack-junk.idx").write_bytes(b"\xfftOc\0\0\0\2" + b"\0" * 50)
    (pack_dir / "pack-lonely.pack").write_bytes(b"not a pack")
    walk = open_packs(repo / ".git" / "objects", MAX_SIZE)
    assert walk is not None
    seen, _edits = _walked(walk)
    assert seen == _blobs(repo)


def test_no_walk_without_packs_or_for_sha256(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    git(loose, "init", "-q")
    (loose / "a.txt").write_text("hello\n")
    git(loose, "add", "a.txt")
    git(loose, "commit", "-q", "-m", "one")
    assert history_packs(loose, max_file_size=MAX_SIZE) is None
    sha256 = tmp_path / "sha256"
    sha256.mkdir()
    git(sha256, "init", "-q", "--object-format=sha256")
    (sha256 / "a.txt").write_text("hello\n")
    git(sha256, "add", "a.txt")
    git(sha256, "commit", "-q", "-m", "one")
    git(sha256, "gc", "-q")
    assert history_packs(sha256, max_file_size=MAX_SIZE) is None


def _unpacked_copy(repo: Path, dest: Path) -> Path:
    """The same repository with every object loose (no pack for the walk to read)."""
    subprocess.run(["cp", "-a", str(repo), str(dest)], check=True)
    pack_dir = dest / ".git" / "objects" / "pack"
    moved = dest.parent / "packs-moved"
    moved.mkdir()
    for path in pack_dir.iterdir():
        path.rename(moved / path.name)
    for pack in moved.glob("*.pack"):
        with open(pack, "rb") as stream:
            subprocess.run(["git", "unpack-objects", "-q"], cwd=dest, stdin=stream, check=True)
    assert not list(pack_dir.glob("*.pack"))
    return dest


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_cli_reports_a_packed_history_as_the_same_history_loose(
    repo: Path, tmp_path: Path, jobs: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import run_cli

    loose = _unpacked_copy(repo, tmp_path / "loose")
    assert history_packs(loose, max_file_size=MAX_SIZE) is None
    outputs = []
    for target in (repo, loose):
        result = run_cli(
            ["git", str(target), "--format", "json", "--jobs", jobs, "--max-file-size", str(MAX_SIZE)],
            capsys=capsys,
            monkeypatch=monkeypatch,
        )
        assert result.code == 1, result.err
        err = re.sub(r"[0-9.]+ s\b", "T s", result.err.replace(str(target), "REPO"))
        outputs.append((result.out, err))
    assert outputs[0] == outputs[1]
    assert '"app/config.py"' in outputs[0][0]


def test_damaged_packs_never_stop_the_walk(repo: Path, tmp_path: Path) -> None:
    """Bytes flipped anywhere in a pack (headers, base offsets, compressed data): the walk
    reads what it can, drops what it cannot, never raises, and what it reads is right."""
    import random
    import shutil

    truth = _blobs(repo)
    [pack] = (repo / ".git" / "objects" / "pack").glob("*.pack")
    original = pack.read_bytes()
    rnd = random.Random(5)
    copy = tmp_path / "objects"
    read_any = 0
    for _ in range(40):
        shutil.rmtree(copy, ignore_errors=True)
        (copy / "pack").mkdir(parents=True)
        shutil.copy(pack.with_suffix(".idx"), copy / "pack" / pack.with_suffix(".idx").name)
        damaged = bytearray(original)
        for _ in range(rnd.choice([1, 3, 20])):
            damaged[rnd.randrange(12, len(damaged) - 20)] ^= 1 << rnd.randrange(8)
        (copy / "pack" / pack.name).write_bytes(bytes(damaged))
        walk = open_packs(copy, MAX_SIZE)
        if walk is None:
            continue
        seen, _edits = _walked(walk)
        assert all(truth.get(oid) == content for oid, content in seen.items())
        read_any += len(seen)
    assert read_any > 0


def test_an_index_with_large_offsets_is_read(repo: Path, tmp_path: Path) -> None:
    """Packs over 2 GiB keep their offsets in a second table of the index: the same pack,
    indexed with every other offset moved there, reads the same."""
    import shutil

    [pack] = (repo / ".git" / "objects" / "pack").glob("*.pack")
    index = pack.with_suffix(".idx").read_bytes()
    count = int.from_bytes(index[8 + 255 * 4 : 8 + 256 * 4], "big")
    offsets_at = 8 + 1024 + count * 24
    small = bytearray(index[offsets_at : offsets_at + 4 * count])
    large = bytearray()
    for entry in range(0, count, 2):
        real = int.from_bytes(small[4 * entry : 4 * entry + 4], "big")
        small[4 * entry : 4 * entry + 4] = (0x80000000 | len(large) // 8).to_bytes(4, "big")
        large += real.to_bytes(8, "big")
    moved = index[:offsets_at] + bytes(small) + bytes(large) + index[-40:]
    copy = tmp_path / "objects" / "pack"
    copy.mkdir(parents=True)
    shutil.copy(pack, copy / pack.name)
    (copy / pack.with_suffix(".idx").name).write_bytes(moved)
    walk = open_packs(tmp_path / "objects", MAX_SIZE)
    assert walk is not None
    seen, _edits = _walked(walk)
    assert seen == _blobs(repo)


def test_without_fork_the_workers_read_through_git(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spawned workers (macOS, Windows) could not share the walk: the scan does not open the
    packs, reads every blob through `cat-file`, and reports the same."""
    import scanner.scan as scan_module
    import scanner.sources.git.history as history_module

    expected = _result(repo, packs=False, jobs=2)
    opened = []

    def packs(*args: object) -> PackWalk | None:
        opened.append(True)
        return history_packs(repo, max_file_size=MAX_SIZE)

    monkeypatch.setattr(scan_module, "_can_fork", lambda: False)
    monkeypatch.setattr(history_module, "history_packs", packs)
    source = HistorySource(repo, max_file_size=MAX_SIZE)
    try:
        result = scan(source, load_rule_pack(), Suppressor(Allowlist()), jobs=2)
    finally:
        source.close()
    assert not opened
    assert result.findings == expected[0]


def test_the_base64_cap_gives_one_result_loose_or_packed(tmp_path: Path) -> None:
    """A Secret manifest with hundreds of encoded values, one line crowded past the cap of
    decoded values, edited over commits: the encoded password after them all is found,
    the cap is reported, and a packed history (matched by change) reports exactly what
    loose objects (matched whole) do. 0.1 capped runs per blob, and packed and loose
    histories disagreed."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    values = [f"  k{i}: {base64.b64encode(f'setting number {i} of many'.encode()).decode()}" for i in range(300)]
    crowded = " ".join(f"v{i}={base64.b64encode(f'value {i} here'.encode()).decode()}" for i in range(80))
    secret = "Quartz#Moss" + str(4000 + len(values))
    for step in range(4):
        lines = ["data:", *values, f"  extra_{step}: 'plain'", f"  list: {crowded}"]
        if step >= 2:
            lines.append(f"  db_password: {base64.b64encode(secret.encode()).decode()}")
        _commit(repo, {"deploy/secret.yaml": ("\n".join(lines) + "\n").encode()}, step)
    loose = _result(repo, packs=False)
    git(repo, "gc", "-q", "--aggressive")
    packed = _result(repo, packs=True)
    assert packed == loose
    findings, skipped, _stats = packed
    assert secret in {f.secret for f in findings}
    assert {s.reason for s in skipped} == {"decode-cap"}


def test_deltas_list_each_bases_deltas_in_pack_order() -> None:
    deltas = Deltas(8)
    for base, delta in sorted([(0, 2), (0, 5), (2, 3), (0, 7), (6, 1)], key=lambda pair: -pair[1]):
        deltas.add(base, delta)
    assert [list(deltas.of(p)) for p in range(8)] == [[2, 5, 7], [], [3], [], [], [], [1], []]
    assert [deltas.has(p) for p in range(8)] == [True, False, True, False, False, False, True, False]


@pytest.mark.parametrize("by_offset", [True, False])
def test_the_delta_trees_are_those_of_each_objects_base(repo: Path, by_offset: bool) -> None:
    """Roots and deltas as the bases the pack names (by offset, or by id) make them."""
    if not by_offset:
        git(repo, "-c", "repack.useDeltaBaseOffset=false", "repack", "-q", "-adf")
    pack_path = next((repo / ".git" / "objects" / "pack").glob("*.pack"))
    pack = _Pack(pack_path, pack_path.with_suffix(".idx"))
    roots, deltas, weights = pack.blob_trees()
    blobs = [p for p in range(pack.count) if pack.kinds[p] == 3]
    assert roots == [p for p in blobs if pack.bases[p] < 0] and set(weights) == set(roots)
    for position in range(pack.count):
        assert list(deltas.of(position)) == [p for p in blobs if pack.bases[p] == position]
    assert sum(1 for p in blobs if pack.bases[p] >= 0) >= 20
