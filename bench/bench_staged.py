"""Start-up: `keysweep staged` on a one-file commit, as a pre-commit hook runs it.

Compared with `git diff --cached` (what any staged scan must at least run) and a bare
`python -c pass` (the interpreter alone); also the import of the CLI and the rule-pack load,
measured in-process. Medians of N, in this run.

    python bench/bench_staged.py [--runs 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import env, keysweep, median  # noqa: E402

_PROBE = (
    "import time; t = time.perf_counter(); import scanner.cli; a = time.perf_counter();"
    "from scanner.rules import load_rule_pack; from scanner.engine.matcher import Matcher;"
    "rules = load_rule_pack(); b = time.perf_counter(); Matcher(rules); c = time.perf_counter();"
    "print(f'{a - t:.3f} {b - a:.3f} {c - b:.3f} {len(rules)}')"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        git = ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@example.com"]
        subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env())
        (repo / "app.py").write_text("def main():\n    return 1\n" * 50)
        subprocess.run([*git, "add", "app.py"], check=True, env=env())
        subprocess.run([*git, "commit", "-q", "-m", "first"], check=True, env=env())
        (repo / "app.py").write_text("def main():\n    return 2\n" * 50 + "timeout = 30\n")
        subprocess.run([*git, "add", "app.py"], check=True, env=env())
        median(keysweep("staged", str(repo)), 1)  # warm the compiled-database cache
        staged, rss = median(keysweep("staged", str(repo)), args.runs)
        diff, _ = median(["git", "-C", str(repo), "diff", "--cached"], args.runs)
        bare, _ = median([sys.executable, "-c", "pass"], args.runs)
        parts = [
            subprocess.run(
                [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env(), check=True
            ).stdout.split()
            for _ in range(args.runs)
        ]
        parts.sort(key=lambda p: float(p[0]) + float(p[1]) + float(p[2]))
        imp, load, build, count = parts[len(parts) // 2]
    print(f"medians of {args.runs}")
    print(f"keysweep staged (one-file commit) : {staged:6.3f} s   peak RSS {rss / 1024:.0f} MiB")
    print(f"  git diff --cached               : {diff:6.3f} s   ({staged / diff:.0f}x)")
    print(f"  python -c pass                  : {bare:6.3f} s")
    print(f"  import scanner.cli {imp} s, load {count} rules {load} s, build matcher {build} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
