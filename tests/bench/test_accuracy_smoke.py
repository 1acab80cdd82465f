"""A small seeded accuracy run: the generic rules, filters and decoding keep their quality.

The full benchmark is `python bench/accuracy/score.py`; this is its quick guard (a few
dozen files, scanned in process, no detect-secrets).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex

from scanner.engine.matcher import Matcher
from scanner.rules import load_rule_pack
from tests.helpers import import_bench


@pytest.fixture(scope="module")
def bench_modules() -> tuple[object, ...]:
    return import_bench("generate", "score", folder="accuracy")


@pytest.mark.parametrize("seed", [101, 202])
def test_seeded_corpus_meets_thresholds(tmp_path: Path, bench_modules: tuple, seed: int) -> None:
    generate, score = bench_modules
    corpus = tmp_path / "corpus"
    generate.main([str(corpus), "--seed", str(seed), "--files", "40"])
    labels = json.loads((tmp_path / "corpus.labels.json").read_text())
    rules = load_rule_pack()
    matcher = Matcher(rules)
    # Rules with a `path` report only in files of their name (as scanner.findings does).
    scopes = {rule.id: regex.compile(rule.path) for rule in rules if rule.path}
    path_only = [rule for rule in rules if not rule.pattern]
    hits = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        rel = path.relative_to(corpus).as_posix()
        for match in matcher.scan(path.read_bytes()):
            scope = scopes.get(match.rule_id)
            if scope is None or scope.search(rel):
                hits.append(score.Hit(rel, match.line, match.end_line, match.rule_id))
        hits += [score.Hit(rel, 1, 1, rule.id) for rule in path_only if scopes[rule.id].search(rel)]
    result = score.score("keysweep", hits, labels, 0.0)
    kinds = {label["kind"] for label in labels}
    assert kinds == {"provider", "generic", "credfile", "decoy"}
    assert result.recall["provider"] >= 0.97, result.missed
    assert result.recall["generic"] >= 0.93, result.missed
    assert result.recall["credfile"] >= 0.90, result.missed
    assert result.overall_precision >= 0.99, result.wrong
