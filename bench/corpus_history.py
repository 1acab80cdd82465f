"""Build a git history out of a directory of files (the accuracy corpus, say), edited at random.

The files are committed over a few commits, then each of `--edits` commits changes a few
of them the ways real commits do: a line inserted, deleted or replaced, two lines joined
or one split, two lines swapped, one byte touched, a file copied or moved. A side branch
is merged in half way, and some commits carry author dates older than their parents'
(as a rebase or cherry-pick leaves them). Findings move, are copied, cut and restored:
what a report of this history says depends on every part of history reading (listing,
change matching, provenance). The history is repacked so deltas are deep.

    python bench/accuracy/generate.py /tmp/corpus1 --seed 1
    python bench/corpus_history.py /tmp/corpus1 /tmp/corpus1-history --edits 40
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path


def _git(repo: Path, *args: str, env: dict[str, str], data: bytes | None = None) -> None:
    subprocess.run(["git", "-C", str(repo), *args], input=data, check=True, env=env, capture_output=True)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def _edit(rnd: random.Random, data: bytes) -> bytes:
    """One random edit of the kinds listed in the module docstring."""
    lines = data.split(b"\n")
    at = rnd.randrange(len(lines))
    kind = rnd.randrange(7)
    if kind == 0:
        lines.insert(at, b"# note %d" % rnd.randrange(10**6))
    elif kind == 1 and len(lines) > 1:
        del lines[at]
    elif kind == 2:
        lines[at] = lines[at][: len(lines[at]) // 2] + b" # changed"
    elif kind == 3 and at + 1 < len(lines):
        lines[at : at + 2] = [lines[at] + b" " + lines[at + 1]]
    elif kind == 4 and len(lines[at]) > 8:
        cut = rnd.randrange(1, len(lines[at]))
        lines[at : at + 1] = [lines[at][:cut], lines[at][cut:]]
    elif kind == 5 and at + 1 < len(lines):
        lines[at], lines[at + 1] = lines[at + 1], lines[at]
    elif lines[at]:
        where = rnd.randrange(len(lines[at]))
        lines[at] = lines[at][:where] + bytes([(lines[at][where] + 1) % 128 or 65]) + lines[at][where + 1 :]
    return b"\n".join(lines)


def _commit(repo: Path, env: dict[str, str], message: str, when: int) -> None:
    stamp = f"{when} +0000"
    _git(repo, "add", "-A", env={**env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    _git(
        repo,
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        message,
        env={**env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
    )


def build(source: Path, dest: Path, edits: int, seed: int) -> int:
    rnd = random.Random(seed)
    env = {
        **_env(),
        "GIT_AUTHOR_NAME": "Corpus",
        "GIT_AUTHOR_EMAIL": "corpus@example.test",
        "GIT_COMMITTER_NAME": "Corpus",
        "GIT_COMMITTER_EMAIL": "corpus@example.test",
    }
    files = sorted(p for p in source.rglob("*") if p.is_file())
    dest.mkdir(parents=True)
    _git(dest, "init", "-q", "-b", "main", env=env)
    when = 1_700_000_000
    chunks = 4
    for part in range(chunks):
        for path in files[part::chunks]:
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
        when += 600
        _commit(dest, env, f"import part {part}", when)
    tracked = [dest / p.relative_to(source) for p in files]
    for n in range(edits):
        if n == edits // 2:
            _git(dest, "checkout", "-q", "-b", "side", "HEAD~3", env=env)
            victim = rnd.choice(tracked)
            if victim.exists():
                victim.write_bytes(_edit(rnd, victim.read_bytes()))
            _commit(dest, env, "side edit", when - 7200)
            _git(dest, "checkout", "-q", "main", env=env)
            _git(dest, "merge", "-q", "--no-edit", "-X", "theirs", "side", env=env)
        for path in rnd.sample(tracked, min(3, len(tracked))):
            if not path.exists():
                continue
            roll = rnd.random()
            if roll < 0.05:
                copy = path.with_name("copy_" + path.name)
                copy.write_bytes(path.read_bytes())
                tracked.append(copy)
            elif roll < 0.08:
                moved = path.with_name("moved_" + path.name)
                path.rename(moved)
                tracked[tracked.index(path)] = moved
            else:
                path.write_bytes(_edit(rnd, path.read_bytes()))
        # Every fifth commit is dated before its parent, as a rebased commit can be.
        when += -5400 if n % 5 == 4 else 3600
        _commit(dest, env, f"edit {n}", when)
    _git(dest, "repack", "-adq", "--depth=50", "--window=50", env=env)
    return len(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    count = build(args.source, args.dest, args.edits, args.seed)
    print(f"{args.dest}: {count} files, {args.edits} edit commits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
