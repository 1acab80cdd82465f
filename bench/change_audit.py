"""Audit of change matching (scanner.engine.change) on a real history: the report with
versions matched by their change must equal the report with every blob matched whole.

Three scans of the history: every blob matched whole; read through `git cat-file` with
each version matched by its diff from the previous one; read from the packs in pack order
with each delta matched by what it changed. Prints the reports' sizes, whether they are
equal, and each scan's time.

    python bench/change_audit.py REPO [--jobs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.findings import Suppressor  # noqa: E402
from scanner.rules import Allowlist, load_rule_pack  # noqa: E402
from scanner.scan import scan  # noqa: E402
from scanner.sources import DEFAULT_MAX_FILE_SIZE  # noqa: E402
from scanner.sources.audit import WholeBlobs, WithoutPacks  # noqa: E402
from scanner.sources.git import HistorySource  # noqa: E402


def report(repo: Path, jobs: int, how: str) -> tuple[list[tuple], float]:
    source = HistorySource(repo, max_file_size=DEFAULT_MAX_FILE_SIZE)
    seen = {"whole": WholeBlobs(source), "change": WithoutPacks(source), "pack": source}[how]
    start = time.perf_counter()
    try:
        result = scan(seen, load_rule_pack(), Suppressor(Allowlist()), jobs=jobs)  # type: ignore[arg-type]
    finally:
        source.close()
    seconds = time.perf_counter() - start
    rows = [(f.rule_id, f.file, f.line, f.column, f.secret, f.commit, f.fingerprint) for f in result.findings]
    return rows, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    whole, whole_s = report(args.repo, args.jobs, "whole")
    changed, changed_s = report(args.repo, args.jobs, "change")
    walked, walked_s = report(args.repo, args.jobs, "pack")
    print(f"whole blobs : {len(whole)} findings, {whole_s:.3f} s")
    print(f"by change   : {len(changed)} findings, {changed_s:.3f} s")
    print(f"by pack edit: {len(walked)} findings, {walked_s:.3f} s")
    same = True
    for name, rows in (("change", changed), ("pack edit", walked)):
        if rows != whole:
            same = False
            print(f"REPORTS DIFFER: whole blobs and by {name}")
            for row in sorted(set(whole) ^ set(rows)):
                print(("only whole  " if row in whole else f"only {name} ") + repr(row[:6]))
    if same:
        print("reports identical")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
