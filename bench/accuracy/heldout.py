"""Held-out provider recall: tokens of formats written apart from keysweep's rules.

    python bench/accuracy/heldout.py [--seed N] [--per-format N] [--keep DIR] [-v]

Draws `--per-format` tokens of every format in bench/accuracy/formats.py, plants each in a
line of a file's own syntax (generate.py's syntaxes), assigned to a provider-ish name, a few
to a file among filler lines, and scans the tree with keysweep at `--min-confidence low`.
A token is found when a finding overlaps its line. Prints recall two ways: by any rule,
and by a provider rule (not `generic.*` or `connection-string.*`, which may take a token by
its variable name alone); the second is the held-out figure. `-v` lists every format a
provider rule missed, with its template. Precision is not measured here: these files hold
no decoys.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import formats  # noqa: E402
import generate  # noqa: E402
from score import Hit, run_keysweep  # noqa: E402

NAME_SUFFIXES = ("token", "api_key", "key", "secret")
# Kinds whose one-line assignment carries a token as is (no Kubernetes base64, no multi-line).
KINDS = [kind for kind in generate.FILE_KINDS if kind in generate.FILLERS]
CONTEXT_RULES = ("generic.", "connection-string.")


@dataclass(frozen=True)
class Planted:
    file: str
    line: int
    fmt: formats.Format
    token: str


@dataclass(frozen=True)
class Result:
    planted: tuple[Planted, ...]
    by_any: frozenset[int]  # indexes into planted
    by_provider: frozenset[int]


def build(out: Path, seed: int, per_format: int) -> list[Planted]:
    """Write the files under `out`; return what was planted where."""
    rng = random.Random(seed)
    queue = list(formats.tokens(rng, per_format))
    rng.shuffle(queue)
    planted: list[Planted] = []
    index = 0
    while queue:
        index += 1
        kind = rng.choice(KINDS)
        path = f"h{index:04d}/{rng.choice(generate.FILE_KINDS[kind])}"
        body: list[str] = []
        for _ in range(rng.randint(1, 4)):
            if not queue:
                break
            fmt, token = queue.pop()
            body += [rng.choice(generate.FILLERS[kind]) for _ in range(rng.randrange(0, 3))]
            name = f"{fmt.provider}_{rng.choice(NAME_SUFFIXES)}"
            lines = generate.render(kind, name, token, rng)
            line = len(body) + next(i for i, text in enumerate(lines) if token in text) + 1
            body += lines
            planted.append(Planted(path, line, fmt, token))
        body += [rng.choice(generate.FILLERS[kind]) for _ in range(rng.randrange(1, 3))]
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(body) + "\n", encoding="utf-8")
    return planted


def measure(planted: list[Planted], hits: list[Hit]) -> Result:
    by_place: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, p in enumerate(planted):
        by_place[(p.file, p.line)].append(i)
    by_any: set[int] = set()
    by_provider: set[int] = set()
    for hit in hits:
        for number in range(hit.line, hit.end_line + 1):
            for i in by_place.get((hit.file, number), ()):
                by_any.add(i)
                if not hit.rule.startswith(CONTEXT_RULES):
                    by_provider.add(i)
    return Result(tuple(planted), frozenset(by_any), frozenset(by_provider))


def report(result: Result, verbose: bool) -> None:
    total = len(result.planted)
    names = {p.fmt.name for p in result.planted}
    missed: dict[str, formats.Format] = {}
    for i, p in enumerate(result.planted):
        if i not in result.by_provider:
            missed[p.fmt.name] = p.fmt
    print(f"held-out formats: {len(names)} formats, {total} tokens")
    print(f"recall, any rule:      {len(result.by_any) / total:.3f} ({len(result.by_any)}/{total})")
    print(f"recall, provider rule: {len(result.by_provider) / total:.3f} ({len(result.by_provider)}/{total})")
    print(f"formats with a token missed by provider rules: {len(missed)}/{len(names)}")
    if verbose:
        for name, fmt in sorted(missed.items()):
            print(f"  {name:<46} {fmt.template}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-format", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="keysweep-heldout-") as tmp:
        corpus = args.keep or Path(tmp) / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        planted = build(corpus, args.seed, args.per_format)
        report(measure(planted, run_keysweep(corpus, "--min-confidence", "low")), args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
