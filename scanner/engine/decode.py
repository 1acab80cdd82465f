"""Secrets inside base64: Kubernetes Secret `data:`, `Authorization: Basic`, `.npmrc _auth`,
docker `config.json` `auth`, and any base64 value assigned to a name.

A base64 value that decodes to readable text is decoded, put back in its line in place of
the encoded run (so `password: <b64>` reads `password: <plain>` and the same context rules
apply), and scanned again with the same matcher, down to `MAX_DEPTH` levels (a Kubernetes
`.dockerconfigjson` holds JSON that holds an `auth` that holds `user:password`). A secret
found that way is reported at the position of the encoded run, with the decoded secret.
Random keys never decode to text, so they are left to the ordinary pass.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import regex

from scanner.engine.entropy import shannon_entropy
from scanner.engine.lines import bounded_line, line_bounds
from scanner.model import Match

__all__ = ["MAX_DEPTH", "MAX_RUNS_PER_LINE", "RUN_PREFIX", "EncodedRun", "Encoded", "find_encoded", "scan_encoded"]

MAX_DEPTH = 2
MAX_ENCODED = 64 * 1024  # longest run decoded
# Runs decoded per line. A decoded run is matched again within its line, so a line of
# thousands of short runs would cost thousands of line scans; a line holds its runs
# whether the blob is read whole or by its change, so this cap, unlike a cap per blob,
# gives the same result however the history is stored. Reaching it is reported.
MAX_RUNS_PER_LINE = 64
_MIN_RUN = 8

# A run of standard base64 where a value starts: after `:` or `=` (YAML, JSON, .env, .npmrc),
# after `Basic`, or after `echo` (shell pipelines into `base64 -d`).
_RUN = regex.compile(
    rb"(?:[:=]|(?i:\bbasic)[ \t]|(?i:\becho)[ \t])[ \t]*[\"']?(?P<run>[A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=_-])"
)
# Matches where every _RUN match that _decode accepts ends (runs never span lines): Hyperscan finds the lines worth
# running _RUN on (scanner.engine.prefilter.LineFinder); the regex alone crawls on big blobs.
# It also asks for what _decode accepts: whole quads, valid padding, then the end of the run,
# and first two characters that can encode the start of text: the first byte printable ASCII,
# tab, newline or CR, then the start of a next character; or a UTF-8 lead byte, then a
# continuation byte. FIRST_PAIR is that condition, written out by first_pair_expression()
# (a test keeps the two equal). Identifiers such as `= textwrap`, `= Envelope` or
# `= Callable` fail it, which leaves a quarter of the lines for the regex in ordinary code.
FIRST_PAIR = (
    rb"(?:C[QSTUVWXcdefgijklmnstuv]|D[QSTUVWXcdef]"
    rb"|[IJKLMNOPQRSTUVWXYZabcde][ACDEFGHMNOPQSTUVWXcdefgijklmnstuvwyz012389+/]"
    rb"|f[ACDEFGHMNOPQSTUVWXcdefgijklmnstuv]|w[opqr4567]|[xyz012345678][IJKLYZabopqr4567]|9[IJKL])"
)
# Fields whose value is always base64 of credentials: docker `config.json` / `.dockercfg`
# `"auth"` (user:password) and `.npmrc` `_auth` / `_password`. Their writers drop the
# padding often enough (hand-made configs, `base64 | tr -d =`, Go's RawStdEncoding) that a
# run there is decoded without it; elsewhere an unpadded run is read as a word (measured
# on /usr/lib/python3*: 13 more runs would decode, all identifiers such as `CloseMatch`
# read as junk).
_UNPADDED_FIELD = rb"(?:\"auth\"[ \t]*:[ \t]*\"|(?<![\w-])_(?:auth|password)[ \t]*=[ \t]*[\"']?)"
_UNPADDED_BEFORE = regex.compile(_UNPADDED_FIELD + rb"\Z")
RUN_PREFIX = (
    rb"(?:[:=]|[bB][aA][sS][iI][cC][ \t]|[eE][cC][hH][oO][ \t])[ \t]*[\"']?"
    + FIRST_PAIR
    + rb"[A-Za-z0-9+/]{2}(?:[A-Za-z0-9+/]{4})+"
    rb"(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?(?:[^A-Za-z0-9+/=_\-]|\z)"
    rb"|" + _UNPADDED_FIELD.replace(rb"(?<![\w-])", b"") + rb"[A-Za-z0-9+/]{8}"
)


@dataclass(frozen=True)
class EncodedRun:
    """A base64 run in the scanned bytes and the text it decodes to."""

    start: int
    end: int
    text: str


def _decode(run: bytes, *, unpadded: bool = False) -> str | None:
    """`unpadded`: the run may lack its `=` padding (a docker / npm auth field)."""
    if len(run) > MAX_ENCODED:
        return None
    if len(run) % 4:
        if not unpadded or len(run) % 4 == 1 or run.endswith(b"="):
            return None
        run += b"=" * (-len(run) % 4)
    try:
        # The run is already plain base64 (the _RUN/RUN_PREFIX alphabet): no second validation.
        raw = binascii.a2b_base64(run)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 4:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not all(c.isprintable() or c in "\n\r\t" for c in text):
        return None
    return text


def first_pair_expression() -> bytes:
    """FIRST_PAIR derived from UTF-8: the base64 character pairs (c0, c1) whose first byte,
    `c0 << 2 | c1 >> 4`, and second byte's top nibble, `c1 & 15`, can begin text that
    _decode accepts. Alternatives group first characters that allow the same second ones."""

    def starts_char(byte: int) -> bool:  # printable ASCII, tab, newline, CR, or a lead byte
        return 0x20 <= byte <= 0x7E or byte in (9, 10, 13) or 0xC2 <= byte <= 0xF4

    def allowed(first: int, second_top: int) -> bool:
        if 0xC2 <= first <= 0xF4:
            return 0x8 <= second_top <= 0xB  # a continuation byte must follow a lead byte
        if not starts_char(first):
            return False
        return any(starts_char(second_top << 4 | low) for low in range(16))

    groups: dict[tuple[int, ...], list[int]] = {}
    for c0 in range(64):
        seconds = tuple(c1 for c1 in range(64) if allowed(c0 << 2 | c1 >> 4, c1 & 0xF))
        if seconds:
            groups.setdefault(seconds, []).append(c0)

    def chars(indices: Sequence[int]) -> str:
        text = "".join(_BASE64_ALPHABET[i] for i in indices)
        return text if len(text) == 1 else f"[{text}]"

    return ("(?:" + "|".join(chars(firsts) + chars(seconds) for seconds, firsts in groups.items()) + ")").encode()


_BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@dataclass(frozen=True)
class Encoded:
    """The runs of an input, and how many more its crowded lines held past the cap."""

    runs: tuple[EncodedRun, ...]
    capped: int = 0


def find_encoded(
    data: bytes, *, per_line: int = MAX_RUNS_PER_LINE, spans: Sequence[tuple[int, int]] | None = None
) -> Encoded:
    """Base64 runs in value position that decode to readable UTF-8 text, at most
    `per_line` on one line.

    `spans`: the only line ranges that can hold a run (from RUN_PREFIX), in order; runs
    never span lines, so searching them alone finds the same runs as searching all.
    """
    runs: list[EncodedRun] = []
    capped = 0
    line_end = -1  # end of the line the last run was on
    on_line = 0
    for pos, endpos in ((0, len(data)),) if spans is None else spans:
        for match in _RUN.finditer(data, pos, endpos):
            start = match.start("run")
            text = _decode(match.group("run"), unpadded=_in_auth_field(data, start))
            if text is None:
                continue
            if start > line_end:
                found = data.find(b"\n", start)
                line_end, on_line = (len(data) if found < 0 else found), 0
            if on_line >= per_line:
                capped += 1
                continue
            on_line += 1
            runs.append(EncodedRun(start, match.end("run"), text))
    return Encoded(tuple(runs), capped)


def _in_auth_field(data: bytes, start: int) -> bool:
    return bool(_UNPADDED_BEFORE.search(data, max(0, start - 24), start))


def _synthesize(data: bytes, run: EncodedRun) -> tuple[bytes, int, int]:
    """The text to scan and where the decoded part sits in it.

    Single-line plain text goes back into its line (keeping the name it was assigned to);
    multi-line text (a whole config file, a PEM block) is scanned on its own.
    """
    decoded = run.text.encode("utf-8")
    if b"\n" in decoded.strip():
        return decoded, 0, len(decoded)
    # Bounded like every line view (scanner.engine.lines): a run on a huge line costs little.
    line_start, line_end, _cut = line_bounds(data, run.start, run.end)
    prefix = data[line_start : run.start]
    text = prefix + decoded + data[run.end : line_end]
    return text, len(prefix), len(prefix) + len(decoded)


def _at_run(data: bytes, run: EncodedRun, found: Match, blob_id: str, line_text: Callable[[int, int], str]) -> Match:
    line_start = data.rfind(b"\n", 0, run.start) + 1
    line = data.count(b"\n", 0, run.start) + 1
    return Match(
        rule_id=found.rule_id,
        blob_id=blob_id,
        start=run.start,
        end=run.end,
        secret=found.secret,
        line=line,
        end_line=line,
        column=len(data[line_start : run.start].decode("utf-8", "replace")) + 1,
        entropy=shannon_entropy(found.secret),
        line_text=line_text(run.start, run.end),
        confidence=found.confidence,
    )


def _by_position(
    run: EncodedRun, inside: Sequence[Match], found: Sequence[Match], takes: Callable[[str, str], str | None]
) -> list[Match]:
    """The run's decoded text as the secret of each positional rule that matched the run
    and finds nothing in its decoded line (single-line text only), at the confidence the
    rule gives the decoded text."""
    text = run.text.strip()
    if "\n" in text:
        return []
    found_by = {m.rule_id for m in found}
    taken = []
    for match in inside:
        confidence = None if match.rule_id in found_by else takes(match.rule_id, text)
        if confidence is not None:
            taken.append(replace(match, secret=text, confidence=confidence))
    return taken


def scan_encoded(
    data: bytes,
    blob_id: str,
    matches: Sequence[Match],
    priorities: Mapping[str, int],
    scan: Callable[[bytes], list[Match]],
    spans: Sequence[tuple[int, int]] | None = None,
    line_text: Callable[[int, int], str] | None = None,
    on_capped: Callable[[int], None] | None = None,
    by_position: Callable[[str, str], str | None] | None = None,
) -> list[Match]:
    """`matches` of the ordinary pass, plus what the decoded runs hold.

    `scan` is the matcher one level deeper. A run already claimed by a provider rule (an
    Elastic key is base64 of `id:key`) is left alone; a context-rule match on a run that
    decodes to text is replaced by what the decoded text yields (nothing, if it is a
    placeholder). `line_text` gives the text kept with a match at a span (default: its
    line, bounded as in scanner.engine.lines). `on_capped` hears how many runs were left
    encoded because their line held more than MAX_RUNS_PER_LINE. `by_position(rule_id,
    text)`: the rule reads a value by its position (a rule with a `path`, such as a
    Kubernetes Secret's `data:` map) and takes `text` (its checks pass; the confidence it
    gives `text`, else None): when its match of the run finds nothing in the decoded line,
    the decoded text itself is its secret.
    """
    text_at = line_text if line_text is not None else lambda start, end: bounded_line(data, start, end)
    kept = list(matches)
    decoded: list[Match] = []
    encoded = find_encoded(data, spans=spans)
    if encoded.capped and on_capped is not None:
        on_capped(encoded.capped)
    for run in encoded.runs:
        overlapping = [m for m in kept if m.start < run.end and m.end > run.start]
        if any(priorities.get(m.rule_id, 0) >= 0 for m in overlapping):
            continue
        text, low, high = _synthesize(data, run)
        found = [m for m in scan(text) if m.start < high and m.end > low]
        # Only a match of the run itself is replaced: a JWT's first segment decodes to JSON,
        # but the token around it is still the finding.
        inside = [m for m in overlapping if m.start >= run.start and m.end <= run.end]
        if inside:
            kept = [m for m in kept if m not in inside]
            if by_position is not None:
                found += _by_position(run, inside, found, by_position)
        seen = {(m.rule_id, m.secret) for m in decoded}
        for match in found:
            if (match.rule_id, match.secret) not in seen:
                seen.add((match.rule_id, match.secret))
                decoded.append(_at_run(data, run, match, blob_id, text_at))
    if not decoded:
        return kept
    return sorted(kept + decoded, key=lambda m: (m.start, m.end, m.rule_id))
