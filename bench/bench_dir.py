"""`keysweep dir` against `cat` of the same files and against detect-secrets.

The tree is real code: this interpreter's standard library (`*.py`), copied to a temp
directory (no .git, so every file is scanned). Ratios are of medians measured in this run.

    python bench/bench_dir.py [--runs 3] [--limit-mb 40] [--no-detect-secrets]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import cores, keysweep, median  # noqa: E402


def build_tree(dest: Path, limit: int) -> tuple[int, int]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = size = 0
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("site-packages", "dist-packages") or size >= limit:
            continue
        target = dest / "lib" / rel  # not at the top: a tool run here must not import these
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        files += 1
        size += target.stat().st_size
    return files, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit-mb", type=float, default=40.0, help="stop copying past this size")
    parser.add_argument("--no-detect-secrets", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        files, size = build_tree(tree, int(args.limit_mb * 1024 * 1024))
        print(f"tree: {files} files, {size / 2**20:.1f} MiB of Python; {cores()} cores; medians of {args.runs}")
        listing = Path(tmp) / "files.txt"
        listing.write_bytes(b"\0".join(str(p).encode() for p in sorted(tree.rglob("*.py"))))
        cat, _ = median(["xargs", "-0", "cat", "<", str(listing), ">", "/dev/null"], args.runs, shell=True)
        ks, rss = median(
            keysweep("dir", str(tree), "--format", "json", "-o", str(Path(tmp) / "r.json")), args.runs, ok=(0, 1)
        )
        ks1, _ = median(
            keysweep("dir", str(tree), "--jobs", "1", "--format", "json", "-o", str(Path(tmp) / "r.json")),
            args.runs,
            ok=(0, 1),
        )
        print(f"cat of every file                : {cat:7.3f} s")
        print(f"keysweep dir (all cores)         : {ks:7.3f} s   {ks / cat:6.1f}x cat   peak RSS {rss / 1024:.0f} MiB")
        print(f"keysweep dir --jobs 1            : {ks1:7.3f} s   {ks1 / cat:6.1f}x cat")
        if not args.no_detect_secrets and shutil.which("detect-secrets"):
            subprocess.run(["git", "init", "-q", str(tree)], check=True)  # detect-secrets lists files via git
            subprocess.run(["git", "-C", str(tree), "add", "-A"], check=True)
            ds, _ = median(["detect-secrets", "scan", str(tree)], args.runs, cwd=tree)
            print(f"detect-secrets scan              : {ds:7.3f} s   keysweep is {ds / ks:5.1f}x faster (goal >= 10x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
