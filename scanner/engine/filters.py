"""Named predicates that void a candidate: placeholders, templates, references, hashes, code.

Each takes the secret (and the line it sits on) and returns True when the candidate
is not a real credential. A rule with `filters = true` gets the `default` set; a rule
may instead list the filters (or groups) it wants, e.g. `filters = ["generic"]`, which
is how context rules for prefix-less credentials ask for the stricter checks.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import regex

__all__ = [
    "FILTERS",
    "FILTER_GROUPS",
    "DEFAULT_FILTERS",
    "english_like",
    "rejection",
    "resolve_filters",
    "word_letters",
]


class _Lazy:
    """A regex compiled on first use: importing the filters (every scan, every pre-commit
    run) compiles none of the dozens below, and a scan compiles only those it needs."""

    __slots__ = ("_source", "_compiled")

    def __init__(self, source: str) -> None:
        self._source = source
        self._compiled: regex.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = regex.compile(self._source)
        return getattr(compiled, name)


# Compiled once: module-level regex calls look their pattern up in a cache on every call.
_SRI_HASH = _Lazy(r"^sha(?:1|256|384|512)-[A-Za-z0-9+/]{20,}={0,2}$")
_VOWEL = _Lazy(r"[aeiouy]")
_MEMBER_SEPARATOR = _Lazy(r"\.|::|->|\?\.")
_LOWER_IDENTIFIER = _Lazy(r"^[a-z_$][a-z0-9_$]*$")
_ONE_LETTER = _Lazy(r"^[a-z_$]$")
_SUBSCRIPT = _Lazy(r"[A-Za-z_)\]]\[-?\w+\]")
_DOTTED_NAME = _Lazy(r"^[A-Za-z_$][\w$]*(?:(?:\.|::|->|\?\.)[A-Za-z_$][\w$]*)+(?:\(\)?)?$")
_CONCATENATION = _Lazy(r"[\"'`]\s*(?:\+|\.\s|\|\||~|<<)")
_PRIVATE_NAME = _Lazy(r"^_[A-Za-z][A-Za-z0-9]*$")
_SNAKE_CASE = _Lazy(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_NOT_WORDISH = _Lazy(r"[^A-Za-z@$!0-9]")
_TRAILING_DIGITS = _Lazy(r"[\d!._#-]+$")
_NOT_NAME_CHAR = _Lazy(r"[^A-Za-z0-9_.:\- ]")
_ANY_VOWEL = _Lazy(r"[aeiouyAEIOUY]")
_CONSONANT_RUN = _Lazy(r"(?i)[^aeiouy]{5,}")
_KEY_OR_NAME_BEFORE = _Lazy(r"(?i)\b(?:key|name)[\"']?\s*[:=]\s*[\"']?([\w.-]+)[^\n]*$")
_BASE64_ONLY = _Lazy(r"^[A-Za-z0-9+/]+={0,2}$")

Predicate = Callable[[str, str], bool]

_PLACEHOLDER_WORDS = _Lazy(
    r"(?i)(?:your[_\-. ]?|my[_\-](?:api|secret|token|key|pass)|(?-i:my(?:Api|Secret|Token|Key|Pass))|insert|replace|enter[_\-]|"
    r"placeholder|changeme|change[_\-]me|redacted|dummy|sample|example|fake|mock|[_\-]here$|"
    r"<[^>]*>|\bnull\b|\bnone\b|\btodo\b|\*{3}|\.{3}|…)"
)
# `xxx` as a placeholder is a run, not three letters: `xxxx…`, `XXXX-XXXX`, `xxx_xxx`. A
# random base62 token holds `xxx` in some case about once in a thousand, `xxxx` once in a
# million; a mask is mostly x's (`sk_live_xxxxxxxxxxxx`, `AKIAXXXXXXXXXXXXXXXX`).
_X_RUN = _Lazy(r"(?i)x{4,}|x{3}[^a-z0-9]+x{3}")
_X_OR_STAR = _Lazy(r"[xX*]")
# `$NAME` counts as a reference only where it starts the value: a password may hold a `$`.
_TEMPLATE = _Lazy(
    r"\$\{|\$\(|\{\{|\}\}|\{%|<%|%\(\w+\)s|#\{|^\$[A-Za-z_][A-Za-z0-9_]*(?:$|[/:.\\])|%[A-Z_][A-Z0-9_]+%|"
    r"@@\w+@@|__[A-Z_]+__|^@[A-Za-z_][\w.]*@$|\{[A-Za-z_][^{}]*\}|%env\(|\{\d+\}"
)
_REFERENCE = _Lazy(
    r"(?i)(?:os\.environ|os\.getenv|getenv\(|process\.env|env\[|ENV\[|System\.getenv|"
    r"secrets\.|vault:|ref\+|Deno\.env|import\.meta\.env|\bsettings\.|config\.|\bparams\.|"
    r"^arn:aws|^projects/[\w-]+/secrets/|^!(?:Ref|Sub|GetAtt|ImportValue)\b|^keyvault:|^secret://|"
    r"^op://|^sm://|^awssm:|^gcp:|^azure:|^![A-Za-z]\w*$)"
)
# The keys of AWS's documentation and of jwt.io's sample token.
_DOC_KEY = _Lazy(
    r"(?:EXAMPLE|example)(?:KEY)?$|^AKIAIOSFODNN7|wJalrXUtnFEMI/K7MDENG|SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

_UUID = _Lazy(r"(?i)^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$")
_HEX = _Lazy(r"(?i)^(?:0x)?[0-9a-f]+$")
_HASH_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
_HASH_CONTEXT = _Lazy(
    r"(?i)sha-?(?:1|224|256|384|512)|md5|\bhash|_hash|hash_|digest|checksum|\bcommit\b|\bsha\b|"
    r"\brev(?:ision)?\b|\betag\b|fingerprint|integrity|\bblob\b|\btree\b|\bparent\b"
)
_PASSWORD_HASH = _Lazy(
    r"^(?:\$2[abxy]?\$\d\d\$|\$argon2(?:id|i|d)\$|\$[156]\$|\$(?:5|6)\$rounds=|\$pbkdf2|\$scrypt\$|"
    r"\$apr1\$|\$y\$|pbkdf2_sha\d+\$|pbkdf2:sha\d+:|scrypt:\d|bcrypt\$|sha1\$|md5\$|argon2\$|"
    r"\{(?:SSHA|SHA|SMD5|MD5|CRYPT|SSHA256|SSHA512|PBKDF2[\w-]*)\})"
)
_PREFIXED_DIGEST = _Lazy(r"(?i)^(?:sha(?:1|224|256|384|512)|md5|blake2b?|xxh\d*)[:=-][A-Za-z0-9+/=_-]{16,}$")
_DATA_URI = _Lazy(r"(?i)data:[\w.+-]+/[\w.+-]+(?:;[\w=.-]+)*;base64,")
_PUBLIC_MATERIAL = _Lazy(
    r"(?:^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2)\b|"
    r"-----BEGIN (?:RSA |EC |PGP )?PUBLIC KEY|-----BEGIN CERTIFICATE|-----BEGIN X509 CRL|"
    r"-----BEGIN CERTIFICATE REQUEST|^age1[0-9a-z]{58}$|^npub1|^pk_(?:live|test)_|^pk\.eyJ)"
)
# Random base64 may hold `/`: a path here starts like one, or is lowercase words, or ends in
# a file extension.
_PATH = _Lazy(
    r"^(?:~|\.{1,2})?/[a-z0-9_.-]{2,}(?:/|$)|^(?:~|\.{1,2})/|^[A-Za-z]:\\|^\\\\|^file:|"
    r"^[a-z0-9_.-]+(?:/[a-z0-9_.-]+)+/?$|"
    r"\.(?:pem|key|crt|cer|der|p12|pfx|jks|keystore|json|ya?ml|txt|env|conf|cfg|ini|pub|asc|gpg|"
    r"toml|xml|properties|sh|py|js|ts)$"
)
_URL = _Lazy(r"(?i)^[a-z][a-z0-9+.-]{1,20}://")
_URL_CREDENTIALS = _Lazy(r"(?i)^[a-z][a-z0-9+.-]{1,20}://[^/\s@]*:[^/\s@]+@")
_CODE = _Lazy(
    r"^(?:[A-Za-z_$][\w$]*)(?:(?:\.|::|->|\?\.)[A-Za-z_$][\w$]*)+(?:\(\)?)?$|"
    r"^[A-Za-z_$][\w$.]*\(|^(?:new|await|this|self|ctx|req|request|res|args|opts|options|kwargs|props)\b[.\[(]|"
    r"^[A-Za-z_][\w.]*\[['\"]?\w+['\"]?\]$|^@?[A-Za-z_][\w.]*\.(?:get|fetch|read|load|lookup)\w*$"
)
_LITERAL = _Lazy(
    r"(?i)^(?:true|false|yes|no|on|off|null|nil|none|undefined|nan|empty|required|optional|"
    r"string|str|int|bool|boolean|secret|password|token|env|[-+]?\d+(?:\.\d+)?[kmgs]?)$"
)
_ENCRYPTED = _Lazy(
    r"^(?:ENC\[|vault:v\d+:|\$ANSIBLE_VAULT|AQICAH|kms:|encrypted:|ENC\(|\{cipher\}|!vault\b|!encrypted)"
)
# Words that fixtures and docs use instead of a real credential; `normalized` folds l33t.
_FAKE_WORDS = frozenset(
    """password passwd pass passphrase pwd secret secrets token apikey api key keys test tests
    testing tester admin administrator root toor guest user username usr changeme changeit letmein
    welcome qwerty default demo sample example foo bar baz foobar qux hunter hunter2 abc abcd abcdef
    iloveyou monkey dragon master login postgres postgresql mysql mariadb mongo mongodb redis
    rabbitmq oracle sa dev development local localhost temp tmp none null nil empty blank nopass
    nopassword mypassword mypass mysecret mytoken myapikey secretkey secretpassword supersecret
    private public insecure unsafe notasecret notsecret notreal invalid wrong incorrect bogus
    fake dummy mock fixture stub placeholder value here some the a an my your our not real
    super very strong weak new old valid good bad correct access auth credential credentials
    pw app application service db database server client django flask rails spring debug
    docker kube kubernetes jenkins sonar grafana elastic kibana minio rabbit airflow deadbeef cafebabe
    feedface secure insecure sekret secrete topsecret top word""".split()
)
_FAKE_SEGMENT_SPLIT = _Lazy(r"[\W_]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "3": "e", "$": "s", "5": "s", "7": "t", "!": "i"})
_NAME_BEFORE = _Lazy(r"([A-Za-z_$@][\w.$@-]{0,80})[\"'`\]]?\s*(?:=>|:=|=|:|,|\(|>|\s)\s*[\"'`]?$")
# `String::from("`, `SecretStr("`: a constructor around the literal, not its name.
_WRAPPER_BEFORE = _Lazy(
    r"(?:String::from|String::new|Secret(?:String|Box)?::(?:new|from)|Some|new\s+String|Buffer\.from|SecretStr|"
    r"SecretBytes|SecureString|Sensitive|str|bytes|Secret)\(\s*([\"'`]?)$|ConvertTo-SecureString\s+(?:-String\s+)?([\"'`]?)$"
)
# `name: Type = "…"` (Python, TypeScript, Kotlin, Rust `&str`)
_TYPED_NAME_BEFORE = _Lazy(r"([A-Za-z_$@][\w.$@-]{0,80})[\"'`\]]?\s*:\s*&?(?:'static\s+)?[\w.<>\[\]|]+\s*=\s*[\"'`]?$")
_NONSECRET_SEGMENTS = frozenset(
    """public pub publishable site hash hashed digest checksum sha sha1 sha256 md5 fingerprint csrf
    xsrf next page pagination continuation cursor sort partition primary foreign cache lookup i18n
    translation label hint placeholder example sample fake dummy mock max min num count gpg pgp
    idempotency range row kid expected old previous prev confirm confirmation wrong invalid
    bad masked redacted encrypted enc verify verifier challenge nonce state salt field input form
    prompt type name url uri endpoint length policy regex pattern header""".split()
)
_SEGMENTS = _Lazy(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_MINIFIED_HINTS = _Lazy(r"function\s*\(|=>|\bvar\s|\breturn\b|!0|!1|void 0")


def _repeats(text: str) -> bool:
    """`abc123abc123`, `deadbeefdeadbeef`: a short unit over and over."""
    n = len(text)
    return n >= 8 and any(n % k == 0 and text[:k] * (n // k) == text for k in range(1, n // 2 + 1))


def _masked(secret: str) -> bool:
    """`xxxx…` runs, or a value at least half x's and stars: a mask, not a token."""
    if _X_RUN.search(secret):
        return True
    masked = len(_X_OR_STAR.findall(secret))
    return masked >= 3 and 2 * masked >= len(secret)


def is_placeholder(secret: str, line: str) -> bool:
    if _PLACEHOLDER_WORDS.search(secret) or _repeats(secret.lower()) or _masked(secret):
        return True
    core = secret.split("_")[-1] if "_" in secret else secret
    return len(core) >= 6 and len(set(core.lower())) <= (3 if len(core) >= 10 else 2)


def is_templated(secret: str, line: str) -> bool:
    return bool(_TEMPLATE.search(secret))


def is_reference(secret: str, line: str) -> bool:
    return bool(_REFERENCE.search(secret))


def is_documentation_key(secret: str, line: str) -> bool:
    return bool(_DOC_KEY.search(secret))


def is_sequential(secret: str, line: str) -> bool:
    """`abcdef…`, `123456…`, `0123456789abcdef` runs used in docs and tests."""
    lowered = secret.lower()
    for run in ("0123456789", "abcdefghij", "1234567890", "qwertyuiop", "123456789", "abcdefgh"):
        if run in lowered:
            return True
    return False


def is_uuid(secret: str, line: str) -> bool:
    """Identifiers, not credentials, when a context rule is all that found them."""
    return bool(_UUID.match(secret))


def is_hash(secret: str, line: str) -> bool:
    """Password hashes (`$2b$…`, `pbkdf2_sha256$…`), `sha256:…` digests, and hex of a digest's
    length where the line speaks of hashes or commits. A bare hex value assigned to a
    secret's name stays a candidate: many signing keys are hex."""
    if _PASSWORD_HASH.match(secret) or _PREFIXED_DIGEST.match(secret):
        return True
    core = secret[2:] if secret[:2] in ("0x", "0X") else secret
    if _HEX.match(core) and len(core) in _HASH_LENGTHS:
        return bool(_HASH_CONTEXT.search(line))
    return False


def is_integrity(secret: str, line: str) -> bool:
    """Subresource / lockfile integrity values (`sha512-…`)."""
    return bool(_SRI_HASH.match(secret))


def is_data_uri(secret: str, line: str) -> bool:
    return bool(_DATA_URI.search(secret)) or (bool(_DATA_URI.search(line)) and _in_data_uri(secret, line))


def _in_data_uri(secret: str, line: str) -> bool:
    for match in _DATA_URI.finditer(line):
        start = match.end()
        if line.find(secret, start - len(match.group(0))) >= 0 and line.find(secret) >= match.start():
            return True
    return False


def is_public_material(secret: str, line: str) -> bool:
    """Public keys and certificates are meant to be shared."""
    return bool(_PUBLIC_MATERIAL.search(secret))


def is_path(secret: str, line: str) -> bool:
    """`/run/secrets/db`, `./certs/key.pem`, `C:\\keys\\a.pfx`: where a secret lives, not the secret."""
    return bool(_PATH.search(secret)) and not _URL.match(secret)


def is_url(secret: str, line: str) -> bool:
    """A URL without `user:password@` is an endpoint (token endpoints, JWKS URLs)."""
    return bool(_URL.match(secret)) and not _URL_CREDENTIALS.match(secret)


_CODE_WORDS = frozenset(
    "base64 base32 sha1 sha256 sha512 md5 utf8 utf16 int32 int64 uint8 uint32 float32 float64 x509 ec2 s3 "
    "http2 oauth2 i18n k8s http https html xml sql ssh tcp tls rpc grpc".split()
)
# The last word of a type name: `X25519PrivateKey`, `PyCredHandle`, `OAuth2Token`, `PyIID`.
_TYPE_SUFFIXES = frozenset(
    """key keys token tokens handle id iid type types credential credentials secret secrets password
    error config context info data string bytes client provider manager store header value object
    response request params handler factory base interface impl callback""".split()
)
_QUALIFIED_TYPE = _Lazy(r"^(?:[A-Za-z_]\w*\.)*_?(?P<last>[A-Z]\w*)$")


def _random_segment(segment: str) -> bool:
    """Long, mixed case and digits: generated, not named."""
    return (
        len(segment) >= 12
        and any(c.isupper() for c in segment)
        and any(c.islower() for c in segment)
        and any(c.isdigit() for c in segment)
    )


def _identifier_like(word: str) -> bool:
    """`config`, `rust_openssl`, `base64`, `db`: a name someone typed, not generated text."""
    if word.lower() in _CODE_WORDS:
        return True
    digits = sum(c.isdigit() for c in word)
    return digits <= 1 and (len(word) <= 3 or bool(_VOWEL.search(word))) and not _consonant_run(word)


def _code_chain(secret: str) -> bool:
    """`config.db.password`, `base64.decodebytes`, `rust_openssl.hpke.Key`; not `Violet.Salmon7385`."""
    parts = _MEMBER_SEPARATOR.split(secret.rstrip("()"))
    first = parts[0]
    if _LOWER_IDENTIFIER.match(first) and len(first) > 1 and _identifier_like(first):
        return True
    if any(_random_segment(part) for part in parts):
        return False
    if _ONE_LETTER.match(parts[0]) and len(parts) > 2:
        return True
    digits = [sum(c.isdigit() for c in part) for part in parts if part.lower() not in _CODE_WORDS]
    return not any(digits)


def is_code(secret: str, line: str) -> bool:
    """`user.password`, `get_token()`, `args.api_key`, `request["token"]`: code, not a literal."""
    if _SUBSCRIPT.search(secret):
        return True
    if _CODE.match(secret):
        if _DOTTED_NAME.match(secret):
            return _code_chain(secret)
        return True
    position = line.rfind(secret)
    if position < 0:
        return False
    after = line[position + len(secret) : position + len(secret) + 1]
    before = line[max(0, position - 1) : position]
    if before in ("'", '"', "`"):
        # `"ATCTT3x" + rand()`: the start of a value built at run time, not a value.
        return bool(_CONCATENATION.match(line[position + len(secret) :]))
    # Unquoted `_Private` or snake_case (`cl_api_key=cl_api_key`, `RC2_KEY = rc2_key_st`): a name.
    if after in ("(", "[", ".") or _PRIVATE_NAME.match(secret):
        return True
    return bool(_SNAKE_CASE.match(secret)) and all(_identifier_like(part) for part in secret.split("_"))


def is_type_name(secret: str, line: str) -> bool:
    """`x25519.X25519PrivateKey`, `_win32typing.PyCredHandle`, `OAuth2Token`: an annotation's type."""
    match = _QUALIFIED_TYPE.match(secret)
    if not match:
        return False
    words = _SEGMENTS.findall(match["last"])
    return len(words) >= 2 and words[-1].lower() in _TYPE_SUFFIXES


def is_literal(secret: str, line: str) -> bool:
    """Booleans, numbers, null, type names."""
    return bool(_LITERAL.match(secret))


def is_encrypted(secret: str, line: str) -> bool:
    """SOPS `ENC[…]`, Vault transit `vault:v1:…`, Ansible vault: ciphertext meant to be committed;
    a FileZilla password under a master password (`<Pass encoding="crypt" …>`)."""
    return bool(_ENCRYPTED.match(secret)) or 'encoding="crypt"' in line


def _normalized(text: str) -> str:
    return text.lower().translate(_LEET)


def is_fake(secret: str, line: str) -> bool:
    """`password123`, `changeme`, `test-token`, `not-a-real-secret`: every word of the value is a
    word fixtures use (numbers and a trailing `!` are ignored)."""
    segments = [s for s in _FAKE_SEGMENT_SPLIT.split(secret) if s]
    words = [s for s in segments if not s.isdigit()]
    if not words:
        return False
    if all(_normalized(w) in _FAKE_WORDS or w.lower() in _FAKE_WORDS for w in words):
        return True
    letters = _NOT_WORDISH.sub("", secret)
    stripped = _TRAILING_DIGITS.sub("", letters)
    if not stripped:
        return False
    return _fake_compound(_normalized(stripped)) or _fake_compound(stripped.lower())


def _fake_compound(text: str) -> bool:
    """`testpassword`, `mysupersecretkey`: the letters split into fixture words."""
    if not text.isalpha() or len(text) > 40:
        return False
    ok = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        ok[end] = any(ok[start] and text[start:end] in _FAKE_WORDS for start in range(max(0, end - 14), end - 1))
    return ok[-1]


_WORD_SEGMENTS = _Lazy(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_VOWELS_OR_NOT = _Lazy(r"[aeiouy]+|[^aeiouy]+")
# English syllables: the consonants that may open one (`str`-ing) and close one (-`nts`).
# Between two vowels a run of consonants must split into a close and an open (`co-mp-o-n-e-nt`
# is com·po·nent). Random letters break this within a few letters (`kqvz…`): 2% of random
# 12-letter strings pass, 0.2% of 20-letter ones, against nine in ten everyday words.
_ONSETS = frozenset(
    """b c d f g h j k l m n p q r s t v w x y z bl br ch cl cr dr fl fr gl gr kl kn ph pl pr sc sch
    scr sh shr sk sl sm sn sp spl spr st str sw th thr tr tw wh wr gn ps pn rh qu squ sq dw gh ts ks""".split()
)
_CODA_BASE = frozenset(
    """b c d f g h k l m n p r s t v w x z ck ct ft ld lf lk lm lp lt mp nd ng nk nt ns pt rb rc rd rf
    rg rk rl rm rn rp rs rt sh sk sp ss st th ch tch ll ff zz gh ght nch rch rst lth mb gn wn wl wd nth
    xt rth dth mpt ngth nc lg sc pr gr tr cr br dr fr pl bl cl fl gl sl tl dl rv lv rz nz nx rx lx mn pp tt dd
    bb gg mm nn rr cc""".split()
)
# A close may take a plural `s` (`-nds`), and a single consonant a `t` (`-pt`, `-xt`).
_CODAS = _CODA_BASE | {c + "s" for c in _CODA_BASE} | {c + "t" for c in _CODA_BASE if len(c) == 1}


def _cluster_fits(cluster: str, first: bool, last: bool) -> bool:
    if first and last:
        return len(cluster) <= 1 or cluster in _ONSETS or cluster in _CODAS
    if first:
        return cluster in _ONSETS
    if last:
        return cluster in _CODAS
    return any(
        (not cluster[:i] or cluster[:i] in _CODAS) and (not cluster[i:] or cluster[i:] in _ONSETS)
        for i in range(len(cluster) + 1)
    )


def english_like(segment: str) -> bool:
    """Letters that read as English syllables (`component`, `mount`, `password`), as against
    random letters (`kqvzmxwp`, `hobxqtrz`). Three letters or fewer always pass (`db`, `ssl`)."""
    lowered = segment.lower()
    if len(lowered) <= 3:
        return True
    parts = _VOWELS_OR_NOT.findall(lowered)
    if not any(part[0] in "aeiouy" for part in parts):
        return False
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if part[0] in "aeiouy":
            if len(part) > 3:
                return False
        elif not _cluster_fits(part, index == 0, index == last):
            return False
    return True


def word_letters(secret: str) -> int:
    """How many characters of `secret` are in words (letter runs of three or more, split at
    case changes, that read as English): `Summer2024!` has 6, `kq7Vz…` none."""
    return sum(len(s) for s in _WORD_SEGMENTS.findall(secret) if len(s) >= 3 and english_like(s))


def is_wordish(secret: str, line: str) -> bool:
    """Letters only, made of pronounceable words or short acronyms (`componentDidMount`,
    `HTTPPasswordMgr`, `my-db-pass`): a context rule wants a digit, a symbol, or letters
    that are random (`KxPqMzRtWvYb`)."""
    if _NOT_NAME_CHAR.search(secret) or sum(c.isdigit() for c in secret) > 1:
        return False
    if secret[-1:].isdigit():
        return False
    segments = _WORD_SEGMENTS.findall(secret)
    if not segments:
        return False
    letters = sum(len(s) for s in segments)
    if letters / len(segments) < 3.5 or sum(len(s) == 1 for s in segments) > 1:
        return False  # case flips every few letters: random, not words
    wordy = sum(len(s) for s in segments if (s.isupper() and len(s) <= 4) or _wordy_segment(s))
    return wordy >= 0.8 * letters


def _wordy_segment(segment: str) -> bool:
    """A vowel and no long consonant run; past seven letters (abbreviations such as
    `kwargs`, `getattr` are shorter) it must read as English: a random lower-case token is
    one long segment, and most such tokens have a vowel and no five consonants in a row."""
    if len(segment) < 2 or not _ANY_VOWEL.search(segment) or _consonant_run(segment):
        return False
    return len(segment) <= 7 or english_like(segment)


def _consonant_run(segment: str) -> bool:
    return bool(_CONSONANT_RUN.search(segment))


def is_nonsecret_name(secret: str, line: str) -> bool:
    """The value is assigned to `public_key`, `csrf_token`, `max_tokens`, `cache_key`,
    `encrypted_password`…: a word of the name says this is not a credential."""
    position = line.rfind(secret)
    if position <= 0:
        return False
    before = _WRAPPER_BEFORE.sub(r"\1", line[max(0, position - 160) : position])
    match = _TYPED_NAME_BEFORE.search(before) or _NAME_BEFORE.search(before)
    if match is None:
        return False
    name = match.group(1)
    if before[: match.start(1)].endswith("::"):
        return True  # `"AWS::ApiGateway::ApiKey": …`: a type name, not a setting
    if name.lower() == "value":
        # `<add key="CsrfToken" value="…">`, `{"name": "NEXT_PAGE_TOKEN", "value": …}`
        paired = _KEY_OR_NAME_BEFORE.search(before[: match.start()])
        name = paired.group(1) if paired else name
    segments = {s.lower() for s in _SEGMENTS.findall(name)}
    return not segments.isdisjoint(_NONSECRET_SEGMENTS)


def is_minified(secret: str, line: str) -> bool:
    """A very long line of dense code: a bundle, where `key:"…"` is data of the program."""
    return len(line) > 800 and len(_MINIFIED_HINTS.findall(line)) >= 3


def is_encoded_noise(secret: str, line: str) -> bool:
    """Base64 that decodes to readable text is an encoding, handled by the decode step, not a
    secret as such (a random key never decodes to text)."""
    if len(secret) < 8 or len(secret) % 4 or not _BASE64_ONLY.match(secret):
        return False
    try:
        raw = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(text) >= 4 and all(c.isprintable() or c in "\n\r\t" for c in text)


FILTERS: Mapping[str, Predicate] = MappingProxyType(
    {
        "placeholder": is_placeholder,
        "template": is_templated,
        "reference": is_reference,
        "documentation-key": is_documentation_key,
        "sequential": is_sequential,
        "uuid": is_uuid,
        "hash": is_hash,
        "integrity": is_integrity,
        "data-uri": is_data_uri,
        "public-material": is_public_material,
        "path": is_path,
        "url": is_url,
        "code": is_code,
        "literal": is_literal,
        "type-name": is_type_name,
        "encrypted": is_encrypted,
        "fake": is_fake,
        "wordish": is_wordish,
        "nonsecret-name": is_nonsecret_name,
        "minified": is_minified,
        "encoded": is_encoded_noise,
    }
)

DEFAULT_FILTERS: tuple[str, ...] = ("placeholder", "template", "reference", "documentation-key", "sequential")

FILTER_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "default": DEFAULT_FILTERS,
        # Context rules: the value has nothing but its name and its shape to go on.
        "generic": DEFAULT_FILTERS
        + (
            "uuid",
            "hash",
            "integrity",
            "data-uri",
            "public-material",
            "path",
            "url",
            "code",
            "literal",
            "type-name",
            "encrypted",
            "fake",
            "wordish",
            "nonsecret-name",
            "minified",
            "encoded",
        ),
        # Passwords inside URLs / connection strings: the scheme already says what it is.
        "credential": DEFAULT_FILTERS + ("literal", "fake", "encrypted", "hash"),
    }
)


def resolve_filters(names: bool | Iterable[str]) -> tuple[str, ...]:
    """`true` -> the default set, `false` -> none, a list -> those filters and groups, in order.
    Raises KeyError on an unknown name (the rule loader reports it)."""
    if names is True:
        return DEFAULT_FILTERS
    if names is False:
        return ()
    resolved: list[str] = []
    for name in names:  # type: ignore[union-attr]
        for item in FILTER_GROUPS[name] if name in FILTER_GROUPS else (name,):
            if item not in FILTERS:
                raise KeyError(item)
            if item not in resolved:
                resolved.append(item)
    return tuple(resolved)


def rejection(secret: str, line: str, names: bool | Iterable[str] = True) -> str | None:
    """The name of the first filter that voids this candidate, or None."""
    for name in resolve_filters(names):
        if FILTERS[name](secret, line):
            return name
    return None
