"""Audit of change scanning (scanner.engine.delta) on a real history: the report with
versions matched by their change must equal the report with every blob matched whole.

Both runs go through scan() with the history's BlobRefs; the whole-blob run drops each
ref's base. Prints both reports' sizes, whether they are equal, and each run's time.

    python bench/change_audit.py REPO [--jobs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.findings import Suppressor  # noqa: E402
from scanner.model import BlobRef  # noqa: E402
from scanner.rules import Allowlist, load_rule_pack  # noqa: E402
from scanner.scan import scan  # noqa: E402
from scanner.sources import DEFAULT_MAX_FILE_SIZE  # noqa: E402
from scanner.sources.git import GitBlobReader, history_refs  # noqa: E402


def report(repo: Path, jobs: int, whole: bool) -> tuple[list[tuple], float]:
    refs = list(history_refs(repo, max_file_size=DEFAULT_MAX_FILE_SIZE))
    if whole:
        refs = [replace(ref, base=None) if isinstance(ref, BlobRef) else ref for ref in refs]
    start = time.perf_counter()
    result = scan(refs, load_rule_pack(), Suppressor(Allowlist()), jobs=jobs, reader=GitBlobReader(repo))
    seconds = time.perf_counter() - start
    rows = [(f.rule_id, f.file, f.line, f.column, f.secret, f.commit, f.fingerprint) for f in result.findings]
    return rows, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    refs = [r for r in history_refs(args.repo, max_file_size=DEFAULT_MAX_FILE_SIZE) if isinstance(r, BlobRef)]
    based = sum(1 for ref in refs if ref.base)
    print(f"{args.repo}: {len(refs)} blobs, {based} matched by their change")
    changed, changed_s = report(args.repo, args.jobs, whole=False)
    whole, whole_s = report(args.repo, args.jobs, whole=True)
    print(f"whole blobs : {len(whole)} findings, matching {whole_s:.3f} s")
    print(f"by change   : {len(changed)} findings, matching {changed_s:.3f} s")
    same = changed == whole
    print("reports identical" if same else "REPORTS DIFFER")
    if not same:
        for row in sorted(set(whole) ^ set(changed)):
            print(("only whole  " if row in whole else "only change ") + repr(row[:6]))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
