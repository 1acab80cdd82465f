"""Score keysweep and detect-secrets on the same labelled corpus, in the same run.

    python bench/accuracy/score.py [--seed N] [--files N] [--corpus DIR] [--no-detect-secrets] [-v]

Without `--corpus`, a corpus is generated (bench/accuracy/generate.py) in a temporary
directory. A finding is true when it overlaps a planted secret (same file, overlapping
lines); a finding on a decoy or on nothing is a false positive. Prints, per tool:
provider-token recall, generic-credential recall, precision.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import generate  # noqa: E402


@dataclass(frozen=True)
class Hit:
    file: str
    line: int
    end_line: int
    rule: str


@dataclass(frozen=True)
class Score:
    tool: str
    provider_recall: float
    generic_recall: float
    precision: float
    findings: int
    false_positives: int
    seconds: float
    missed: tuple[dict, ...]
    wrong: tuple[tuple[Hit, str], ...]


def run_keysweep(corpus: Path) -> list[Hit]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "scanner",
            "dir",
            str(corpus),
            "--format",
            "json",
            "--no-redact",
            "--no-gitignore",
            "--no-progress",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"keysweep failed ({out.returncode}): {out.stderr.strip()}")
    return [Hit(f["file"], f["line"], f["end_line"], f["rule_id"]) for f in json.loads(out.stdout or "[]")]


def run_detect_secrets(corpus: Path) -> list[Hit]:
    out = subprocess.run(
        ["detect-secrets", "scan", "--all-files", "."], cwd=corpus, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"detect-secrets failed ({out.returncode}): {out.stderr.strip()}")
    hits = []
    for filename, results in json.loads(out.stdout)["results"].items():
        for result in results:
            hits.append(Hit(filename, result["line_number"], result["line_number"], result["type"]))
    return hits


def score(tool: str, hits: list[Hit], labels: list[dict], seconds: float) -> Score:
    by_file: dict[str, list[dict]] = defaultdict(list)
    for label in labels:
        by_file[label["file"]].append(label)
    found: set[int] = set()
    wrong: list[tuple[Hit, str]] = []
    true = 0
    for hit in hits:
        overlapping = [
            lab for lab in by_file.get(hit.file, ()) if lab["line"] <= hit.end_line and hit.line <= lab["end_line"]
        ]
        planted = [lab for lab in overlapping if lab["kind"] != "decoy"]
        if planted:
            true += 1
            found.update(id(lab) for lab in planted)
        else:
            wrong.append((hit, overlapping[0]["category"] if overlapping else "-"))

    def recall(kind: str) -> float:
        wanted = [lab for lab in labels if lab["kind"] == kind]
        return sum(id(lab) in found for lab in wanted) / len(wanted) if wanted else 1.0

    missed = tuple(lab for lab in labels if lab["kind"] != "decoy" and id(lab) not in found)
    precision = true / len(hits) if hits else 1.0
    return Score(
        tool, recall("provider"), recall("generic"), precision, len(hits), len(wrong), seconds, missed, tuple(wrong)
    )


def report(scores: list[Score], labels: list[dict], verbose: bool) -> None:
    kinds = Counter(lab["kind"] for lab in labels)
    print(
        f"corpus: {kinds['provider']} provider tokens, {kinds['generic']} generic credentials, "
        f"{kinds['decoy']} decoys, {len({lab['file'] for lab in labels})} files"
    )
    print(
        f"{'tool':<16}{'provider recall':>17}{'generic recall':>16}{'precision':>11}{'findings':>10}{'FP':>6}{'time':>8}"
    )
    for s in scores:
        print(
            f"{s.tool:<16}{s.provider_recall:>17.3f}{s.generic_recall:>16.3f}{s.precision:>11.3f}"
            f"{s.findings:>10}{s.false_positives:>6}{s.seconds:>7.1f}s"
        )
    if not verbose:
        return
    for s in scores:
        print(f"\n== {s.tool}: missed by category")
        for category, n in Counter(m["category"] for m in s.missed).most_common(40):
            print(f"  {n:4}  {category}")
        print(f"== {s.tool}: false positives by decoy category (rule)")
        for (category, rule), n in Counter((c, h.rule) for h, c in s.wrong).most_common(40):
            print(f"  {n:4}  {category:<20} {rule}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--corpus", type=Path, help="an existing corpus (with DIR.labels.json next to it)")
    parser.add_argument("--no-detect-secrets", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="keysweep-bench-") as tmp:
        corpus = args.corpus
        if corpus is None:
            corpus = Path(tmp) / "corpus"
            generate.main([str(corpus), "--seed", str(args.seed), "--files", str(args.files)])
        labels = json.loads((corpus.parent / f"{corpus.name}.labels.json").read_text(encoding="utf-8"))
        scores = []
        started = time.monotonic()
        scores.append(score("keysweep", run_keysweep(corpus), labels, time.monotonic() - started))
        if not args.no_detect_secrets:
            started = time.monotonic()
            scores.append(score("detect-secrets", run_detect_secrets(corpus), labels, time.monotonic() - started))
        report(scores, labels, args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
