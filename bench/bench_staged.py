"""Start-up: `keysweep staged` on a one-file commit, as a pre-commit hook runs it.

Compared with a bare `python -c pass` (the interpreter alone) and `git diff --cached` (what
any staged scan must at least run), the three interleaved so that machine load hits all
alike: medians of N, wall and CPU (the process tree's), and the ratio to `python -c pass`
within each round. Then what a shared machine cannot blur: the modules the staged scan
imports (the interpreter's own start-up counted apart), and, measured in-process, the
import of the CLI, the rule-pack load and the matcher's construction. The compiled-database
and rule-pack caches are warmed first, in a cache directory of this run's own.

    python bench/bench_staged.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import env, keysweep, run_measured  # noqa: E402

_PROBE = (
    "import time; t = time.perf_counter(); import scanner.cli; a = time.perf_counter();"
    "from scanner.rules import load_rule_pack; from scanner.engine.matcher import Matcher;"
    "rules = load_rule_pack(); b = time.perf_counter(); Matcher(rules); c = time.perf_counter();"
    "print(f'{a - t:.4f} {b - a:.4f} {c - b:.4f} {len(rules)}')"
)
# Modules loaded by the time a staged scan returns, and by the bare interpreter.
_MODULES = "import sys; from scanner.cli import main; main(sys.argv[1:]) if len(sys.argv) > 1 else None; print(len(sys.modules), file=sys.stderr)"


def _repo(where: Path, run_env: dict[str, str]) -> Path:
    repo = where / "repo"
    git = ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=run_env)
    (repo / "app.py").write_text("def main():\n    return 1\n" * 50)
    subprocess.run([*git, "add", "app.py"], check=True, env=run_env)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True, env=run_env)
    (repo / "app.py").write_text("def main():\n    return 2\n" * 50 + "timeout = 30\n")
    subprocess.run([*git, "add", "app.py"], check=True, env=run_env)
    return repo


def _modules(args: list[str], run_env: dict[str, str]) -> int:
    proc = subprocess.run([sys.executable, "-c", _MODULES, *args], capture_output=True, text=True, env=run_env)
    return int(proc.stderr.split()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KEYSWEEP_CACHE_DIR"] = str(Path(tmp) / "cache")  # env() copies os.environ
        repo = _repo(Path(tmp), env())
        cmds = {
            "staged": keysweep("staged", str(repo)),
            "pass": [sys.executable, "-c", "pass"],
            "diff": ["git", "-C", str(repo), "diff", "--cached"],
        }
        run_measured(cmds["staged"])  # warm both caches
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                wall, _rss, cpu = run_measured(cmd, ok=(0, 1))
                runs[name].append((wall, cpu))
        parts = sorted(
            (
                subprocess.run(
                    [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env(), check=True
                ).stdout.split()
                for _ in range(args.runs)
            ),
            key=lambda p: float(p[0]) + float(p[1]) + float(p[2]),
        )
        imp, load, build, count = parts[len(parts) // 2]
        staged_modules = _modules(["staged", str(repo), "--no-progress"], env())
        bare_modules = int(
            subprocess.run(
                [sys.executable, "-c", "import sys; print(len(sys.modules))"], capture_output=True, text=True, env=env()
            ).stdout
        )
    print(f"medians of {args.runs} interleaved rounds; load average {os.getloadavg()[0]:.1f}")
    for name, label in (
        ("staged", "keysweep staged (one-file commit)"),
        ("pass", "python -c pass"),
        ("diff", "git diff --cached"),
    ):
        wall = statistics.median(r[0] for r in runs[name])
        cpu = statistics.median(r[1] for r in runs[name])
        print(f"  {label:<34} wall {wall * 1000:7.1f} ms   CPU {cpu * 1000:7.1f} ms")
    wall_ratio = statistics.median(s[0] / p[0] for s, p in zip(runs["staged"], runs["pass"], strict=True))
    cpu_ratio = statistics.median(s[1] / p[1] for s, p in zip(runs["staged"], runs["pass"], strict=True))
    print(f"  staged / python -c pass: wall {wall_ratio:.2f}x, CPU {cpu_ratio:.2f}x")
    print(f"  modules loaded: staged {staged_modules}, python -c pass {bare_modules}")
    print(
        f"  in-process: import scanner.cli {float(imp) * 1000:.1f} ms, load {count} rules {float(load) * 1000:.1f} ms,"
        f" build matcher {float(build) * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
