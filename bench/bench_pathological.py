"""Confirmation cost on inputs built to make backtracking patterns slow, at two sizes.

Each input is scanned by the whole pack at size N and as the same N bytes twice (medians of --repeat runs,
interleaved); a ratio near 2 means the cost grows linearly with the input, which is
what the pack's patterns must do (a test proves they give the same findings whole and
line by line; scanner.backtrack names the shapes that could not). Prints MB/s too.

    python bench/bench_pathological.py [--size 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from scanner.engine.matcher import Matcher
from scanner.rules import load_rule_pack


def _inputs(keywords: list[str]) -> dict[str, Callable[[int], bytes]]:
    def every_keyword(fill: str) -> Callable[[int], bytes]:
        # Every keyword once, its run as long as the size allows.
        def make(size: int) -> bytes:
            run = fill * max(1, size // len(keywords) // len(fill))
            return "".join(f"{keyword}{run}\n" for keyword in keywords).encode()

        return make

    return {
        "password= lines": lambda size: b"password=\n" * (size // 10),
        "password=password= long lines": lambda size: (b"password=" * 400 + b"\n") * (size // 3601),
        'api_key = "<unterminated run>': lambda size: (b'api_key = "' + b"a1" * 2000 + b"\n") * (size // 4012),
        **{f"every keyword + {fill!r}": every_keyword(fill) for fill in (" ", "a", "A1", "-", "=", ":")},
    }


def _seconds(matcher: Matcher, data: bytes) -> float:
    start = time.perf_counter()
    matcher.scan(data)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000, help="bytes of the smaller input")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pack = load_rule_pack()
    matcher = Matcher(pack)
    matcher.prepare()
    keywords = sorted({keyword for rule in pack for keyword in rule.keywords})
    print(f"{'input':36} {'N MB':>6} {'s(N)':>7} {'s(2N)':>7} {'ratio':>6} {'MB/s':>7}")
    for name, make in _inputs(keywords).items():
        small = make(args.size)
        large = small * 2  # the same content twice: a linear cost doubles
        runs: dict[int, list[float]] = {0: [], 1: []}
        for _ in range(args.repeat):  # interleaved: a busy spell hits both sizes
            runs[0].append(_seconds(matcher, small))
            runs[1].append(_seconds(matcher, large))
        one, two = statistics.median(runs[0]), statistics.median(runs[1])
        ratio = two / one if one else float("nan")
        rate = len(large) / 1e6 / two if two else float("inf")
        print(f"{name:36} {len(small) / 1e6:6.2f} {one:7.3f} {two:7.3f} {ratio:6.2f} {rate:7.2f}")
    if matcher.warnings:
        print("warnings:", *matcher.warnings, sep="\n  ")


if __name__ == "__main__":
    main()
