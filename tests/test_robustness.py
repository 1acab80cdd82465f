"""Bad input, black-box: one clear line and exit 2, never a traceback, never lost work; and
secrets redacted everywhere. Inputs are built at run time in tmp_path (no literal secrets)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import git, github_token

FORMATS = ("text", "json", "jsonl", "sarif", "csv", "junit", "gitlab", "html")
ROOT = Path(__file__).resolve().parent.parent


def _one_error_line(err: str) -> str:
    """The whole of stderr is one `keysweep: error:` line, and no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("keysweep: error: "), err
    assert "internal error" not in lines[0], err
    return lines[0]


def _popen(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "scanner", *args], env=env, **kwargs)  # type: ignore[call-overload]


def _leaky_file(path: Path, seed: int = 1) -> str:
    token = github_token(seed)
    path.write_text(f'token = "{token}"\n')
    return token


# --- options ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["0", "-1", "abc", "", "inf", "nan", "1e400", "0.1", "1e30", "2000G"])
def test_bad_max_file_size_is_one_line_naming_the_option(cli, size: str) -> None:
    result = cli(["stdin", f"--max-file-size={size}"], stdin=b"x")
    assert result.code == 2
    assert "--max-file-size" in _one_error_line(result.err)


@pytest.mark.parametrize("size", ["1.5G", "1024G", "10MB", "0.5k", "2048"])
def test_good_max_file_size_even_a_huge_one_reads_stdin(cli, size: str) -> None:
    # read(max_file_size + 1) in one call used to allocate the whole limit: MemoryError at 1024G.
    result = cli(["stdin", "--format", "json", f"--max-file-size={size}"], stdin=github_token(5).encode())
    assert result.code == 1, result.err
    assert len(json.loads(result.out)) == 1


@pytest.mark.parametrize("args", [["--jobs", "0"], ["--jobs", "1000"], ["--exit-code", "256"], ["--format", "xml"]])
def test_out_of_range_options(cli, tmp_path: Path, args: list[str]) -> None:
    result = cli(["dir", str(tmp_path), *args])
    assert result.code == 2
    _one_error_line(result.err)


# --- stdin -----------------------------------------------------------------------------


def test_empty_stdin_is_clean(cli) -> None:
    result = cli(["stdin", "--format", "json"], stdin=b"")
    assert (result.code, json.loads(result.out)) == (0, [])


@pytest.mark.parametrize(
    ("data", "said"),
    [(b"a\0b " * 10, "binary"), (b"x" * 3000, "larger than --max-file-size")],
    ids=["binary", "too-large"],
)
def test_stdin_that_is_not_scanned_says_so(cli, data: bytes, said: str) -> None:
    # The whole input was skipped: "no leaks found" alone would be a silent pass.
    result = cli(["stdin", "--max-file-size", "2k"], stdin=data)
    assert result.code == 0
    assert f"keysweep: warning: stdin: {said}" in result.err


def test_closed_stdin_is_one_line() -> None:
    proc = _popen(
        ["stdin"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(0),
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "standard input is closed" in _one_error_line(err.decode())


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_line_endings_and_invalid_utf8(cli, eol: bytes) -> None:
    token = github_token(6).encode()
    data = b"\xc3(\xff junk" + eol + b"\xe9t\xe9" + eol + b"token = '" + token + b"'" + eol
    result = cli(["stdin", "--format", "json"], stdin=data)
    [finding] = json.loads(result.out)
    assert (finding["line"], finding["column"]) == (3, 10)


def test_a_latin1_ff_fe_start_is_not_taken_for_utf16(cli) -> None:
    # "\xff\xfe" is "ÿþ" in Latin-1; with no NUL after it the text cannot be UTF-16.
    data = b"\xff\xfe\xe9 token = '" + github_token(7).encode() + b"'\n"
    result = cli(["stdin", "--format", "json"], stdin=data)
    assert result.code == 1
    assert len(json.loads(result.out)) == 1


def test_real_utf16_with_bom_is_still_read(cli) -> None:
    data = f"token = '{github_token(8)}'\n".encode("utf-16")
    result = cli(["stdin", "--format", "json"], stdin=data)
    assert result.code == 1


def test_invalid_utf8_label_is_shown_escaped_in_every_format(cli, tmp_path: Path) -> None:
    label = os.fsdecode(b"bad\xffname")
    data = f"token = '{github_token(9)}'\n".encode()
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        result = cli(["stdin", "--label", label, "--format", fmt, "-o", str(out)], stdin=data)
        assert result.code == 1, (fmt, result.err)
        text = out.read_text(encoding="utf-8")
        assert "xff" in text and "\udcff" not in text  # SARIF percent-encodes the backslash
    assert json.loads((tmp_path / "report.json").read_text())[0]["file"] == "bad\\xffname"


# --- dir: odd files --------------------------------------------------------------------


def _odd_tree(root: Path) -> dict[str, str]:
    """A tree with a FIFO, a socket, a dangling symlink, a directory named like a file,
    a 2 GB sparse file and names with a newline, an ESC, a leading dash and a non-UTF-8 byte."""
    root.mkdir()
    os.mkfifo(root / "fifo")
    (root / "dangling").symlink_to(root / "nowhere")
    (root / "dir.txt").mkdir()
    with open(root / "sparse.bin", "wb") as handle:
        handle.truncate(2 * 1024**3)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "sock"))
    server.close()
    names = {"newline": "new\nline.txt", "esc": "esc\x1b[31mred.txt", "dash": "-dash.txt"}
    for seed, name in enumerate(names.values(), 20):
        _leaky_file(root / name, seed)
    raw = os.fsencode(str(root)) + b"/bad\xffname.txt"
    with open(raw, "w") as handle:
        handle.write(f"key = '{github_token(30)}'\n")
    return names


def test_odd_tree_scans_in_every_format(cli, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _odd_tree(root)
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        result = cli(["dir", str(root), "--format", fmt, "-o", str(out)])
        assert result.code == 1, (fmt, result.err)
        assert "Traceback" not in result.err and "error" not in result.err
        assert "4 leaks found in 4 files" in result.err
    files = sorted(f["file"] for f in json.loads((tmp_path / "report.json").read_text()))
    # Same spelling as `keysweep git` gives a non-UTF-8 path: strict JSON readers reject lone surrogates.
    assert files == ["-dash.txt", "bad\\xffname.txt", "esc\x1b[31mred.txt", "new\nline.txt"]
    text = (tmp_path / "report.text").read_text()
    assert "\x1b" not in text and "new\\nline.txt" in text
    rows = (tmp_path / "report.csv").read_text()
    assert rows.count("\n") >= 5


@pytest.mark.parametrize("name", ["fifo", "sock", "dangling"])
def test_a_named_path_that_is_not_a_file_is_an_error(cli, tmp_path: Path, name: str) -> None:
    root = tmp_path / "tree"
    _odd_tree(root)
    result = cli(["dir", str(root / name)])
    assert result.code == 2
    _one_error_line(result.err)


def test_dev_zero_is_refused_not_read(cli) -> None:
    result = cli(["dir", "/dev/zero"])
    assert result.code == 2
    assert "keysweep stdin" in _one_error_line(result.err)


def test_leading_dash_file_after_double_dash(cli, tmp_path: Path) -> None:
    _leaky_file(tmp_path / "-x.txt")
    assert cli(["dir", "--", "-x.txt"], cwd=tmp_path).code == 1


def test_unreadable_file_is_a_warning_and_the_rest_is_scanned(cli, tmp_path: Path, monkeypatch) -> None:
    secret_file = tmp_path / "locked.txt"
    _leaky_file(secret_file, 31)
    _leaky_file(tmp_path / "open.txt", 32)
    if os.geteuid() == 0:  # root reads anything: make this one file fail as EACCES would
        real = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self.name == "locked.txt":
                raise PermissionError(13, "Permission denied")
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    else:
        secret_file.chmod(0)
    result = cli(["dir", str(tmp_path), "--format", "json"])
    assert result.code == 1
    assert [f["file"] for f in json.loads(result.out)] == ["open.txt"]
    assert "keysweep: warning: locked.txt: cannot read (Permission denied)" in result.err


# --- output ----------------------------------------------------------------------------


def test_output_into_a_missing_directory_fails_before_scanning(cli, tmp_path: Path) -> None:
    _leaky_file(tmp_path / "a.txt")
    result = cli(["dir", str(tmp_path), "-o", str(tmp_path / "missing" / "r.json")])
    assert result.code == 2
    assert "does not exist" in _one_error_line(result.err)  # and no "leak found" summary: no scan ran


def test_output_to_a_directory(cli, tmp_path: Path) -> None:
    result = cli(["dir", str(tmp_path), "-o", str(tmp_path)])
    assert result.code == 2
    _one_error_line(result.err)


def test_full_disk_on_stdout_is_one_line(tmp_path: Path) -> None:
    _leaky_file(tmp_path / "a.txt")
    with open("/dev/full", "w") as full:
        proc = _popen(["dir", str(tmp_path), "-j", "1"], stdout=full, stderr=subprocess.PIPE)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "cannot write to standard output" in _one_error_line(err.decode())


@pytest.mark.parametrize("fmt", ["text", "jsonl"])
def test_closed_stdout_pipe_keeps_exit_code_and_summary(tmp_path: Path, fmt: str) -> None:
    # `keysweep dir . | head -1`: the reader is gone; findings still mean exit 1, and the summary shows.
    big = tmp_path / "many.txt"
    big.write_text("".join(f"t{i} = '{github_token(i)}'\n" for i in range(300)))
    proc = _popen(["dir", str(big), "--format", fmt, "-j", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    text = err.decode()
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert proc.returncode == 1, text
    assert "300 leaks found" in text


def test_closed_stdout_pipe_on_rules_list() -> None:
    proc = _popen(["rules", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert b"Traceback" not in err and b"Exception ignored" not in err


@pytest.mark.parametrize("fmt", FORMATS)
def test_zero_findings_in_every_format(cli, tmp_path: Path, fmt: str) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    result = cli(["dir", str(tmp_path), "--format", fmt])
    assert result.code == 0
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(result.out)
    elif fmt == "jsonl":
        assert result.out == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_redaction_is_consistent_in_every_format(cli, tmp_path: Path, fmt: str) -> None:
    token = _leaky_file(tmp_path / "a.txt", 40)
    redacted = cli(["dir", str(tmp_path), "--format", fmt])
    shown = cli(["dir", str(tmp_path), "--format", fmt, "--no-redact"])
    assert redacted.code == shown.code == 1
    assert token not in redacted.out and token not in redacted.err
    assert token in shown.out and token not in shown.err


# --- baseline and config ---------------------------------------------------------------


def test_baseline_in_other_encodings_and_shapes(cli, tmp_path: Path) -> None:
    scanned = tmp_path / "src"
    scanned.mkdir()
    _leaky_file(scanned / "a.txt", 41)
    report = cli(["dir", str(scanned), "--format", "json"]).out
    jsonl = cli(["dir", str(scanned), "--format", "jsonl"]).out
    good = {
        "utf16.json": report.encode("utf-16"),  # PowerShell `>`
        "bom.json": b"\xef\xbb\xbf" + report.encode(),  # Notepad
        "report.jsonl": jsonl.encode(),
    }
    for name, data in good.items():
        (tmp_path / name).write_bytes(data)
        result = cli(["dir", str(scanned), "--baseline", str(tmp_path / name)])
        assert result.code == 0, (name, result.err)
        assert "1 in baseline" in result.err
    (tmp_path / "empty.json").write_bytes(b"")
    assert cli(["dir", str(scanned), "--baseline", str(tmp_path / "empty.json")]).code == 1


def test_sarif_report_is_a_baseline(cli, tmp_path: Path) -> None:
    scanned = tmp_path / "src"
    scanned.mkdir()
    _leaky_file(scanned / "a.txt", 42)
    sarif = tmp_path / "report.sarif"
    first = cli(["dir", str(scanned), "--format", "sarif", "--output", str(sarif)])
    assert first.code == 1, first.err
    again = cli(["dir", str(scanned), "--format", "json", "--baseline", str(sarif)])
    assert again.code == 0, again.err
    assert json.loads(again.out) == [] and "1 in baseline" in again.err
    # The fingerprint is read from partialFingerprints when the result's properties are gone.
    log = json.loads(sarif.read_text(encoding="utf-8"))
    for result in log["runs"][0]["results"]:
        del result["properties"]
    bare = tmp_path / "bare.sarif"
    bare.write_text(json.dumps(log), encoding="utf-8")
    assert cli(["dir", str(scanned), "--baseline", str(bare)]).code == 0
    # A new secret next to the baselined one is still reported.
    _leaky_file(scanned / "b.txt", 43)
    more = cli(["dir", str(scanned), "--format", "json", "--baseline", str(sarif)])
    assert more.code == 1 and [f["file"] for f in json.loads(more.out)] == ["b.txt"]


def _sarif_log(tool: str, result: dict[str, object]) -> bytes:
    run = {"tool": {"driver": {"name": tool}}, "results": [result]}
    return json.dumps({"version": "2.1.0", "runs": [run]}).encode()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("binary.json", b"\x00\x01\x02\x9f\xff"),
        ("sarif.json", b'{"version": "2.1.0", "runs": []}'),
        ("list.json", b"[1, 2]"),
        ("junk.json", b"not json\n{"),
        ("cut.sarif", b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "keysweep"'),
        ("other.sarif", _sarif_log("gitleaks", {"partialFingerprints": {"keysweep/v1": "ab:cd"}})),
        ("noprint.sarif", _sarif_log("keysweep", {"ruleId": "github.classic-pat"})),
    ],
    ids=["binary", "sarif", "list", "junk", "truncated-sarif", "foreign-sarif", "sarif-no-fingerprint"],
)
def test_bad_baseline_is_one_line(cli, tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    result = cli(["dir", str(tmp_path), "--baseline", str(tmp_path / name)])
    assert result.code == 2
    assert "baseline" in _one_error_line(result.err)


def test_config_with_a_utf8_bom_is_read(cli, tmp_path: Path) -> None:
    _leaky_file(tmp_path / "a.txt")
    config = tmp_path / "conf.toml"
    config.write_bytes(b"\xef\xbb\xbf" + b'[allowlist]\npaths = ["^a\\\\.txt$"]\n')
    result = cli(["dir", str(tmp_path), "--config", str(config)])
    assert result.code == 0, result.err


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\x00\x01\xff\xfe", "not UTF-8"),
        ("disabled_rules = []\n".encode("utf-16"), "UTF-16"),
        (b"rules = 5\n", "rules"),
        (b"[allowlist]\npaths = ['(']\n", "invalid regex"),
    ],
    ids=["binary", "utf-16", "rules-not-tables", "bad-regex"],
)
def test_bad_config_is_one_line(cli, tmp_path: Path, data: bytes, said: str) -> None:
    config = tmp_path / "conf.toml"
    config.write_bytes(data)
    result = cli(["dir", str(tmp_path), "--config", str(config)])
    assert result.code == 2
    assert said in _one_error_line(result.err)


@pytest.mark.parametrize("config", ["/dev/null", "DIR"])
def test_config_that_is_not_a_file(cli, tmp_path: Path, config: str) -> None:
    result = cli(["dir", str(tmp_path), "--config", str(tmp_path) if config == "DIR" else config])
    assert result.code == 2
    _one_error_line(result.err)


def test_hostile_allowlist_path_regex_is_switched_off_not_fatal(cli, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    token = _leaky_file(tmp_path / "src" / ("a" * 40 + "!"), 42)
    config = tmp_path / "conf.toml"
    # The pattern holds a secret-looking literal: the warning must name it by position only.
    config.write_text(f"[allowlist]\npaths = ['^{token}$', '(a|aa)+$']\n")
    result = cli(["dir", str(tmp_path / "src"), "--config", str(config), "--format", "json"])
    assert result.code == 1, result.err
    assert len(json.loads(result.out)) == 1
    assert "allowlist.paths pattern #2 timed out" in result.err
    assert token not in result.err and "Traceback" not in result.err


# --- git -------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    _leaky_file(path / "a.txt", 50)
    (path / "sub").mkdir()
    _leaky_file(path / "sub" / "b.txt", 51)
    git(path, "add", ".")
    git(path, "commit", "-qm", "one")
    return path


def test_git_from_a_subdirectory_a_bare_clone_and_an_empty_repo(cli, repo: Path, tmp_path: Path) -> None:
    assert "2 leaks found" in cli(["git", str(repo / "sub")]).err
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(tmp_path / "bare.git"))
    assert cli(["git", str(tmp_path / "bare.git")]).code == 1
    (tmp_path / "empty").mkdir()
    git(tmp_path / "empty", "init", "-q")
    assert cli(["git", str(tmp_path / "empty")]).code == 0


@pytest.mark.parametrize("what", ["file", "missing", "plain-dir", "truncated", "bad-rev"])
def test_git_on_what_is_not_a_repository_is_one_line(cli, repo: Path, tmp_path: Path, what: str) -> None:
    args = {
        "file": ["git", str(repo / "a.txt")],
        "missing": ["git", str(tmp_path / "nope")],
        "plain-dir": ["git", str(tmp_path / "plain")],
        "truncated": ["git", str(repo)],
        "bad-rev": ["git", str(repo), "--since", "no-such-rev"],
    }[what]
    (tmp_path / "plain").mkdir()
    if what == "truncated":
        (repo / ".git" / "HEAD").write_text("")
    result = cli(args)
    assert result.code == 2
    _one_error_line(result.err)


def test_git_corrupt_pack_is_one_line(cli, repo: Path) -> None:
    git(repo, "gc", "-q")
    [pack] = (repo / ".git" / "objects" / "pack").glob("*.pack")
    data = bytearray(pack.read_bytes())
    for i in range(200, len(data) - 40, 7):
        data[i] ^= 0x55
    pack.chmod(0o644)
    pack.write_bytes(bytes(data))
    result = cli(["git", str(repo)])
    assert result.code == 2
    _one_error_line(result.err)


def test_git_corrupt_loose_object_is_a_warning_and_the_rest_is_reported(cli, repo: Path) -> None:
    oid = git(repo, "rev-parse", "HEAD:a.txt").strip()
    loose = repo / ".git" / "objects" / oid[:2] / oid[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"garbage")
    result = cli(["git", str(repo), "--format", "json"])
    assert result.code == 1
    assert [f["file"] for f in json.loads(result.out)] == ["sub/b.txt"]
    assert "keysweep: warning: a.txt:" in result.err and "Traceback" not in result.err


# --- signals ---------------------------------------------------------------------------


def _interrupt_mid_scan(tmp_path: Path, jobs: str) -> tuple[int, str]:
    """Start a scan of a tree that takes many seconds, Ctrl-C the process group once it
    has started matching (first progress line), return (exit code, stderr)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    # A first batch of tiny files gives the first progress line at once; then the big ones.
    for n in range(300):
        (tree / f"a{n:03}.txt").write_text("hello\n")
    line = "password = 'x{0}y{0}z' # key token secret\n"
    for n in range(24):
        (tree / f"f{n}.py").write_text("".join(line.format(i) for i in range(n * 20000, (n + 1) * 20000)))
    proc = _popen(
        ["dir", str(tree), "-j", jobs, "--progress", "--format", "jsonl"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    seen = b""
    while b"scanning:" not in seen and time.monotonic() < deadline:
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
    time.sleep(0.5)  # into the big files
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    assert b"scanning:" in seen, seen
    return proc.returncode, (seen + rest).decode("utf-8", "replace")


def test_ctrl_c_in_process_scan_exits_130_without_traceback(tmp_path: Path) -> None:
    code, err = _interrupt_mid_scan(tmp_path, "1")
    assert code == 130, err
    assert "Traceback" not in err


def test_ctrl_c_with_workers_exits_130_without_traceback(tmp_path: Path) -> None:
    code, err = _interrupt_mid_scan(tmp_path, "2")
    assert code == 130, err
    assert "Traceback" not in err


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_ctrl_c_swallowed_by_a_destructor_still_stops_the_scan() -> None:
    """Python ignores an exception raised in __del__; CI saw a Ctrl-C land in the regex
    module's destructor and the scan run on for 100 s and exit 1."""
    from scanner.scan import _Interrupt

    class Interrupted:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)  # the handler runs here, inside __del__

    before = signal.getsignal(signal.SIGINT)
    with _Interrupt() as interrupt:
        Interrupted()  # collected at once: the KeyboardInterrupt is printed and dropped
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()  # the next blob stops the scan
    assert signal.getsignal(signal.SIGINT) is before


# --- long lines (matcher) ---------------------------------------------------------------


def test_a_token_after_a_long_line_of_base64_zeros_is_found(cli) -> None:
    """Speed on pathological lines belongs in bench/; this test checks only what is found."""
    token = github_token(60)
    data = b"A" * 500_000 + b" token = '" + token.encode() + b"'\n"
    result = cli(["stdin", "--format", "json", "--no-redact"], stdin=data)
    assert result.code == 1
    assert [f["secret"] for f in json.loads(result.out)] == [token]


def test_many_findings_on_one_line_stay_small_in_memory(tmp_path: Path) -> None:
    big = tmp_path / "one-line.txt"
    big.write_text(" ".join(f"'{github_token(i)}'" for i in range(3000)))  # 130 KB, one line
    probe = (
        "import resource, sys\n"
        "from scanner.cli import main\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"code = main(['dir', {str(big)!r}, '-j', '1', '--format', 'json', '-o', {str(tmp_path / 'r.json')!r}])\n"
        "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(code, grown // 1024)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    code, grown_mb = proc.stdout.decode().split()
    assert code == "1", proc.stderr
    assert int(grown_mb) < 150, f"{grown_mb} MB more to scan 130 KB"


def test_unparsable_webhook_url_is_one_line(cli, tmp_path: Path) -> None:
    _leaky_file(tmp_path / "a.txt")
    result = cli(["dir", str(tmp_path), "--webhook", "http://[::1"])
    assert result.code == 2
    _one_error_line(result.err)


def test_bad_config_on_a_history_scan_stops_git_it_started(cli, tmp_path: Path) -> None:
    """`keysweep git` starts `git log` before loading the config (they overlap); a config
    error must still be one line and exit 2, and leave no git process behind."""
    import gc
    import warnings

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for step in range(30):
        (repo / f"f{step}.txt").write_text(f"line {step}\n" * 200)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"step {step}")
    config = tmp_path / "conf.toml"
    config.write_bytes(b"rules = 5\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        result = cli(["git", str(repo), "--config", str(config)])
        gc.collect()
    assert result.code == 2
    assert "rules" in _one_error_line(result.err)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]
