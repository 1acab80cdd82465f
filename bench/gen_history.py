"""Generate a git repository of real code with hundreds of commits (for bench_history.py).

The code is this machine's Python standard library (`Lib/**/*.py`), committed in order
over N commits; every commit also edits a few files it committed earlier, so blobs have
many versions, as in a real project. `--edits append` (the default, as in earlier rounds)
appends a line to each edited file; `--edits hunks` edits one to three places inside it
(a line changed, inserted or deleted), as most real commits do. A few fabricated tokens are added and later
removed, so the scan has something to find in history. Built with `git fast-import`:
seconds, not minutes. Generated data stays outside the repository (a temp dir by default).

    python bench/gen_history.py /tmp/stdlib-history --commits 300
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import sysconfig
from pathlib import Path

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def stdlib_files() -> list[tuple[str, bytes]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("site-packages", "dist-packages"):
            continue
        try:
            files.append(("lib/" + rel.as_posix(), path.read_bytes()))
        except OSError:
            continue
    return files


def _token(rnd: random.Random) -> str:
    # Linear-API-key shape (rule linear.api-key), fabricated here at run time.
    return "lin_" + "api_" + "".join(rnd.choice(_ALNUM) for _ in range(40))


def _edit_hunks(rnd: random.Random, data: bytes, n: int) -> bytes:
    """One to three hunks at random lines: a line changed, a line inserted or one deleted."""
    lines = data.split(b"\n")
    for _ in range(rnd.choices((1, 2, 3), weights=(5, 3, 2))[0]):
        at = rnd.randrange(len(lines))
        kind = rnd.randrange(3)
        if kind == 0:
            lines[at] = lines[at] + f"  # revision {n}".encode()
        elif kind == 1:
            lines.insert(at, f"# revision {n}: {rnd.random():.6f}".encode())
        elif len(lines) > 1:
            del lines[at]
    return b"\n".join(lines)


def git_env() -> dict[str, str]:
    """This environment without GIT_* (a benchmark run from a git hook must not write elsewhere)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def fast_import(dest: Path) -> subprocess.Popen[bytes]:
    """A new repository at `dest` (which must not exist) and `git fast-import` writing into
    it from its stdin (the caller ends the stream with `done`, closes it and waits)."""
    dest.mkdir(parents=True, exist_ok=False)
    env = git_env()
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True, env=env)
    return subprocess.Popen(
        ["git", "-C", str(dest), "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE, env=env
    )


def generate(
    dest: Path, commits: int, seed: int = 7, edits: str = "append", per_commit_edits: int = 4
) -> dict[str, int]:
    """Write the repository at dest; returns counts (files, commits, planted secrets)."""
    files = stdlib_files()
    if not files:
        raise SystemExit("no standard library sources found")
    rnd = random.Random(seed)
    proc = fast_import(dest)
    assert proc.stdin is not None
    out = proc.stdin
    per_commit = max(1, -(-len(files) // commits))
    added: list[int] = []
    current: dict[int, bytes] = {}
    planted = 0
    secret_path: str | None = None
    when = 1_600_000_000
    for n in range(commits):
        ops: list[tuple[str, bytes | None]] = []
        for index in range(n * per_commit, min(len(files), (n + 1) * per_commit)):
            current[index] = files[index][1]
            added.append(index)
            ops.append((files[index][0], current[index]))
        for index in rnd.sample(added, min(len(added), per_commit_edits)):
            if edits == "hunks":
                current[index] = _edit_hunks(rnd, current[index], n)
            else:
                current[index] = current[index] + f"# revision {n}: {rnd.random():.6f}\n".encode()
            ops.append((files[index][0], current[index]))
        if n % 50 == 10:
            secret_path = f"config/settings_{n}.py"
            ops.append((secret_path, f"API_KEY = '{_token(rnd)}'\n".encode()))
            planted += 1
        elif n % 50 == 12 and secret_path:
            ops.append((secret_path, None))
            secret_path = None
        when += 3600
        message = f"commit {n}\n".encode()
        out.write(b"commit refs/heads/main\n")
        out.write(f"author Bench <bench@example.test> {when} +0000\n".encode())
        out.write(f"committer Bench <bench@example.test> {when} +0000\n".encode())
        out.write(b"data %d\n%s\n" % (len(message), message))
        for path, data in ops:
            if data is None:
                out.write(f"D {path}\n".encode())
            else:
                out.write(f"M 100644 inline {path}\n".encode())
                out.write(b"data %d\n%s\n" % (len(data), data))
    out.write(b"done\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(dest), "reset", "-q", "--hard"], check=True, env=git_env())
    return {"files": len(files), "commits": commits, "planted": planted}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--edits", choices=("append", "hunks"), default="append")
    parser.add_argument(
        "--edits-per-commit",
        type=int,
        default=4,
        help="files edited by each commit (12 over 1,000 commits gives about 200 MB)",
    )
    args = parser.parse_args(argv)
    counts = generate(args.dest, args.commits, edits=args.edits, per_commit_edits=args.edits_per_commit)
    print(f"{args.dest}: {counts['commits']} commits, {counts['files']} files, {counts['planted']} secrets planted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
