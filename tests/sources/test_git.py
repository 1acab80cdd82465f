"""The git source against real repositories built in tmp_path."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from scanner.errors import NotARepositoryError, SourceError
from scanner.model import Blob, Skipped
from scanner.sources.git import HistorySource, PushScope, StagedSource, pre_push_scope, repository_label, resolve_repo
from tests.helpers import read_source

MAX = 1_000_000
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def make_token(seed: int) -> str:
    """A GitHub-classic-shaped token built at run time (never a literal in the repo)."""
    rnd = random.Random(seed)
    body = "".join(rnd.choice(_B62) for _ in range(30))
    n = zlib.crc32(body.encode())
    check = ""
    while n:
        n, r = divmod(n, 62)
        check = _B62[r] + check
    return "ghp_" + body + check.rjust(6, "0")


class Repo:
    """A throwaway repository driven by the real git CLI, with fixed identities and dates."""

    def __init__(self, path: Path, *, bare: bool = False) -> None:
        self.path = path
        self.tick = 0
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Alice Example",
            "GIT_AUTHOR_EMAIL": "alice@example.test",
            "GIT_COMMITTER_NAME": "Alice Example",
            "GIT_COMMITTER_EMAIL": "alice@example.test",
        }

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["git", "-C", str(self.path), "-c", "init.defaultBranch=main", *args],
            capture_output=True,
            env=(self.env | (env or {})),
            check=False,
        )
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout.decode("utf-8", "replace").strip()

    def write(self, name: str | bytes, content: str | bytes) -> None:
        path = os.path.join(os.fsencode(self.path), os.fsencode(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content.encode() if isinstance(content, str) else content)

    def commit(self, message: str, *, author: str | None = None) -> str:
        self.tick += 1
        date = f"2021-03-{self.tick:02d}T12:00:00+00:00"
        extra = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        if author:
            extra |= {
                "GIT_AUTHOR_NAME": author,
                "GIT_AUTHOR_EMAIL": f"{author.lower()}@example.test",
            }
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, env=extra)
        return self.git("rev-parse", "HEAD")


@pytest.fixture()
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "repo")
    r.path.mkdir()
    r.git("init", "-q")
    return r


def blobs(items: list[Blob | Skipped]) -> list[Blob]:
    return [i for i in items if isinstance(i, Blob)]


def skipped(items: list[Blob | Skipped]) -> list[Skipped]:
    return [i for i in items if isinstance(i, Skipped)]


def holding(items: list[Blob | Skipped], text: str) -> list[Blob]:
    return [b for b in blobs(items) if text.encode() in b.data]


def history(repo: Repo | Path, **kw: object) -> list[Blob | Skipped]:
    path = repo.path if isinstance(repo, Repo) else repo
    return read_source(HistorySource(path, max_file_size=kw.pop("max_file_size", MAX), **kw))  # type: ignore[arg-type]


def staged_items(path: Path, **kw: object) -> list[Blob | Skipped]:
    return read_source(StagedSource(path, max_file_size=kw.pop("max_file_size", MAX), **kw))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- history


def test_secret_removed_later_is_found_and_attributed_to_the_commit_that_added_it(
    repo: Repo,
) -> None:
    token = make_token(1)
    repo.write("README.md", "hello\n")
    repo.commit("init")
    repo.write("app/config.py", f"# settings\nDEBUG = True\nTOKEN = '{token}'\n")
    added = repo.commit("add config", author="Mallory")
    repo.write("app/config.py", "# settings\nDEBUG = True\nTOKEN = os.environ['TOKEN']\n")
    repo.commit("remove the token")

    found = holding(history(repo), token)
    assert len(found) == 1
    (prov,) = found[0].provenance
    assert prov.path == "app/config.py"
    assert prov.commit == added
    assert prov.author == "Mallory"
    assert prov.email == "mallory@example.test"
    assert prov.date == "2021-03-02T12:00:00+00:00"


def test_every_reachable_blob_once_with_one_provenance_per_path(repo: Repo) -> None:
    repo.write("a.txt", "same content\n")
    first = repo.commit("a")
    repo.write("dir/b.txt", "same content\n")
    repo.commit("b")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("c.txt", "side content\n")
    repo.write("a.txt", "changed on side\n")
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("d.txt", "main content\n")
    repo.commit("d")
    repo.git("merge", "-q", "--no-edit", "side")
    repo.write("evil.txt", "only in the merge\n")
    repo.git("add", "evil.txt")
    repo.git("commit", "-q", "--amend", "--no-edit")  # a blob that only a merge commit adds
    repo.git("tag", "-a", "v1", "-m", "tag")

    items = history(repo)
    ids = [b.id for b in blobs(items)]
    assert len(ids) == len(set(ids))
    reachable = {
        line.split()[0]
        for line in repo.git("rev-list", "--objects", "--all").splitlines()
        if len(line.split()) > 1 and repo.git("cat-file", "-t", line.split()[0]) == "blob"
    }
    assert set(ids) == reachable
    (same,) = holding(items, "same content")
    assert [(p.path, p.commit) for p in same.provenance] == [
        ("a.txt", first),
        ("dir/b.txt", repo.git("rev-parse", "main~2")),
    ]


def test_earliest_commit_wins_when_a_blob_comes_back(repo: Repo) -> None:
    token = make_token(2)
    repo.write("k.env", f"KEY={token}\n")
    first = repo.commit("add")
    os.remove(repo.path / "k.env")
    repo.commit("delete")
    repo.write("k.env", f"KEY={token}\n")
    repo.commit("restore")
    (blob,) = holding(history(repo), token)
    assert [p.commit for p in blob.provenance] == [first]


def test_stash_remote_tag_and_detached_head_are_all_scanned(repo: Repo) -> None:
    repo.write("base.txt", "base\n")
    repo.commit("base")
    # remote-tracking ref to a commit that no branch holds
    repo.git("checkout", "-q", "--detach")
    repo.write("remote.txt", "on the remote only\n")
    remote = repo.commit("remote")
    repo.git("update-ref", "refs/remotes/origin/feature", remote)
    repo.git("checkout", "-q", "main")
    # lightweight tag to a commit that no branch holds
    repo.git("checkout", "-q", "--detach")
    repo.write("tagged.txt", "tag only\n")
    tagged = repo.commit("tagged")
    repo.git("tag", "only-tag", tagged)
    repo.git("checkout", "-q", "main")
    # stash: two entries, the older one reachable only through the stash reflog
    repo.write("base.txt", "stashed work\n")
    repo.git("stash", "-q")
    repo.write("base.txt", "newer stash\n")
    repo.git("stash", "-q")
    # detached HEAD holding a commit that no ref holds
    repo.git("checkout", "-q", "--detach")
    repo.write("detached.txt", "detached only\n")
    repo.commit("detached")

    items = history(repo)
    for text in ("on the remote only", "tag only", "stashed work", "newer stash", "detached only"):
        assert holding(items, text), text
    narrowed = history(repo, refs=["main"])
    assert holding(narrowed, "base") and not holding(narrowed, "tag only")


def test_since_and_range_see_only_what_the_commits_added(repo: Repo) -> None:
    repo.write("old.txt", "old secret\n")
    base = repo.commit("old")
    repo.write("new.txt", "new secret\n")
    repo.write("old.txt", "old secret\nplus a line\n")
    mid = repo.commit("new")
    repo.write("newer.txt", "newer\n")
    repo.commit("newer")

    since = history(repo, since=base)
    assert {b.data for b in blobs(since)} == {
        b"new secret\n",
        b"old secret\nplus a line\n",
        b"newer\n",
    }
    ranged = history(repo, rev_range=f"{base}..{mid}")
    assert {b.data for b in blobs(ranged)} == {b"new secret\n", b"old secret\nplus a line\n"}
    with pytest.raises(SourceError) as err:
        history(repo, since="no-such-rev")
    assert "\n" not in str(err.value)


def test_revisions_that_look_like_options_are_refused(repo: Repo, tmp_path: Path) -> None:
    repo.write("a", "a\n")
    repo.commit("a")
    target = tmp_path / "written"
    for bad in ({"since": f"--output={target}"}, {"rev_range": "--all"}, {"refs": ["-p"]}):
        with pytest.raises(SourceError):
            history(repo, **bad)
    assert not target.exists()


def test_empty_repository_yields_nothing(repo: Repo) -> None:
    assert resolve_repo(repo.path) == repo.path.resolve()
    assert history(repo) == []
    with pytest.raises(SourceError):
        history(repo, since="HEAD~1")


def test_shallow_clone_attributes_to_the_boundary_commit(repo: Repo, tmp_path: Path) -> None:
    token = make_token(3)
    repo.write("a.txt", f"t = {token}\n")
    repo.commit("one")
    repo.write("b.txt", "two\n")
    repo.commit("two")
    repo.write("c.txt", "three\n")
    tip = repo.commit("three")
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)],
        check=True,
        env=repo.env,
    )
    items = history(clone)
    (blob,) = holding(items, token)
    assert blob.provenance[0].commit == tip
    assert len(blobs(items)) == 3


def test_bare_repository(repo: Repo, tmp_path: Path) -> None:
    token = make_token(4)
    repo.write("s.txt", f"{token}\n")
    added = repo.commit("add")
    repo.write("s.txt", "gone\n")
    repo.commit("remove")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True, env=repo.env)
    resolved = resolve_repo(bare)
    assert resolved == bare.resolve()
    (blob,) = holding(history(resolved), token)
    assert blob.provenance[0].commit == added


def test_submodules_are_skipped_not_followed(repo: Repo, tmp_path: Path) -> None:
    sub = Repo(tmp_path / "sub")
    sub.path.mkdir()
    sub.git("init", "-q")
    sub.write("inner.txt", "inside the submodule\n")
    sub.commit("inner")
    repo.write("top.txt", "top\n")
    repo.commit("top")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "vendor/sub")
    repo.commit("add submodule")
    items = history(repo)
    assert Skipped("vendor/sub", "submodule", "submodules are not followed") in items
    assert not holding(items, "inside the submodule")
    assert holding(items, "vendor/sub")  # .gitmodules itself is scanned


def test_binary_and_huge_blobs_are_skipped_and_counted(repo: Repo) -> None:
    token = make_token(5)
    repo.write("image.bin", b"\x89PNG\x00\x00" + token.encode())
    repo.write("big.txt", "x" * 5000 + token + "\n")
    repo.write("small.txt", "small\n")
    repo.commit("files")
    items = history(repo, max_file_size=4096)
    reasons = {(s.path, s.reason) for s in skipped(items)}
    assert reasons == {("image.bin", "binary"), ("big.txt", "too-large")}
    assert [b.data for b in blobs(items)] == [b"small\n"]


def test_utf16_blobs_are_transcoded(repo: Repo) -> None:
    token = make_token(6)
    repo.write("win.txt", f"key={token}\r\n".encode("utf-16"))
    repo.commit("utf16")
    (blob,) = blobs(history(repo))
    assert token.encode() in blob.data


def test_paths_that_are_not_utf8(repo: Repo) -> None:
    name = b"caf\xe9-\xff.txt"
    repo.write(name, "content\n")
    repo.commit("latin-1 name")
    (blob,) = blobs(history(repo))
    assert blob.provenance[0].path == "caf\\xe9-\\xff.txt"
    repo.write(name, "content\nmore\n")
    repo.git("add", "-A")
    (staged,) = staged_items(repo.path)
    assert isinstance(staged, Blob) and staged.provenance[0].path == "caf\\xe9-\\xff.txt"


def _loose_path(repo: Repo, oid: str) -> Path:
    return repo.path / ".git" / "objects" / oid[:2] / oid[2:]


def test_missing_blob_is_skipped_and_reported(repo: Repo) -> None:
    repo.write("a.txt", "keep me\n")
    repo.write("b.txt", "lose me\n")
    repo.commit("two files")
    lost = repo.git("rev-parse", "HEAD:b.txt")
    _loose_path(repo, lost).unlink()
    items = history(repo)
    assert [b.data for b in blobs(items)] == [b"keep me\n"]
    (skip,) = skipped(items)
    assert (skip.path, skip.reason) == ("b.txt", "missing") and lost in skip.detail


def test_corrupt_blob_is_skipped_and_the_scan_goes_on(repo: Repo) -> None:
    repo.write("a.txt", "first\n")
    repo.write("b.txt", "corrupt me\n")
    repo.write("c.txt", "last\n")
    repo.commit("three files")
    bad = _loose_path(repo, repo.git("rev-parse", "HEAD:b.txt"))
    bad.chmod(0o644)
    # A readable header with a truncated body: git dies half-way through streaming it.
    bad.write_bytes(zlib.compress(b"blob 11\x00corrupt me\n")[:-6])
    items = history(repo)
    assert sorted(b.data for b in blobs(items)) == [b"first\n", b"last\n"]
    (skip,) = skipped(items)
    assert (skip.path, skip.reason) == ("b.txt", "corrupt")
    assert "\n" not in skip.detail
    # An object git cannot even parse the header of counts as missing, and is skipped too.
    bad.write_bytes(b"this is not zlib data at all")
    items = history(repo)
    assert sorted(b.data for b in blobs(items)) == [b"first\n", b"last\n"]
    assert [(s.path, s.reason) for s in skipped(items)] == [("b.txt", "missing")]


def test_missing_tree_is_one_clear_error(repo: Repo) -> None:
    repo.write("d/a.txt", "a\n")
    repo.commit("tree")
    _loose_path(repo, repo.git("rev-parse", "HEAD:d")).unlink()
    with pytest.raises(SourceError) as err:
        history(repo)
    message = str(err.value)
    assert "\n" not in message and "cannot read the history" in message


def test_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(NotARepositoryError, match="not a git repository"):
        resolve_repo(plain)
    with pytest.raises(NotARepositoryError):
        resolve_repo(tmp_path / "missing")
    (plain / "f").write_text("x")
    with pytest.raises(NotARepositoryError):
        resolve_repo(plain / "f")


def test_resolve_repo_from_a_subdirectory(repo: Repo) -> None:
    (repo.path / "deep" / "er").mkdir(parents=True)
    assert resolve_repo(repo.path / "deep" / "er") == repo.path.resolve()


def test_the_caller_git_environment_does_not_leak_in(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("a.txt", "mine\n")
    repo.commit("a")
    other = Repo(tmp_path / "other")
    other.path.mkdir()
    other.git("init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    assert holding(history(repo), "mine")


# --------------------------------------------------------------------------- staged


def staged(repo: Repo, **kw: int) -> list[Blob | Skipped]:
    return staged_items(repo.path, max_file_size=kw.get("max_file_size", MAX))


def test_staged_sees_only_added_lines_at_their_new_positions(repo: Repo) -> None:
    old = make_token(7)
    new = make_token(8)
    repo.write("conf.py", f"a = 1\nold = '{old}'\nb = 2\n")
    repo.commit("old token, already reviewed")
    repo.write("conf.py", f"a = 1\nold = '{old}'\nb = 2\n\n    new = '{new}'\n")
    repo.git("add", "conf.py")
    (blob,) = staged(repo)
    assert blob.provenance[0].path == "conf.py" and blob.provenance[0].commit is None
    lines = blob.data.decode().split("\n")
    assert old not in blob.data.decode()
    assert lines[4] == f"    new = '{new}'"  # line 5, column 5, as in the new file
    assert lines[:4] == ["", "", "", ""]


def test_staged_ignores_unstaged_edits_deletions_and_renames(repo: Repo) -> None:
    token = make_token(9)
    repo.write("moved.py", f"t = '{token}'\n")
    repo.write("gone.py", "bye\n")
    repo.commit("base")
    repo.git("mv", "moved.py", "renamed.py")
    repo.git("rm", "-q", "gone.py")
    repo.write("unstaged.py", f"t = '{make_token(10)}'\n")
    assert staged(repo) == []


def test_staged_on_an_unborn_branch_and_crlf(repo: Repo) -> None:
    repo.write("first.txt", "one\r\ntwo\r\n")
    repo.git("add", "first.txt")
    (blob,) = staged(repo)
    assert blob.data == b"one\r\ntwo\r\n"
    repo.commit("first")
    repo.write("first.txt", "one\r\nTWO\r\n")
    repo.git("add", "first.txt")
    (blob,) = staged(repo)
    assert blob.data == b"\r\nTWO\r\n"


def test_staged_counts_lines_as_git_does_with_a_lone_cr(repo: Repo) -> None:
    repo.write("mac.txt", "a\rb\nc\n")
    repo.commit("base")
    repo.write("mac.txt", "a\rb\nc\nadded\n")
    repo.git("add", "mac.txt")
    (blob,) = staged(repo)
    assert blob.data == b"\n\nadded\n"


def test_staged_reads_the_index_of_commit_a(repo: Repo, tmp_path: Path) -> None:
    """`git commit -a` runs the hook with GIT_INDEX_FILE pointing at a temporary index."""
    repo.write("f.txt", "one\n")
    repo.commit("base")
    repo.write("f.txt", "one\ntwo\n")
    temp_index = tmp_path / "temp-index"
    shutil.copy(repo.path / ".git" / "index", temp_index)
    repo.git("add", "f.txt", env={"GIT_INDEX_FILE": str(temp_index)})
    assert staged(repo) == []  # the real index has nothing staged
    (blob,) = staged_items(repo.path, environ={"GIT_INDEX_FILE": str(temp_index)})
    assert isinstance(blob, Blob) and blob.data == b"\ntwo\n"


def test_staged_binary_large_submodule_and_utf16(repo: Repo, tmp_path: Path) -> None:
    sub = Repo(tmp_path / "sub")
    sub.path.mkdir()
    sub.git("init", "-q")
    sub.commit("empty")
    repo.write("w.txt", "x\n")
    repo.commit("base")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "sub")
    repo.write("bin.dat", b"\x00\x01\x02")
    repo.write("big.txt", "y" * 3000)
    repo.write("u16.txt", "k=v\n".encode("utf-16"))
    repo.git("add", "-A")
    items = staged(repo, max_file_size=2048)
    assert {(s.path, s.reason) for s in skipped(items)} == {
        ("sub", "submodule"),
        ("bin.dat", "binary"),
        ("big.txt", "too-large"),
    }
    datas = {b.provenance[0].path: b.data for b in blobs(items)}
    assert datas["u16.txt"] == b"k=v\n"
    assert "sub" not in datas


def test_staged_two_paths_same_blob_keep_their_own_added_lines(repo: Repo) -> None:
    repo.write("a.txt", "1\n2\n")
    repo.commit("a")
    repo.write("a.txt", "1\n2\n3\n")
    repo.write("b.txt", "1\n2\n3\n")
    repo.git("add", "-A")
    by_path = {b.provenance[0].path: b.data for b in blobs(staged(repo))}
    assert by_path == {"a.txt": b"\n\n3\n", "b.txt": b"1\n2\n3\n"}


def test_staged_outside_a_work_tree_is_a_source_error(repo: Repo, tmp_path: Path) -> None:
    repo.write("a", "a\n")
    repo.commit("a")
    bare = tmp_path / "b.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True, env=repo.env)
    with pytest.raises(SourceError):
        staged_items(bare)


# --------------------------------------------------------------------------- helpers


def test_repository_label_strips_credentials(repo: Repo) -> None:
    assert repository_label(repo.path) == str(repo.path)
    user, password = "bob", "pw-" + str(random.randrange(10**9))
    repo.git("remote", "add", "origin", f"https://{user}:{password}@git.example.test:8443/org/r.git?x=1")
    assert repository_label(repo.path) == "https://git.example.test:8443/org/r.git"
    repo.git("remote", "set-url", "origin", "git@git.example.test:org/r.git")
    assert repository_label(repo.path) == "git@git.example.test:org/r.git"


def test_pre_push_scope() -> None:
    assert pre_push_scope({"PRE_COMMIT_FROM_REF": "a" * 40, "PRE_COMMIT_TO_REF": "b" * 40}) == PushScope(
        rev_range=f"{'a' * 40}..{'b' * 40}"
    )
    assert pre_push_scope({"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/x"}) == PushScope(refs=("refs/heads/x",))
    assert pre_push_scope({}) == PushScope(refs=("HEAD",))


def test_git_missing_is_a_source_error(repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo.write("a", "a\n")
    repo.commit("a")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert shutil.which("git") is None
    with pytest.raises(SourceError, match="git is not installed"):
        history(repo)


# --------------------------------------------------------------------------- end to end (CLI)


def linear_key(seed: int) -> str:
    """A token of the shipped rule linear.api-key's shape, built at run time."""
    rnd = random.Random(seed)
    return "lin_" + "api_" + "".join(rnd.choice(_B62) for _ in range(40))


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from scanner.cli import main

    code = main([*argv, "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def leaky(repo: Repo) -> tuple[Repo, list[str], str]:
    """init -> add a key (Mallory) -> remove it -> unrelated commit."""
    key = linear_key(1)
    repo.write("README.md", "hello\n")
    shas = [repo.commit("init")]
    repo.write("svc/settings.py", f"import os\n\n    LINEAR = '{key}'\n")
    shas.append(repo.commit("add settings", author="Mallory"))
    repo.write("svc/settings.py", "import os\n\n    LINEAR = os.environ['LINEAR']\n")
    shas.append(repo.commit("read it from the environment"))
    repo.write("other.txt", "x\n")
    shas.append(repo.commit("unrelated"))
    return repo, shas, key


def test_cli_git_finds_the_removed_key_with_its_provenance(
    leaky: tuple[Repo, list[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, shas, key = leaky
    code, out, err = cli(["git", str(repo.path), "--format", "json", "--jobs", "1"], capsys)
    assert code == 1, err
    (finding,) = json.loads(out)
    assert finding["rule_id"] == "linear.api-key"
    assert (finding["file"], finding["line"], finding["column"]) == ("svc/settings.py", 3, 15)
    assert finding["commit"] == shas[1]
    assert (finding["author"], finding["email"]) == ("Mallory", "mallory@example.test")
    assert finding["date"] == "2021-03-02T12:00:00+00:00"
    assert key not in out
    # The default worker count gives the same answer.
    code, out2, _ = cli(["git", str(repo.path), "--format", "json"], capsys)
    assert code == 1 and json.loads(out2) == [finding]


def test_cli_git_since_and_range(leaky: tuple[Repo, list[str], str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, shas, _ = leaky
    assert cli(["git", str(repo.path), "--since", shas[1]], capsys)[0] == 0
    assert cli(["git", str(repo.path), "--since", shas[0]], capsys)[0] == 1
    assert cli(["git", str(repo.path), "--range", f"{shas[0]}..{shas[1]}"], capsys)[0] == 1
    assert cli(["git", str(repo.path), "--range", f"{shas[2]}..{shas[3]}"], capsys)[0] == 0
    assert cli(["git", str(repo.path), "--branch", "main"], capsys)[0] == 1
    code, _, err = cli(["git", str(repo.path), "--since", "nope"], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


def test_cli_git_pre_push_reads_pre_commit_refs(
    leaky: tuple[Repo, list[str], str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, shas, _ = leaky
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", shas[2])
    monkeypatch.setenv("PRE_COMMIT_TO_REF", shas[3])
    assert cli(["git", str(repo.path), "--pre-push"], capsys)[0] == 0
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", shas[0])
    assert cli(["git", str(repo.path), "--pre-push"], capsys)[0] == 1
    assert cli(["git", str(repo.path), "--pre-push", "--since", shas[0]], capsys)[0] == 2


def test_cli_git_errors_are_one_line_exit_2(repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = cli(["git", str(plain)], capsys)
    assert code == 2 and "not a git repository" in err and err.count("\n") == 1
    repo.write("d/a.txt", "a\n")
    repo.commit("tree")
    _loose_path(repo, repo.git("rev-parse", "HEAD:d")).unlink()
    code, _, err = cli(["git", str(repo.path)], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


def test_cli_git_empty_repository_and_skips(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["git", str(repo.path)], capsys)[0] == 0
    repo.write("blob.bin", b"\x00\x01" + linear_key(2).encode())
    repo.write("big.txt", "y" * 4096)
    repo.commit("skips")
    code, _, err = cli(["git", str(repo.path), "--max-file-size", "1k"], capsys)
    assert code == 0 and "skipped: 1 binary, 1 too-large" in err


def test_cli_staged_reports_new_file_positions(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = linear_key(3), linear_key(4)
    repo.write("app.py", f"A = 1\nOLD = '{old}'\n")
    repo.commit("reviewed long ago")
    repo.write("app.py", f"A = 1\nOLD = '{old}'\n\n# added\nNEW = '{new}'\n")
    repo.git("add", "app.py")
    code, out, err = cli(["staged", str(repo.path), "--format", "json"], capsys)
    assert code == 1, err
    (finding,) = json.loads(out)
    assert (finding["file"], finding["line"], finding["column"]) == ("app.py", 5, 8)
    assert finding["commit"] is None
    repo.git("commit", "-q", "-m", "now committed")
    assert cli(["staged", str(repo.path)], capsys)[0] == 0


def test_cli_says_what_it_did_not_follow_or_could_not_read(
    repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = Repo(tmp_path / "sub")
    sub.path.mkdir()
    sub.git("init", "-q")
    sub.commit("empty")
    repo.write("keep.txt", "keep\n")
    repo.write("lose.txt", "lose\n")
    repo.commit("files")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "vendor/lib")
    repo.commit("submodule")
    _loose_path(repo, repo.git("rev-parse", "HEAD:lose.txt")).unlink()
    code, _, err = cli(["git", str(repo.path)], capsys)
    assert code == 0
    assert "submodule vendor/lib not followed" in err
    assert "lose.txt: missing object skipped" in err


def test_sizes_git_did_not_give_while_listing_are_asked_again(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size probe is an optimisation: when it answers nothing (git failed to start, or
    died on a corrupt object), the careful path lists the same blobs and skips."""
    import scanner.sources.git.listing as source

    repo.write("a.txt", "first\n")
    repo.write("big.txt", "x" * 500 + "\n")
    repo.commit("two files")
    repo.write("a.txt", "second\n")
    repo.commit("edit")
    expected = history(repo, max_file_size=100)
    assert [s.reason for s in skipped(expected)] == ["too-large"]
    assert sorted(b.data for b in blobs(expected)) == [b"first\n", b"second\n"]
    close = source._SizeProbe.close
    monkeypatch.setattr(source._SizeProbe, "close", lambda self: (close(self), ({}, {}))[1])
    assert history(repo, max_file_size=100) == expected


def test_the_size_probe_answers_each_id_in_the_order_asked(repo: Repo) -> None:
    """Sizes come from the probe while the log is read (the careful path is for what it
    leaves unanswered): one answer per id, by position, missing ids and trees told apart."""
    import scanner.sources.git.listing as source

    repo.write("a.txt", "first\n")
    repo.write("b.txt", "x" * 70000 + "\n")
    repo.commit("two files")
    ids = [repo.git("rev-parse", f"HEAD:{name}").strip() for name in ("a.txt", "b.txt")]
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    probe = source._SizeProbe(repo.path)
    asked = [ids[0], "0" * 40, tree] + [ids[1]] * 300  # more than one batch of 256
    for oid in asked:
        probe.ask(oid.encode())
    sizes, kinds = probe.close()
    assert list(sizes) == [6, source._NO_SIZE, int(repo.git("cat-file", "-s", tree))] + [70001] * 300
    assert kinds == {2: "tree"}


def _many_files(repo: Path, count: int) -> None:
    """One commit of `count` small files, made by fast-import (quick at any count)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, capture_output=True)
    stream = b"commit refs/heads/main\ncommitter T <t@example.test> 1700000000 +0000\ndata 4\nmany\n"
    for n in range(count):
        body = b"file %d\n" % n
        stream += b"M 100644 inline dir/file_%04d.txt\ndata %d\n%s\n" % (n, len(body), body)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream + b"done\n", check=True)


def test_a_listing_closed_unread_stops_git(tmp_path: Path) -> None:
    """git writes the log while the caller loads its rules; a scan that ends early (a bad
    config) closes the listing: git is stopped and waited for."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _many_files(repo, 3000)
    listing = HistorySource(repo, max_file_size=1 << 20)
    listing.close()
    assert listing._log.proc.returncode is not None


def test_a_listing_read_after_git_is_done_is_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git writes its whole log before the caller reads a token, even when the log is
    larger than a pipe (kept at its default 64 KiB here, were the log read from one)."""
    import scanner.sources.git.listing as git_source

    monkeypatch.setattr(git_source, "widen_pipe", lambda stream: None)
    repo = tmp_path / "wide"
    repo.mkdir()
    _many_files(repo, 1500)
    listing = HistorySource(repo, max_file_size=1 << 20)
    listing._log.proc.wait(timeout=20)  # git never waits on a full pipe
    assert len(read_source(listing)) == 1500


@pytest.mark.parametrize("without", ["pread", "temporary files"])
def test_the_listing_reads_a_pipe_where_it_cannot_use_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, without: str
) -> None:
    """Without pread (Windows) or a writable temporary directory, git log writes into a
    pipe as it used to: the same listing."""
    import scanner.sources.git.listing as git_source

    repo = tmp_path / "repo"
    repo.mkdir()
    _many_files(repo, 300)
    expected = [item.id for item in read_source(HistorySource(repo, max_file_size=1 << 20))]
    if without == "pread":
        monkeypatch.delattr(os, "pread")
    else:
        monkeypatch.setattr(git_source, "_temporary_file", lambda: None)
    listing = HistorySource(repo, max_file_size=1 << 20)
    assert listing._log._out is None
    assert [item.id for item in read_source(listing)] == expected
