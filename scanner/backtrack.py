"""Which patterns a backtracking engine can take exponential or polynomial time on.

The `regex` module backtracks: a pattern that can match one string in many ways (a
repeat inside a repeat, two repeats over the same characters side by side) takes time
exponential or polynomial in the length of a failing input. `risks(pattern)` names such
constructs from the pattern's structure alone, so the answer never depends on a clock.

It recognises the common shapes, not every ambiguous pattern (no such test is both
cheap and complete): a construct it names can backtrack, and repeats with a small bound
(`{0,64}`) are left alone, as their cost per starting position is bounded. The rule pack must have no risks (tests/rules); a user
pattern with an exponential one is refused at load, one with a polynomial one keeps
the time budget (scanner.engine.matcher).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

try:  # Python 3.11+
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

__all__ = ["Risk", "risks"]

# A repeat with at most this many iterations costs a bounded amount per start position.
BIG = 64
# A repeat of this many iterations or more whose body can end in more than one place
# multiplies those choices: exponential in the count.
_MANY = 8

_ALL = (1 << 257) - 1  # bits 0-255: bytes; bit 256: any character above U+00FF
_WIDE = 1 << 256


@dataclass(frozen=True)
class Risk:
    """One construct that can backtrack: `kind` is "exponential" or "polynomial"."""

    kind: str
    what: str


@dataclass(frozen=True)
class _Shape:
    """What a node can match, coarsely: its first and last characters, whether it can
    match nothing, whether its length is unbounded, and the characters that begin an
    iteration of an unbounded repeat it can start with (`head`) or end with (`tail`):
    where the node meets its neighbours, those are the characters two repeats could
    both take. `guard` marks an anchor or lookaround, which decides where tries start."""

    first: int
    last: int
    nullable: bool
    unbounded: bool
    head: int = 0
    tail: int = 0
    guard: bool = False
    # Like `tail`, for any repeat of a varying count, bounded or not: where an iteration
    # of an enclosing repeat could end early (`(?:\\w{1,8}){1,30}` splits a run many ways).
    loose: int = 0


_EMPTY = _Shape(0, 0, True, False)
_GUARD = _Shape(0, 0, True, False, guard=True)


def risks(pattern: str) -> list[Risk] | None:
    """The constructs of `pattern` that can backtrack badly; None when it uses syntax
    outside Python's own (the `regex` module's extensions), which is not analysed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FutureWarning on POSIX classes: not ours to show
            parsed = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    found: list[Risk] = []
    shape = _Walker(found).sequence(list(parsed.data), bool(parsed.state.flags & re.IGNORECASE))
    if shape.head:
        # Tried at every position of a long run of its characters, each try reading the run.
        found.append(Risk("polynomial", "starts with an unbounded repeat"))
    unique = {(risk.kind, risk.what): risk for risk in found}
    return sorted(unique.values(), key=lambda risk: (risk.kind != "exponential", risk.what))


class _Walker:
    def __init__(self, found: list[Risk]) -> None:
        self.found = found

    def sequence(self, items: Sequence[tuple[Any, Any]], fold: bool) -> _Shape:
        shapes = [self.node(op, av, fold) for op, av in items]
        self._adjacent(shapes)
        return _concat(shapes)

    def _adjacent(self, shapes: list[_Shape]) -> None:
        """Two unbounded repeats over shared characters with only optional items between
        them (`\\s*:?\\s*`): a failing match tries every split of the run between them."""
        for i, left in enumerate(shapes):
            if not left.tail:
                continue
            for right in shapes[i + 1 :]:
                if right.guard:
                    break
                if left.tail & right.head:
                    self.found.append(Risk("polynomial", "two unbounded repeats over shared characters in a row"))
                    return
                if not right.nullable:
                    break

    def node(self, op: Any, av: Any, fold: bool) -> _Shape:
        c = sre_constants
        if op is c.LITERAL:
            return _char(_fold(1 << _bit(av), fold))
        if op is c.NOT_LITERAL:
            return _char(_ALL & ~_fold(1 << _bit(av), fold))
        if op is c.ANY:
            return _char(_ALL)
        if op is c.IN:
            return _char(_fold(_class(av), fold))
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
            return self.repeat(op, av, fold)
        if op is c.SUBPATTERN:
            _, add, remove, body = av
            if add & re.IGNORECASE:
                fold = True
            if remove & re.IGNORECASE:
                fold = False
            return self.sequence(list(body.data), fold)
        if op is getattr(c, "ATOMIC_GROUP", None):
            return _atomic(self.sequence(list(av.data), fold))
        if op is c.BRANCH:
            return self.branch([list(b.data) for b in av[1]], fold)
        if op in (c.ASSERT, c.ASSERT_NOT):
            self.sequence(list(av[1].data), fold)
            return _GUARD
        if op is c.GROUPREF_EXISTS:
            _, yes, no = av
            return self.branch([list(yes.data), list(no.data) if no else []], fold)
        if op is c.GROUPREF:
            return _Shape(_ALL, _ALL, True, True)
        return _GUARD if op is c.AT else _EMPTY

    def branch(self, branches: list[list[tuple[Any, Any]]], fold: bool) -> _Shape:
        shapes = [self.sequence(b, fold) for b in branches]
        return _Shape(
            first=_union(s.first for s in shapes),
            last=_union(s.last for s in shapes),
            nullable=any(s.nullable for s in shapes),
            unbounded=any(s.unbounded for s in shapes),
            head=_union(s.head for s in shapes),
            tail=_union(s.tail for s in shapes),
            loose=_union(s.loose for s in shapes),
        )

    def repeat(self, op: Any, av: Any, fold: bool) -> _Shape:
        low, high, body = av
        items = list(body.data)
        inner = self.sequence(items, fold)
        possessive = op is getattr(sre_constants, "POSSESSIVE_REPEAT", None)
        big = high == sre_constants.MAXREPEAT or high > BIG
        loops = big and bool(inner.first) and not possessive
        if (big or high >= _MANY) and not possessive:
            self._iterations(items, inner, fold)
        shape = _Shape(
            first=inner.first,
            last=inner.last,
            nullable=inner.nullable or low == 0,
            unbounded=inner.unbounded or (big and bool(inner.first)),
            head=inner.head | (inner.first if loops else 0),
            tail=inner.tail | (inner.first if loops else 0),
            loose=inner.loose | (inner.first if high > low else 0),
        )
        return _atomic(shape) if possessive else shape

    def _iterations(self, items: list[tuple[Any, Any]], body: _Shape, fold: bool) -> None:
        """A repeat whose body can split one string into iterations in more than one way
        (`(a+)+`, `(\\w+\\s?)*`, `(\\w|\\d)+`) takes time exponential in the string's length."""
        if body.loose & body.first:
            self.found.append(Risk("exponential", "a repeat inside a repeat over the same characters"))
        for op, av in _flatten(items):
            if op is sre_constants.BRANCH and _overlapping([list(b.data) for b in av[1]], fold):
                self.found.append(Risk("exponential", "a repeated alternation whose branches overlap"))


def _overlapping(branches: list[list[tuple[Any, Any]]], fold: bool) -> bool:
    """Two branches that can read the same string: their first characters meet, and
    neither needs a character the other can never read (`[a-z]+: .*` and `[a-z0-9]+`
    start alike, but only one takes ': ')."""
    quiet = _Walker([])
    shapes = [(quiet.sequence(b, fold), _needs(quiet, b, fold), _reads(b, fold)) for b in branches]
    for i, (a, a_needs, a_reads) in enumerate(shapes):
        for b, b_needs, b_reads in shapes[i + 1 :]:
            if a.first & b.first and not a_needs & ~b_reads and not b_needs & ~a_reads:
                return True
    return False


def _needs(walker: _Walker, items: list[tuple[Any, Any]], fold: bool) -> int:
    """Characters every match of the sequence reads: its mandatory single characters."""
    needs = 0
    for op, av in items:
        shape = walker.node(op, av, fold)
        if (
            not shape.nullable
            and not shape.unbounded
            and shape.first == shape.last
            and bin(shape.first).count("1") == 1
        ):
            needs |= shape.first
    return needs


def _reads(items: list[tuple[Any, Any]], fold: bool) -> int:
    """Every character the sequence can read anywhere."""
    mask = 0
    for op, av in items:
        c = sre_constants
        if op is c.LITERAL:
            mask |= _fold(1 << _bit(av), fold)
        elif op is c.NOT_LITERAL or op is c.ANY or op is c.GROUPREF:
            mask |= _ALL
        elif op is c.IN:
            mask |= _fold(_class(av), fold)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
            mask |= _reads(list(av[2].data), fold)
        elif op is c.SUBPATTERN:
            mask |= _reads(list(av[3].data), fold or bool(av[1] & re.IGNORECASE))
        elif op is c.BRANCH:
            mask |= _union(_reads(list(b.data), fold) for b in av[1])
        elif op is getattr(c, "ATOMIC_GROUP", None):
            mask |= _reads(list(av.data), fold)
    return mask


def _flatten(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The items of a sequence, groups opened (a branch inside a group is still at the top)."""
    out = []
    for op, av in items:
        if op is sre_constants.SUBPATTERN:
            out.extend(_flatten(list(av[3].data)))
        else:
            out.append((op, av))
    return out


def _atomic(shape: _Shape) -> _Shape:
    """An atomic group or possessive repeat never gives back what it took: no splits to try."""
    return replace(shape, head=0, tail=0, loose=0)


def _concat(shapes: list[_Shape]) -> _Shape:
    def edge(ordered: list[_Shape], field: str) -> int:
        out = 0
        for shape in ordered:
            if shape.guard:
                break
            out |= getattr(shape, field)
            if not shape.nullable:
                break
        return out

    return _Shape(
        first=edge(shapes, "first"),
        last=edge(shapes[::-1], "last"),
        nullable=all(s.nullable for s in shapes),
        unbounded=any(s.unbounded for s in shapes),
        head=edge(shapes, "head"),
        tail=edge(shapes[::-1], "tail"),
        loose=edge(shapes[::-1], "loose"),
        guard=bool(shapes) and all(s.guard or s == _EMPTY for s in shapes) and any(s.guard for s in shapes),
    )


def _char(mask: int) -> _Shape:
    return _Shape(mask, mask, False, False)


def _union(masks: Any) -> int:
    out = 0
    for mask in masks:
        out |= mask
    return out


def _bit(code: int) -> int:
    return code if code < 256 else 256


def _fold(mask: int, fold: bool) -> int:
    if not fold:
        return mask
    for upper in range(ord("A"), ord("Z") + 1):
        lower = upper + 32
        if mask >> upper & 1 or mask >> lower & 1:
            mask |= 1 << upper | 1 << lower
    return mask


def _range(low: int, high: int) -> int:
    mask = 0
    if low < 256:
        mask |= ((1 << (min(high, 255) + 1)) - 1) & ~((1 << low) - 1)
    if high >= 256:
        mask |= _WIDE
    return mask


# Rules are compiled as bytes: the classes are ASCII.
_DIGIT = _range(48, 57)
_WORD = _DIGIT | _range(65, 90) | _range(97, 122) | 1 << 95
_SPACE = _range(9, 13) | 1 << 32
_CATEGORIES = {
    "CATEGORY_DIGIT": _DIGIT,
    "CATEGORY_NOT_DIGIT": _ALL & ~_DIGIT,
    "CATEGORY_WORD": _WORD,
    "CATEGORY_NOT_WORD": _ALL & ~_WORD,
    "CATEGORY_SPACE": _SPACE,
    "CATEGORY_NOT_SPACE": _ALL & ~_SPACE,
}


def _class(items: list[tuple[Any, Any]]) -> int:
    mask = 0
    negate = False
    for op, av in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            mask |= 1 << _bit(av)
        elif op is sre_constants.RANGE:
            mask |= _range(*av)
        elif op is sre_constants.CATEGORY:
            mask |= _CATEGORIES.get(str(av), _ALL)
        else:
            mask |= _ALL  # charset/bigcharset forms: assume anything
    return _ALL & ~mask | (_WIDE if negate else 0) if negate else mask
