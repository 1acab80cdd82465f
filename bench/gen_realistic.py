"""Generate a git history shaped like a real project's (for bench_realistic.py).

The 1,000-commit history of gen_history.py (13,700 blobs of a few large files) hid where
the time goes on real histories. This one has the shape of rails' (118,770 commits,
228,190 unique blobs, 4.26 GiB): thousands of small and medium files in a directory tree
(app/models/x.rb, lib/..., test/...), many commits each touching one to four of them
(hunks edited inside files, some files added, some deleted, a few renamed), about one
commit per two unique blobs and about 20 KB per unique blob, a few topic branches merged
back, two release branches that stay open, and a handful of fabricated tokens added and
later removed so the scan has findings.

Content is real text of this machine (the Python standard library, Perl modules,
/usr/share/doc), not random bytes: real text has the keyword density that matters to a
scanner. Every version differs from the one before it by hunks of other real lines, so
blobs are unique. Built with `git fast-import`, then repacked as a clone's pack would be.
Deterministic for a seed on one machine. Generated data stays outside the repository.

    python bench/gen_realistic.py /tmp/rails-shaped --size quick   # ~100 MiB of blobs
    python bench/gen_realistic.py /tmp/rails-shaped-1g --size large  # >= 1 GiB
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import re
import subprocess
import sys
import sysconfig
import time
import zlib
from bisect import bisect
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_history import _ALNUM, fast_import, git_env  # noqa: E402
from gen_history import _token as _linear_token  # noqa: E402


@dataclass(frozen=True)
class Size:
    """Unique blob bytes to write, and how many files the first commit holds."""

    blob_bytes: int
    initial_files: int


SIZES = {
    "tiny": Size(4 * 2**20, 40),  # for tests
    "quick": Size(100 * 2**20, 900),
    "mid": Size(350 * 2**20, 1_800),
    "large": Size(1_100 * 2**20, 3_000),
}


@dataclass(frozen=True)
class Shape:
    """What a generated history holds, counted by git after the import."""

    commits: int
    merges: int
    branches: int
    blobs: int
    blob_bytes: int
    files_at_head: int
    planted: int | None  # None: not generated here
    seconds: float

    @property
    def blobs_per_commit(self) -> float:
        return self.blobs / max(1, self.commits)

    @property
    def mean_blob(self) -> float:
        return self.blob_bytes / max(1, self.blobs)


# Where Debian's Ruby packages put their source (`apt-get install ruby-railties ...`).
RUBY_ROOTS = (
    Path("/usr/lib/ruby"),
    Path("/usr/share/ruby"),
    Path("/usr/share/rubygems-integration"),
    Path("/var/lib/gems"),
)
_RUBY_SUFFIXES = (".rb", ".erb", ".rake", ".yml", ".md", ".rdoc", ".gemspec", ".builder", ".ru")
CORPORA = ("stdlib", "ruby")


def _ruby_files() -> list[Path]:
    """Ruby source of this machine (rails' own gems where installed): text dense in the
    words rails is dense in (secret, token, key, password, credentials)."""
    paths: list[Path] = []
    for root in RUBY_ROOTS:
        if root.is_dir():
            paths.extend(p for p in root.rglob("*") if p.suffix in _RUBY_SUFFIXES)
    return sorted(paths)


def _text_files(corpus: str = "stdlib") -> list[Path]:
    if corpus == "ruby":
        return _ruby_files()
    roots = [Path(sysconfig.get_paths()["stdlib"]), Path("/usr/share/perl"), Path("/usr/share/perl5")]
    paths: list[Path] = []
    for root in roots:
        if root.is_dir():
            paths.extend(p for p in root.rglob("*") if p.suffix in (".py", ".pm", ".pl", ".pod", ".txt", ".rst"))
    doc = Path("/usr/share/doc")
    if doc.is_dir():
        paths.extend(p for p in doc.rglob("*") if p.suffix not in (".gz", ".bz2", ".xz", ".png", ".jpg", ".svg"))
    return sorted(p for p in paths if "site-packages" not in p.parts and "dist-packages" not in p.parts)


def load_corpus(limit: int = 96 * 2**20, corpus: str = "stdlib") -> bytes:
    """Real text of this machine, one buffer of whole lines (text files only): the Python
    standard library, Perl and /usr/share/doc, or with `corpus="ruby"` Ruby source."""
    parts: list[bytes] = []
    total = 0
    for path in _text_files(corpus):
        try:
            if not path.is_file() or path.is_symlink():
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if not 200 <= len(data) <= 512 * 1024 or b"\0" in data:
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        parts.append(data if data.endswith(b"\n") else data + b"\n")
        total += len(parts[-1])
        if total >= limit:
            break
    if total < 2**20:
        hint = " (install Ruby gems, e.g. apt-get install ruby-railties)" if corpus == "ruby" else ""
        raise SystemExit(f"too little {corpus} text found on this machine for a corpus{hint}")
    return b"".join(parts)


class _Text:
    """Slices of the corpus, cut on line ends."""

    def __init__(self, corpus: bytes, rnd: random.Random) -> None:
        self.corpus = corpus
        self.rnd = rnd

    def lines(self, size: int) -> bytes:
        start = self.corpus.find(b"\n", self.rnd.randrange(len(self.corpus) - size - 1)) + 1
        end = self.corpus.find(b"\n", start + size)
        return self.corpus[start : end + 1 if end >= 0 else len(self.corpus)]

    def count(self, n: int) -> list[bytes]:
        start = self.corpus.find(b"\n", self.rnd.randrange(len(self.corpus) - 4096)) + 1
        out = []
        for _ in range(n):
            end = self.corpus.find(b"\n", start)
            if end < 0:
                break
            out.append(self.corpus[start:end])
            start = end + 1
        return out or [b""]


def _file_size(rnd: random.Random) -> int:
    """Many of 1-10 KB, a long tail, and some of 50-200 KB (changelogs, big modules)."""
    if rnd.random() < 0.06:
        return int(math.exp(rnd.uniform(math.log(50_000), math.log(200_000))))
    return int(min(45_000, max(300, rnd.lognormvariate(math.log(5_500), 0.9))))


_TREES = (
    ("app/models", ".rb"),
    ("app/controllers", "_controller.rb"),
    ("app/helpers", "_helper.rb"),
    ("app/views/{w}", ".html.erb"),
    ("app/jobs", "_job.rb"),
    ("lib/{w}", ".rb"),
    ("lib/{w}/{v}", ".rb"),
    ("activerecord/lib/active_record/{w}", ".rb"),
    ("activesupport/lib/active_support/{w}", ".rb"),
    ("actionpack/lib/action_controller/{w}", ".rb"),
    ("test/models", "_test.rb"),
    ("test/controllers", "_controller_test.rb"),
    ("test/{w}", "_test.rb"),
    ("guides/source", ".md"),
    ("config/locales", ".yml"),
    ("db/migrate", ".rb"),
)


class _Names:
    def __init__(self, corpus: bytes, rnd: random.Random) -> None:
        words = sorted(set(re.findall(rb"\b[a-z]{4,11}\b", corpus[: 4 * 2**20])))
        self.words = [w.decode() for w in words]
        self.rnd = rnd
        self.used: set[str] = set()

    def path(self) -> str:
        while True:
            tree, suffix = self.rnd.choice(_TREES)
            folder = tree.format(w=self.rnd.choice(self.words), v=self.rnd.choice(self.words))
            name = "_".join(self.rnd.sample(self.words, self.rnd.choice((1, 1, 2, 2, 3))))
            if tree == "db/migrate":
                name = f"{20100101000000 + len(self.used) * 7919}_{name}"
            path = f"{folder}/{name}{suffix}"
            if path not in self.used:
                self.used.add(path)
                return path


@dataclass
class _Branch:
    ref: str
    files: dict[str, tuple[int, int]]  # path -> (blob mark, target size)
    head: int | None = None
    changed: dict[str, int | None] = field(default_factory=dict)  # since it was cut
    commits: int = 0


def _github_token(rnd: random.Random) -> str:
    """GitHub classic personal-token shape, fabricated here at run time: 30 random
    characters and their CRC32 in 6 base62 digits, as GitHub writes them."""
    body = "".join(rnd.choice(_ALNUM) for _ in range(36))[:30]
    number, digits = zlib.crc32(body.encode()), ""
    while number:
        number, rem = divmod(number, 62)
        digits = _ALNUM[rem] + digits
    return "gh" + "p_" + body + digits.rjust(6, "0")


class _Writer:
    """The fast-import stream: blobs with marks, commits that name them."""

    def __init__(self, out, start: int) -> None:  # type: ignore[no-untyped-def]
        self.out = out
        self.mark = 0
        self.when = start
        self.blobs: dict[int, bytes] = {}
        self.written = 0

    def blob(self, data: bytes) -> int:
        self.mark += 1
        self.out.write(b"blob\nmark :%d\ndata %d\n%s\n" % (self.mark, len(data), data))
        self.blobs[self.mark] = data
        self.written += len(data)
        return self.mark

    def commit(self, branch: _Branch, message: str, ops: list[tuple[str, int | None]], merge: int | None = None) -> int:
        self.mark += 1
        self.when += 600 + self.mark % 7200
        out = self.out
        out.write(b"commit %s\nmark :%d\n" % (branch.ref.encode(), self.mark))
        out.write(b"author Bench <bench@example.test> %d +0000\n" % self.when)
        out.write(b"committer Bench <bench@example.test> %d +0000\n" % self.when)
        body = message.encode()
        out.write(b"data %d\n%s\n" % (len(body), body))
        if branch.head is not None:
            out.write(b"from :%d\n" % branch.head)
        if merge is not None:
            out.write(b"merge :%d\n" % merge)
        for path, mark in ops:
            if mark is None:
                out.write(b"D %s\n" % path.encode())
            else:
                out.write(b"M 100644 :%d %s\n" % (mark, path.encode()))
        out.write(b"\n")
        branch.head = self.mark
        branch.commits += 1
        return self.mark


def _edit(rnd: random.Random, text: _Text, data: bytes, target: int) -> bytes:
    """One to three hunks: lines replaced, inserted or deleted, toward the file's size."""
    lines = data.split(b"\n")
    for _ in range(rnd.choices((1, 2, 3), weights=(5, 3, 2))[0]):
        at = rnd.randrange(len(lines))
        grow = len(data) < target * 0.8
        shrink = len(data) > target * 1.25
        kind = rnd.choices(
            ("change", "insert", "delete"), weights=(4, 1 if shrink else 4 if grow else 2, 4 if shrink else 2)
        )[0]
        if kind == "change":
            new = text.count(rnd.randint(1, 3))
            lines[at : at + len(new)] = new
        elif kind == "insert":
            lines[at:at] = text.count(rnd.randint(1, 8))
        elif len(lines) > 8:
            del lines[at : at + rnd.randint(1, 5)]
    return b"\n".join(lines)


def generate(
    dest: Path, size: str | Size = "quick", seed: int = 11, repack: bool = True, corpus: str = "stdlib"
) -> Shape:
    """Write the repository at dest (which must not exist) and count what it holds."""
    spec = SIZES[size] if isinstance(size, str) else size
    started = time.perf_counter()
    rnd = random.Random(seed)
    text_corpus = load_corpus(corpus=corpus)
    text = _Text(text_corpus, rnd)
    names = _Names(text_corpus, rnd)
    proc = fast_import(dest)
    assert proc.stdin is not None
    w = _Writer(proc.stdin, 1_200_000_000)
    main = _Branch("refs/heads/main", {})
    heat: dict[str, float] = {}

    def add(branch: _Branch, path: str, target: int, data: bytes | None = None) -> tuple[str, int]:
        mark = w.blob(data if data is not None else text.lines(target))
        branch.files[path] = (mark, target)
        heat.setdefault(path, rnd.paretovariate(1.1) * (1 + target / 40_000))
        return path, mark

    ops: list[tuple[str, int | None]] = [add(main, names.path(), _file_size(rnd)) for _ in range(spec.initial_files)]
    w.commit(main, "Initial import\n", ops)

    pool: list[str] = []
    cum: list[float] = []
    dirty = True
    topic: _Branch | None = None
    topic_end = 0
    topics = 0
    releases: list[_Branch] = []
    pending: list[tuple[int, str, bytes]] = []  # (commit number, path, line to take out)
    n = 0
    planted = 0
    small = spec.blob_bytes < SIZES["quick"].blob_bytes  # gets one topic early, so it has a merge
    tokens = max(3, min(12, spec.blob_bytes // (16 * 2**20)))

    def pick(branch: _Branch) -> str | None:
        nonlocal pool, cum, dirty
        if dirty:
            pool = [p for p in heat if p in main.files or any(p in b.files for b in (topic, *releases) if b)]
            cum = list(itertools.accumulate(heat[p] for p in pool))
            dirty = False
        for _ in range(20):
            path = pool[bisect(cum, rnd.random() * cum[-1]) if len(pool) > 1 else 0]
            if path in branch.files:
                return path
        return None

    while w.written < spec.blob_bytes:
        n += 1
        branch = main
        if topic is not None and rnd.random() < 0.5:
            branch = topic
        elif releases and rnd.random() < 0.03:
            branch = rnd.choice(releases)
        ops = []
        touched: set[str] = set()
        path: str | None
        for _ in range(rnd.choices((1, 2, 3, 4), weights=(50, 28, 14, 8))[0]):
            roll = rnd.random()
            if roll < 0.08 or len(branch.files) < 20:
                path, mark = add(branch, names.path(), _file_size(rnd))
                ops.append((path, mark))
                branch.changed[path] = mark
                touched.add(path)
                dirty = True
                continue
            path = pick(branch)
            if path is None or path in touched:
                continue
            touched.add(path)
            mark, target = branch.files[path]
            if roll < 0.12:
                del branch.files[path]
                ops.append((path, None))
                branch.changed[path] = None
                dirty = True
                continue
            data = w.blobs[mark]
            if roll < 0.135:  # a rename, half of them with an edit
                del branch.files[path]
                ops.append((path, None))
                branch.changed[path] = None
                path = names.path()
                heat[path] = rnd.paretovariate(1.1)
                dirty = True
                if rnd.random() < 0.5:
                    branch.files[path] = (mark, target)
                    ops.append((path, mark))
                    branch.changed[path] = mark
                    continue
            new = w.blob(_edit(rnd, text, data, target))
            branch.files[path] = (new, target)
            ops.append((path, new))
            branch.changed[path] = new
        if branch is main and planted < tokens and w.written > spec.blob_bytes * (planted + 0.5) / (tokens + 1):
            path = pick(main)
            if path is not None and path not in touched:
                token = _linear_token(rnd) if planted % 2 else _github_token(rnd)
                line = f'  config.api_key = "{token}"'.encode()
                mark, target = main.files[path]
                lines = w.blobs[mark].split(b"\n")
                lines.insert(rnd.randrange(len(lines)), line)
                new = w.blob(b"\n".join(lines))
                main.files[path] = (new, target)
                ops.append((path, new))
                touched.add(path)
                pending.append((n + rnd.randint(5, 40), path, line))
                planted += 1
        if branch is main:
            for due, path, line in [p for p in pending if p[0] <= n]:
                pending.remove((due, path, line))
                if path in main.files and path not in touched:
                    mark, target = main.files[path]
                    new = w.blob(b"\n".join(x for x in w.blobs[mark].split(b"\n") if x != line))
                    main.files[path] = (new, target)
                    ops.append((path, new))
        if not ops:
            continue
        w.commit(branch, f"Change {n}: {' '.join(p.rsplit('/', 1)[-1] for p, _ in ops)}\n", ops)
        if topic is not None and n >= topic_end and not topic.commits:
            topic = None
        elif topic is not None and n >= topic_end:
            merge_ops: list[tuple[str, int | None]] = []
            for path, changed in topic.changed.items():
                if changed is not None:
                    main.files[path] = topic.files.get(path, (changed, 10_000))
                    merge_ops.append((path, changed))
                elif path in main.files and path not in topic.files:
                    del main.files[path]
                    merge_ops.append((path, None))
            w.commit(main, f"Merge branch 'topic-{topics}'\n", merge_ops, merge=topic.head)
            topic = None
            dirty = True
        elif topic is None and (rnd.random() < 1 / 60 or (small and topics == 0 and n == 10)):
            topics += 1
            topic = _Branch("refs/heads/topic", dict(main.files), head=main.head)
            topic_end = n + rnd.randint(6, 40)
        if len(releases) < 2 and w.written > spec.blob_bytes * (0.4 + 0.35 * len(releases)):
            releases.append(_Branch(f"refs/heads/release-{len(releases) + 1}", dict(main.files), head=main.head))
            proc.stdin.write(b"reset %s\nfrom :%d\n\n" % (releases[-1].ref.encode(), main.head or 0))
        if n % 256 == 0:
            live = {m for b in (main, topic, *releases) if b for m, _ in b.files.values()}
            w.blobs = {m: d for m, d in w.blobs.items() if m in live}
    proc.stdin.write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    if repack:
        subprocess.run(["git", "-C", str(dest), "repack", "-q", "-a", "-d", "-f"], check=True, env=git_env())
    subprocess.run(["git", "-C", str(dest), "reset", "-q", "--hard"], check=True, env=git_env())
    return count(dest, planted, time.perf_counter() - started)


def count(repo: Path, planted: int | None = None, seconds: float = 0.0) -> Shape:
    """The shape of a repository as git counts it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=git_env()
        ).stdout

    blobs = blob_bytes = 0
    for line in git("cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)").splitlines():
        kind, size = line.split()
        if kind == "blob":
            blobs += 1
            blob_bytes += int(size)
    return Shape(
        commits=int(git("rev-list", "--all", "--count")),
        merges=int(git("rev-list", "--all", "--merges", "--count")),
        branches=len(git("for-each-ref", "refs/heads").splitlines()),
        blobs=blobs,
        blob_bytes=blob_bytes,
        files_at_head=len(git("ls-tree", "-r", "--name-only", "HEAD").splitlines()),
        planted=planted,
        seconds=seconds,
    )


def describe(shape: Shape) -> str:
    return (
        f"{shape.commits:,} commits ({shape.merges} merges, {shape.branches} branches), "
        f"{shape.blobs:,} unique blobs, {shape.blob_bytes / 2**20:,.0f} MiB "
        f"({shape.blobs_per_commit:.2f} blobs a commit, {shape.mean_blob / 1000:.1f} KB a blob), "
        f"{shape.files_at_head:,} files at HEAD"
        + (f", {shape.planted} tokens planted" if shape.planted is not None else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-repack", action="store_true", help="keep fast-import's pack as it is")
    parser.add_argument(
        "--corpus",
        choices=CORPORA,
        default="stdlib",
        help="text the files are cut from: Python stdlib, Perl and docs; or Ruby source (rails' gems where installed)",
    )
    args = parser.parse_args(argv)
    shape = generate(args.dest, args.size, seed=args.seed, repack=not args.no_repack, corpus=args.corpus)
    print(f"{args.dest}: {describe(shape)}; built in {shape.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
