"""Score keysweep and detect-secrets on the same labelled corpus, in the same run.

    python bench/accuracy/score.py [--seed N] [--files N] [--corpus DIR] [--no-detect-secrets] [-v]

Without `--corpus`, a corpus is generated (bench/accuracy/generate.py) in a temporary
directory. A finding is true when it overlaps a planted secret (same file, overlapping
lines); a finding on a decoy or on nothing is a false positive. Prints, per tool: recall
and precision per class (provider tokens, generic credentials, credential files) and
overall precision.
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


CLASSES = ("provider", "generic", "credfile")
CLASS_NAMES = {"provider": "provider", "generic": "generic", "credfile": "credential files"}
# detect-secrets plugins that find a value by its context, not a provider's token shape.
DETECT_SECRETS_GENERIC = {
    "Secret Keyword",
    "Base64 High Entropy String",
    "Hex High Entropy String",
    "Basic Auth Credentials",
    "Private Key",
    "JSON Web Token",
}


@dataclass(frozen=True)
class Score:
    """Recall per class of planted value; precision per class of finding (a true finding
    takes the class of what it found; a false one, `credfile` in a credential file, else
    the class of the rule that reported it) and overall."""

    tool: str
    recall: dict[str, float]
    precision: dict[str, float]
    overall_precision: float
    findings: int
    false_positives: int
    seconds: float
    missed: tuple[dict, ...]
    wrong: tuple[tuple[Hit, str], ...]


def rule_class(rule: str) -> str:
    """The class of a rule id (keysweep) or a plugin name (detect-secrets)."""
    if rule.startswith("credential-files."):
        return "credfile"
    if rule.startswith(("generic.", "connection-string.")) or rule in DETECT_SECRETS_GENERIC:
        return "generic"
    return "provider"


def run_keysweep(corpus: Path, *options: str) -> list[Hit]:
    """keysweep's findings in `corpus` (`dir`, with `options` too), one hit per place."""
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
            *options,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"keysweep failed ({out.returncode}): {out.stderr.strip()}")
    # A finding is grouped by secret: one hit per place it was seen.
    return [
        Hit(place["file"], place["line"], place["end_line"], f["rule_id"])
        for f in json.loads(out.stdout or "[]")
        for place in f.get("locations") or [f]
    ]


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
    credential_files = {lab["file"] for lab in labels if lab["kind"] == "credfile"}
    found: set[int] = set()
    wrong: list[tuple[Hit, str]] = []
    true: Counter[str] = Counter()
    false: Counter[str] = Counter()
    for hit in hits:
        overlapping = [
            lab for lab in by_file.get(hit.file, ()) if lab["line"] <= hit.end_line and hit.line <= lab["end_line"]
        ]
        planted = [lab for lab in overlapping if lab["kind"] != "decoy"]
        if planted:
            true[planted[0]["kind"]] += 1
            found.update(id(lab) for lab in planted)
        else:
            false["credfile" if hit.file in credential_files else rule_class(hit.rule)] += 1
            wrong.append((hit, overlapping[0]["category"] if overlapping else "-"))

    def recall(kind: str) -> float:
        wanted = [lab for lab in labels if lab["kind"] == kind]
        return sum(id(lab) in found for lab in wanted) / len(wanted) if wanted else 1.0

    def precision(kind: str) -> float:
        return true[kind] / (true[kind] + false[kind]) if true[kind] + false[kind] else 1.0

    missed = tuple(lab for lab in labels if lab["kind"] != "decoy" and id(lab) not in found)
    return Score(
        tool,
        {kind: recall(kind) for kind in CLASSES},
        {kind: precision(kind) for kind in CLASSES},
        sum(true.values()) / len(hits) if hits else 1.0,
        len(hits),
        len(wrong),
        seconds,
        missed,
        tuple(wrong),
    )


def report(scores: list[Score], labels: list[dict], verbose: bool) -> None:
    kinds = Counter(lab["kind"] for lab in labels)
    print(
        f"corpus: {kinds['provider']} provider tokens, {kinds['generic']} generic credentials, "
        f"{kinds['credfile']} in credential files, {kinds['decoy']} decoys, "
        f"{len({lab['file'] for lab in labels})} files"
    )
    print(f"{'':16}{'recall':>30}{'precision':>32}")
    columns = "".join(f"{CLASS_NAMES[kind][:10]:>11}" for kind in CLASSES)
    print(f"{'tool':<16}{columns}{columns}{'overall':>9}{'findings':>10}{'FP':>6}{'time':>8}")
    for s in scores:
        recalls = "".join(f"{s.recall[kind]:>11.3f}" for kind in CLASSES)
        precisions = "".join(f"{s.precision[kind]:>11.3f}" for kind in CLASSES)
        print(
            f"{s.tool:<16}{recalls}{precisions}{s.overall_precision:>9.3f}"
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
