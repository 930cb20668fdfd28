"""pallet.dockerfile.dockerignore: the cases of shared FORMATS.md §5, plus the walker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pallet.dockerfile import dockerignore
from pallet.dockerfile.conformance import ignore_cases
from pallet.dockerfile.dockerignore import (
    PatternMatcher,
    clean_path,
    compile_pattern,
    find_ignore_file,
    load_matcher,
    read_ignore_file,
    walk_context,
)
from pallet.errors import ContextError, IgnorePatternError

# (patterns, path, excluded): FORMATS.md §5's condensed table, one row per path
MATCH_CASES = [
    (["*"], "fileutils.go", True),
    (["*.go"], "fileutils.go", True),
    (["*.go"], "a/b.go", False),
    (["*/*.go"], "a/b.go", True),
    (["foo"], "a/foo", False),
    (["**/foo"], "a/foo", True),
    (["!fileutils.go", "*.go"], "fileutils.go", True),
    (["*.go", "!fileutils.go"], "fileutils.go", False),
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs/", "!docs/README.md"], "docs/README.md", False),
    (["docs/*", "!docs/README.md"], "docs/README.md", False),
    (["docs"], "docs/README.md", True),
    (["docs", "!docs/*.md"], "docs/x.txt", True),
    (["docs", "!docs/*.md"], "docs/x.md", False),
    (["docs", "!docs/*.md", "docs/secret.md"], "docs/secret.md", True),
    (["**", "!util/docker/web"], "util/docker/web/foo", False),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
    (["**"], "dir/file/", True),
    (["**/"], "file", True),
    (["dir/**"], "dir/dir2/file", True),
    (["abc/**"], "abc", False),
    (["abc/**"], "abc/def/ghi", True),
    (["**/dir"], "dir", True),
    (["**/dir2/**"], "dir/dir2/dir3/file", True),
    (["**file"], "dir/dir/file", True),
    (["**file"], "xfile", True),
    (["**/foo"], "xfoo", False),
    (["**/**/*.txt2"], "dir/dir/file.txt", False),
    (["a**/*.txt"], "a/dir/dir/file.txt", True),
    (["a/*.txt"], "a/dir/file.txt", False),
    (["a/**/b"], "a/x/y/b/c", True),
    (["a[b-d]e"], "ace", True),
    (["a[b-d]e"], "aae", False),
    (["a[^b-d]e"], "aze", True),
    (["[!a]"], "b", False),
    (["[^a]"], "b", True),
    ([".*"], "foo", False),
    (["abc.def"], "abcZdef", False),
    (["abc?def"], "abcZdef", True),
    (["a?b"], "a/b", False),
    (["a*b"], "a/b", False),
    (["a*"], "ab/c", True),
    (["a*/b"], "a/c/b", False),
    (["a\\\\"], "a\\", True),
    (["a\\*b"], "a*b", True),
    (["a\\*b"], "ab", False),
    (["**/.foo"], "bar.foo", False),
    (["a.|)$(}+{bc"], "a.|)$(}+{bc", True),
    (["[a-ζ]*"], "α", True),
    (["*[a-ζ]"], "A", False),
    (["[\\]a]"], "]", True),
    (["[x\\-]"], "z", False),
    (["[*]"], "[/]", True),  # upstream's regex is "^[[^/]*]$": RE2 decides what it means
    (["[[:alpha:]]"], "q", True),
    ([], "/any/path/there", False),
    (["*.go"], ".", False),
    (["**"], ".", False),
    (["/docs"], "docs/README.md", False),
    (["./docs"], "docs/x", True),
    (["docs/../foo"], "foo", True),
    (["Foo"], "foo", False),
    (["  foo  "], "foo", True),
]

BAD_PATTERNS = ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a["]

# (file text, patterns handed to the matcher): ignorefile.ReadAll
READ_CASES = [
    (
        "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ",
        ["test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"],
    ),
    ("\ufeff# bom then comment\nx", ["x"]),
    (" #not-a-comment\r\n", ["#not-a-comment"]),
    ("a//b/./c/\n/\n!/x/../y", ["a/b/c", "/", "!y"]),
]

CLEAN_CASES = [
    ("", "."),
    ("a//b/./c/", "a/b/c"),
    ("a/../..", ".."),
    ("/../a", "/a"),
    ("./", "."),
]

# (kind of check, tree, ignore file, kept paths in walk order)
WALK_CASES = [
    (
        "testDockerignore",
        ["Dockerfile", "foo", "bar", "baz", "bay"],
        "\nba*\nDockerfile\n!bay\n.dockerignore\n",
        ["bay", "foo"],
    ),
    (
        "re-included file brings its excluded parents",
        ["a/b/keep.txt", "a/b/drop.txt", "a/other", "z"],
        "a\n!a/b/keep.txt\n",
        [".dockerignore", "a", "a/b", "a/b/keep.txt", "z"],
    ),
    (
        "excluded dir with nothing re-included is not emitted",
        ["vendor/x/y", "src/main.go"],
        "vendor\n!src\n",
        [".dockerignore", "src", "src/main.go"],
    ),
    (
        "wildcard exception reaches into an excluded dir",
        ["build/a.log", "build/a.txt", "build/sub/b.txt"],
        "build\n!**/*.txt\n",
        [".dockerignore", "build", "build/a.txt", "build/sub", "build/sub/b.txt"],
    ),
    (
        # the walker reuses the parent's per-pattern results (MatchesUsingParentResults), so
        # the last "d" is never tried against d/keep itself: kept, although matches() says no
        "walker semantics differ from matches()",
        ["d/keep", "d/other"],
        "d\n!d/keep\nd\n",
        [".dockerignore", "d", "d/keep"],
    ),
    (
        "sorted by name bytes, dirs before their contents",
        ["b/z", "B", "a.txt", "a/y"],
        "",
        [".dockerignore", "B", "a", "a/y", "a.txt", "b", "b/z"],
    ),
]


@pytest.mark.parametrize(
    "patterns, path, excluded", MATCH_CASES, ids=[f"{p}~{q}" for p, q, _ in MATCH_CASES]
)
def test_matches(patterns, path, excluded):
    assert PatternMatcher(patterns).matches(path) is excluded


@pytest.mark.parametrize("pattern", BAD_PATTERNS)
def test_bad_pattern_is_a_syntax_error(pattern):
    with pytest.raises(IgnorePatternError) as info:
        PatternMatcher(["ok", pattern], source="ctx.dockerignore")
    assert info.value.message.startswith("ctx.dockerignore: syntax error in pattern: ")
    assert info.value.hint


def test_lone_exclamation_is_illegal():
    with pytest.raises(IgnorePatternError) as info:
        PatternMatcher(["a", "  !  "])
    assert info.value.message == '.dockerignore: illegal exclusion pattern: "!"'
    assert "!README.md" in info.value.hint


def test_pattern_rejected_at_match_time_fails_every_time():
    # New accepts "[Local-Only]" (a valid glob) but RE2 refuses the range "l-O"
    matcher = PatternMatcher(["[Local-Only]/"])
    for _ in range(2):
        with pytest.raises(IgnorePatternError, match=r'syntax error in pattern: "\[Local-Only\]/"'):
            matcher.matches("x")


def test_unusable_exception_is_only_tried_when_it_applies():
    matcher = PatternMatcher(["a", "![Local-Only]"])
    assert matcher.matches("b") is False  # "!" patterns are skipped while nothing matched
    with pytest.raises(IgnorePatternError):
        matcher.matches("a")


def test_exclusions():
    assert PatternMatcher(["a", "!a/b"]).exclusions is True
    assert PatternMatcher(["a", "b"]).exclusions is False


def test_compiled_once():
    assert compile_pattern("**/x*.txt") is compile_pattern("**/x*.txt")
    assert compile_pattern("**/x*.txt").regex == r"^(.*/)?x[^/]*\.txt$"


@pytest.mark.parametrize("text, patterns", READ_CASES, ids=range(len(READ_CASES)))
def test_read_ignore_file(text, patterns):
    assert read_ignore_file(text) == patterns


@pytest.mark.parametrize("path, cleaned", CLEAN_CASES, ids=[c[0] or "empty" for c in CLEAN_CASES])
def test_clean_path(path, cleaned):
    assert clean_path(path) == cleaned


def make_tree(root: Path, files: list[str], ignore: str | None = None) -> Path:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    if ignore is not None:
        (root / ".dockerignore").write_text(ignore)
    return root


@pytest.mark.parametrize(
    "files, ignore, kept", [c[1:] for c in WALK_CASES], ids=[c[0] for c in WALK_CASES]
)
def test_walk_context(tmp_path, files, ignore, kept):
    context = make_tree(tmp_path, files, ignore)
    assert list(walk_context(context, load_matcher(context, context / "Dockerfile"))) == kept


def test_walk_lone_exclamation_fails(tmp_path):
    context = make_tree(tmp_path, ["Dockerfile"], "!\n")
    with pytest.raises(IgnorePatternError, match='illegal exclusion pattern: "!"'):
        load_matcher(context, context / "Dockerfile")


def test_no_ignore_file_keeps_everything(tmp_path):
    context = make_tree(tmp_path, ["Dockerfile", "d/f"])
    assert find_ignore_file(context, context / "Dockerfile") is None
    assert list(walk_context(context, load_matcher(context, None))) == ["Dockerfile", "d", "d/f"]


# (Dockerfile used, ignore files present, file chosen)
IGNORE_FILE_CASES = [
    ("Dockerfile", [".dockerignore", "Dockerfile.dockerignore"], "Dockerfile.dockerignore"),
    ("Dockerfile2", [".dockerignore", "Dockerfile.dockerignore"], ".dockerignore"),
    ("sub/app.Dockerfile", [".dockerignore", "sub/app.Dockerfile.dockerignore"], "sub/app.Dockerfile.dockerignore"),
    ("sub/app.Dockerfile", [".dockerignore", "app.Dockerfile.dockerignore"], ".dockerignore"),
    (None, [".dockerignore", "Dockerfile.dockerignore"], ".dockerignore"),
]


@pytest.mark.parametrize(
    "dockerfile, present, chosen", IGNORE_FILE_CASES, ids=[f"{c[0]}-{c[2]}" for c in IGNORE_FILE_CASES]
)
def test_find_ignore_file(tmp_path, dockerfile, present, chosen):
    make_tree(tmp_path, present)
    found = find_ignore_file(tmp_path, tmp_path / dockerfile if dockerfile else None)
    assert found == tmp_path / chosen


def test_per_dockerfile_ignore_file_applies(tmp_path):
    context = make_tree(tmp_path, ["Dockerfile", "Dockerfile2", "foo", "bar"])
    (context / "Dockerfile.dockerignore").write_text("bar\n")
    (context / "Dockerfile2.dockerignore").write_text("foo\n")
    first = set(walk_context(context, load_matcher(context, context / "Dockerfile")))
    second = set(walk_context(context, load_matcher(context, context / "Dockerfile2")))
    assert ("foo" in first, "bar" in first) == (True, False)
    assert ("foo" in second, "bar" in second) == (False, True)


def test_ignore_file_error_names_the_file(tmp_path):
    context = make_tree(tmp_path, ["Dockerfile"])
    (context / "Dockerfile.dockerignore").write_text("ok\n[\n")
    with pytest.raises(IgnorePatternError, match=r'^Dockerfile\.dockerignore: syntax error in pattern: "\["$'):
        load_matcher(context, context / "Dockerfile")


@pytest.fixture
def scanned(monkeypatch):
    """The directories walk_context lists, relative to the context."""
    seen: list[str] = []
    real = os.scandir

    def counting(path):
        seen.append(str(path))
        return real(path)

    monkeypatch.setattr(dockerignore.os, "scandir", counting)
    return seen


# (ignore file, is node_modules listed?): fsutil filter.go's pruning rules
PRUNE_CASES = [
    ("node_modules\n", False),  # no exceptions at all
    ("node_modules\n!src/keep\n", False),  # literal exception elsewhere
    ("node_modules\n!node_modules/pkg/keep\n", True),  # literal exception below it
    ("node_modules\n!node_modules/pkg/**\n", True),  # trailing glob is still a prefix
    ("node_modules\n!src/*.go\n", True),  # a wildcard exception disables pruning
]


@pytest.mark.parametrize("ignore, descended", PRUNE_CASES, ids=[c[0].replace("\n", " ") for c in PRUNE_CASES])
def test_pruning(tmp_path, scanned, ignore, descended):
    context = make_tree(tmp_path, ["node_modules/pkg/index.js", "node_modules/x.js", "src/a.go"], ignore)
    kept = list(walk_context(context, load_matcher(context, None)))
    assert "node_modules/x.js" not in kept
    listed = str(context / "node_modules") in scanned
    assert listed is descended


def test_unreadable_excluded_dir_is_skipped(tmp_path, monkeypatch):
    context = make_tree(tmp_path, ["secret/x", "app"], "secret\n!app/*.go\n")
    deny_dir(monkeypatch, context / "secret")
    assert list(walk_context(context, load_matcher(context, None))) == [".dockerignore", "app"]


def test_unreadable_kept_dir_is_a_context_error(tmp_path, monkeypatch):
    context = make_tree(tmp_path, ["secret/x"])
    deny_dir(monkeypatch, context / "secret")
    with pytest.raises(ContextError, match='cannot read "secret" in the build context'):
        list(walk_context(context, load_matcher(context, None)))


def deny_dir(monkeypatch, denied: Path) -> None:
    # we run as root, so chmod 000 would not stop the walk: fake the EACCES instead
    real = os.scandir

    def scandir(path):
        if Path(path) == denied:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(dockerignore.os, "scandir", scandir)


def test_symlinked_dir_is_not_followed(tmp_path):
    context = make_tree(tmp_path, ["real/f"])
    (context / "link").symlink_to("real")
    assert list(walk_context(context, PatternMatcher([]))) == ["link", "real", "real/f"]


def test_conformance_tables(shared_dir):
    results = ignore_cases.run(shared_dir / "conformance")
    failed = [f"{r.name}: {r.detail}" for r in results if not r.ok]
    assert len(results) > 200
    assert failed == []


def test_conformance_presence_check_can_fail():
    problems = ignore_cases._presence_problems("build X", "foo present, bar absent", {"bar"})
    assert len(problems) == 2
