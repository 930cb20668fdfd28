"""COPY into a dest root: sources, dest rules, owners and modes, as BuildKit 0.8.4 does them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pallet.engine.copy import copy_into, resolve_chown
from pallet.dockerfile.dockerignore import PatternMatcher, read_ignore_file
from pallet.errors import ContextError, UserError
from pallet.graph.ops import CopySpec
from pallet.testing.trees import tree_snapshot

PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\nstaff:x:50:\n"


def make_tree(root: Path, entries: dict) -> Path:
    """{"a/b.txt": "text" | ("text", mode) | ("->", target) | None (a dir)}; parents 0755."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, value in entries.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if value is None:
            path.mkdir(exist_ok=True)
        elif isinstance(value, tuple) and value[0] == "->":
            os.symlink(value[1], path)
        else:
            text, mode = value if isinstance(value, tuple) else (value, 0o644)
            path.write_text(text)
            os.chmod(path, mode)
    return root


def golden_files(shared: Path, case: str, prefixes: tuple[str, ...]) -> dict[str, tuple]:
    files = json.loads((shared / "buildkit-goldens/golden" / f"{case}.json").read_text())["files"]
    return {
        p: (e["type"], e.get("mode"), e["uid"], e["gid"], e.get("text", e.get("linkname")))
        for p, e in files.items() if p.startswith(prefixes)
    }


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "image", {"etc/passwd": PASSWD, "etc/group": GROUP, "tmp": None})


def copy(image: Path, source_root: Path | None, *sources: str, dest: str, context=True, matcher=None, **kw):
    spec = CopySpec(sources=tuple(sources), dest=dest, **kw)
    copy_into(image, spec, source_root=source_root, from_context=context, matcher=matcher)


# --- the goldens ----------------------------------------------------------------------------------


def layout(shared: Path, case: str, dest: Path) -> Path:
    sys.path.insert(0, str(shared / "buildkit-goldens/tools"))
    try:
        import caselib
    finally:
        sys.path.pop(0)
    caselib.layout(case, str(dest))
    return dest / "context"


def test_golden_10_dir_owner_mode(shared_dir, image, tmp_path):
    ctx = layout(shared_dir, "10-dir-owner-mode", tmp_path / "case")
    copy(image, ctx, "conf", dest="/etc/app/", chown="1001:1002")
    copy(image, ctx, "scripts", dest="/opt/scripts", chmod="0700")
    copy(image, ctx, "conf", dest="/srv/conf-both", chown="nobody:root", chmod="0640")
    (image / "var/app").mkdir(parents=True)
    os.chmod(image / "var/app", 0o751)
    os.chown(image / "var/app", 7, 7)
    copy(image, ctx, "conf/", dest="/var/app/", chown="1001", chmod="0600")
    prefixes = ("etc/app", "opt", "srv", "var/app")
    got = {p: v for p, v in tree_snapshot(image).items() if p.startswith(prefixes)}
    assert got == golden_files(shared_dir, "10-dir-owner-mode", prefixes)


def _stage_02(tmp_path: Path) -> tuple[Path, Path]:
    """The two source stages of case 02, made as its RUN lines make them."""
    stage0 = make_tree(tmp_path / "stage0", {"dist/conf/log.ini": "level=info\n", "dist/VERSION": "v7\n",
                                             "dist/current.ini": ("->", "conf/log.ini")})
    for rel in ("dist/conf", "dist/conf/log.ini"):
        os.chown(stage0 / rel, 2000, 2000)
    os.chmod(stage0 / "dist/conf", 0o700)
    assets = make_tree(tmp_path / "assets", {"assets/css/site.css": "body{}\n",
                                             "assets/js/app.js": ("main()\n", 0o600),
                                             "bundle.txt": "body{}\nmain()\n"})
    return stage0, assets


def test_golden_02_copy_from_stages(shared_dir, image, tmp_path):
    stage0, assets = _stage_02(tmp_path)
    copy(image, stage0, "/dist/VERSION", dest="/app/VERSION", context=False)
    copy(image, stage0, "/dist/conf", dest="/app/conf", context=False)
    copy(image, stage0, "/dist/current.ini", dest="/app/", context=False)
    copy(image, assets, "/assets/css", dest="/app/static/css/", context=False)
    copy(image, assets, "/assets/js/app.js", dest="/app/static/", context=False)
    copy(image, assets, "/bundle.txt", "/assets/css/site.css", dest="/app/bundle/", context=False)
    copy(image, assets, "/assets", dest="/srv/assets", context=False, chown="3000:3000")
    prefixes = ("app", "srv")
    got = {p: v for p, v in tree_snapshot(image).items() if p.startswith(prefixes)}
    assert got == golden_files(shared_dir, "02-copy-from-stages", prefixes)


def test_golden_13_dockerignore_allowlist(shared_dir, image, tmp_path):
    ctx = tmp_path / "case/context"
    ctx.mkdir(parents=True)
    prepare = shared_dir / "buildkit-goldens/cases/13-dockerignore-allowlist/prepare.sh"
    subprocess.run(["sh", "-eu", str(prepare)], cwd=ctx, check=True)
    matcher = PatternMatcher(read_ignore_file((ctx / ".dockerignore").read_text()))
    copy(image, ctx, ".", dest="/app/", matcher=matcher)
    got = {p: v for p, v in tree_snapshot(image).items() if p.startswith("app")}
    assert got == golden_files(shared_dir, "13-dockerignore-allowlist", ("app",))


# --- dest rules ---------------------------------------------------------------------------------

DEST_CASES = [  # (sources, dest, cwd, existing dirs in the image, expected file paths)
    (("a.txt",), "/x", "/", (), ["x"]),
    (("a.txt",), "/x/", "/", (), ["x/a.txt"]),
    (("a.txt",), "/x/.", "/", (), ["x/a.txt"]),
    (("a.txt",), "/opt", "/", ("opt",), ["opt/a.txt"]),
    (("a.txt",), "rel/b.txt", "/work", (), ["work/rel/b.txt"]),
    (("a.txt",), ".", "/work", (), ["work/a.txt"]),
    (("a.txt", "b.txt"), "/many", "/", (), ["many/a.txt", "many/b.txt"]),
    (("*.txt",), "/glob", "/", (), ["glob/a.txt", "glob/b.txt"]),
    (("a*.txt",), "/one", "/", (), ["one"]),
    (("dir",), "/d", "/", (), ["d/c.txt"]),
    (("dir", "a.txt"), "/mix/", "/", (), ["mix/c.txt", "mix/a.txt"]),
]


@pytest.mark.parametrize("sources,dest,cwd,existing,expected", DEST_CASES,
                         ids=[f"{' '.join(c[0])}->{c[1]}@{c[2]}" for c in DEST_CASES])
def test_dest_rules(image, tmp_path, sources, dest, cwd, existing, expected):
    ctx = make_tree(tmp_path / "ctx", {"a.txt": "a", "b.txt": "b", "dir/c.txt": "c"})
    for d in existing:
        (image / d).mkdir()
    copy(image, ctx, *sources, dest=dest, cwd=cwd)
    files = sorted(p for p, v in tree_snapshot(image).items() if v[0] == "file" and not p.startswith("etc"))
    assert files == sorted(expected)


def test_dir_dest_made_0755_root_whatever_the_source(image, tmp_path):
    stage = make_tree(tmp_path / "stage", {"src/f": ("x", 0o600)})
    os.chmod(stage / "src", 0o700)
    os.chown(stage / "src", 5, 6)
    os.chown(stage / "src/f", 5, 6)
    copy(image, stage, "/src", dest="/a/b/c", context=False)
    snap = tree_snapshot(image)
    assert [snap[p][1:4] for p in ("a", "a/b", "a/b/c", "a/b/c/f")] == [
        ("0755", 0, 0), ("0755", 0, 0), ("0755", 0, 0), ("0600", 5, 6)]


def test_context_files_land_root_owned(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"d/f": ("x", 0o751)})
    os.chown(ctx / "d/f", 1234, 1234)
    os.chown(ctx / "d", 1234, 1234)
    copy(image, ctx, ".", dest="/o/")
    snap = tree_snapshot(image)
    assert snap["o/d"][1:4] == ("0755", 0, 0) and snap["o/d/f"][1:4] == ("0751", 0, 0)


def test_overwrites_file_and_replaces_symlink_not_following_it(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"f": "new", "g": "new-g"})
    make_tree(image, {"app/f": "old", "app/keep": "kept", "app/g": ("->", "keep")})
    copy(image, ctx, "f", "g", dest="/app/")
    snap = tree_snapshot(image, "app")
    assert snap["app/f"][4] == "new" and snap["app/g"][0] == "file" and snap["app/keep"][4] == "kept"


def test_dest_through_image_symlink_stays_in_root(image, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    ctx = make_tree(tmp_path / "ctx", {"f": "x"})
    os.symlink(str(outside), image / "abs")  # absolute: means /<outside> inside the image
    os.symlink("../../../..", image / "up")
    copy(image, ctx, "f", dest="/abs/")
    copy(image, ctx, "f", dest="/up/g")
    assert list(outside.iterdir()) == []
    assert (image / str(outside).lstrip("/") / "f").read_text() == "x"
    assert (image / "g").read_text() == "x"


def test_dir_merges_through_usrmerge_symlink(image, tmp_path):
    make_tree(image, {"usr/lib/old.so": "old", "lib": ("->", "usr/lib")})
    ctx = make_tree(tmp_path / "ctx", {"rootfs/lib/new.so": "new"})
    copy(image, ctx, "rootfs", dest="/")
    assert os.path.islink(image / "lib")
    assert sorted(os.listdir(image / "usr/lib")) == ["new.so", "old.so"]


def test_file_over_non_empty_dir_is_an_error(image, tmp_path):
    make_tree(image, {"app/f/inner": "x"})
    ctx = make_tree(tmp_path / "ctx", {"f": "new"})
    with pytest.raises(UserError, match='cannot replace directory "/app/f" with a file'):
        copy(image, ctx, "f", dest="/app/")


def test_parent_that_is_a_file_is_an_error(image, tmp_path):
    make_tree(image, {"app": "a file"})
    ctx = make_tree(tmp_path / "ctx", {"f": "x"})
    with pytest.raises(UserError, match="mkdir /app: not a directory"):
        copy(image, ctx, "f", dest="/app/sub/")


# --- sources ---------------------------------------------------------------------------------------


def test_symlink_named_directly_is_followed(image, tmp_path):
    stage = make_tree(tmp_path / "stage", {"d/real": ("data", 0o640), "d/link": ("->", "/d/real")})
    os.chown(stage / "d/real", 9, 8)
    copy(image, stage, "/d/link", dest="/out/", context=False)
    assert tree_snapshot(image, "out")["out/link"] == ("file", "0640", 9, 8, "data")


def test_symlinks_inside_a_dir_stay_symlinks(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"d/real": "x", "d/rel": ("->", "real"), "d/abs": ("->", "/etc/passwd")})
    copy(image, ctx, "d", dest="/out")
    snap = tree_snapshot(image, "out")
    assert snap["out/rel"][::4] == ("symlink", "real") and snap["out/abs"][::4] == ("symlink", "/etc/passwd")


WILDCARD_CASES = [
    ("*.txt", ["*.txt", "a.txt", "b.txt"]),
    ("?.txt", ["*.txt", "a.txt", "b.txt"]),
    ("[a].txt", ["a.txt"]),
    ("[^a].txt", ["*.txt", "b.txt"]),
    ("[\\*].txt", ["*.txt"]),
    ("[a-b].md", ["a.md"]),
    ("d*/*.txt", ["c.txt"]),
    ("*", [".hidden", "*.txt", "a.md", "a.txt", "b.txt", "c.txt"]),
    ("nomatch*", []),
    ("[", []),  # a bad pattern matches nothing, as filepath.Match's error is ignored
]


@pytest.mark.parametrize("pattern,expected", WILDCARD_CASES, ids=[c[0] for c in WILDCARD_CASES])
def test_wildcards(image, tmp_path, pattern, expected):
    ctx = make_tree(tmp_path / "ctx", {"a.txt": "a", "b.txt": "b", "a.md": "m", ".hidden": "h",
                                       "*.txt": "star", "dir/c.txt": "c"})
    copy(image, ctx, pattern, dest="/out/")
    assert sorted(os.listdir(image / "out") if (image / "out").exists() else []) == sorted(expected)


def test_wildcard_matching_nothing_is_not_an_error_with_another_source(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"a.txt": "a"})
    copy(image, ctx, "none*", "a.txt", dest="/out/")
    assert os.listdir(image / "out") == ["a.txt"]


def test_wildcard_under_missing_dir_is_not_found(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"a.txt": "a"})
    with pytest.raises(ContextError, match='"/nodir": not found'):
        copy(image, ctx, "nodir/*", dest="/out/")


NOT_FOUND_CASES = [
    # (source, .dockerignore lines, message, hint fragment)
    ("missing", [], '"/missing": not found', "relative to the build context"),
    ("secret.txt", ["secret.txt"], '"/secret.txt": not found', '"secret.txt" is excluded by .dockerignore'),
    ("d/inner.txt", ["d"], '"/d/inner.txt": not found', "excluded by .dockerignore"),
    ("out", [], '"/out": not found', "relative to the build context"),  # ../outside stays inside
    ("\\*.txt", [], '"/\\*.txt": not found', "relative"),  # no wildcard: taken literally
]


@pytest.mark.parametrize("source,ignore,message,hint", NOT_FOUND_CASES, ids=[c[0] for c in NOT_FOUND_CASES])
def test_missing_or_ignored_source(image, tmp_path, source, ignore, message, hint):
    ctx = make_tree(tmp_path / "ctx", {"secret.txt": "s", "d/inner.txt": "i", "out": ("->", "../outside")})
    (tmp_path / "outside").write_text("host file")
    with pytest.raises(ContextError) as err:
        copy(image, ctx, source, dest="/x", matcher=PatternMatcher(ignore))
    assert err.value.message == f"failed to compute cache key: failed to calculate checksum of ref context: {message}"
    assert hint in err.value.hint


def test_missing_source_in_a_stage_names_the_path(image, tmp_path):
    with pytest.raises(UserError, match='"/nope": not found'):
        copy(image, make_tree(tmp_path / "stage", {}), "/nope", dest="/x", context=False)


@pytest.mark.parametrize("source", ["../x", "a/../../x", "./../x"])
def test_source_outside_the_context_is_refused(image, tmp_path, source):
    ctx = make_tree(tmp_path / "ctx", {"x": "x", "a/y": "y"})
    with pytest.raises(ContextError, match=r"forbidden path outside the build context: .*\.\./x"):
        copy(image, ctx, source, dest="/x")


def test_ignored_files_are_absent_from_a_dir_copy(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"d/keep": "k", "d/drop.log": "d", "d/sub/x.log": "x"})
    copy(image, ctx, "d", dest="/o", matcher=PatternMatcher(["**/*.log"]))
    assert sorted(p for p in tree_snapshot(image, "o")) == ["o/keep", "o/sub"]


# --- owners and modes -------------------------------------------------------------------------------

CHOWN_CASES = [
    ("1001", (1001, 1001)),
    ("1001:1002", (1001, 1002)),
    ("nobody", (65534, 65534)),
    ("nobody:root", (65534, 0)),
    ("0:staff", (0, 50)),
    ("root:65534", (0, 65534)),
]


@pytest.mark.parametrize("chown,expected", CHOWN_CASES, ids=[c[0] for c in CHOWN_CASES])
def test_resolve_chown(image, chown, expected):
    assert resolve_chown(image, chown) == expected


@pytest.mark.parametrize("chown,message", [
    ("ghost", "unable to find user ghost: no matching entries in passwd file"),
    ("root:ghosts", "unable to find group ghosts: no matching entries in group file"),
])
def test_unknown_chown_name_is_an_error(image, chown, message):
    with pytest.raises(UserError, match=message):
        resolve_chown(image, chown)


def test_chown_owns_created_parents_but_not_existing_ones(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"f": "x"})
    (image / "srv").mkdir()
    copy(image, ctx, "f", dest="/srv/a/b/", chown="nobody:root")
    snap = tree_snapshot(image, "srv")
    assert [snap[p][2:4] for p in ("srv/a", "srv/a/b", "srv/a/b/f")] == [(65534, 0)] * 3
    assert os.stat(image / "srv").st_uid == 0


CHMOD_CASES = [  # (--chmod, file 0644 becomes, subdir 0755 becomes, dest dir made by COPY)
    ("0640", "0640", "0640", "0755"),
    ("u=rwX,go=rX", "0644", "0755", "0755"),
    ("a+x", "0755", "0755", "0755"),
    ("go-rwx", "0600", "0700", "0755"),
]


@pytest.mark.parametrize("chmod,file_mode,dir_mode,dest_mode", CHMOD_CASES, ids=[c[0] for c in CHMOD_CASES])
def test_chmod(image, tmp_path, chmod, file_mode, dir_mode, dest_mode):
    ctx = make_tree(tmp_path / "ctx", {"d/f": "x", "d/sub/g": "y"})
    copy(image, ctx, "d", dest="/o", chmod=chmod)
    snap = tree_snapshot(image, "o")
    assert (snap["o/f"][1], snap["o/sub"][1], snap["o/sub/g"][1]) == (file_mode, dir_mode, file_mode)
    assert os.stat(image / "o").st_mode & 0o7777 == int(dest_mode, 8)


def test_existing_subdir_takes_source_metadata(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"d/sub/g": "y"})
    make_tree(image, {"o/sub/old": "o"})
    os.chmod(image / "o/sub", 0o700)
    copy(image, ctx, "d", dest="/o", chown="5:5")
    snap = tree_snapshot(image, "o")
    assert snap["o/sub"][1:4] == ("0755", 5, 5) and snap["o/sub/old"][4] == "o"


def test_hard_links_are_kept(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"d/a": "x"})
    os.link(ctx / "d/a", ctx / "d/b")
    copy(image, ctx, "d", dest="/o")
    assert os.stat(image / "o/a").st_ino == os.stat(image / "o/b").st_ino


def test_mtime_is_kept(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"d/f": "x"})
    os.utime(ctx / "d/f", (1_600_000_000, 1_600_000_000))
    copy(image, ctx, "d", dest="/o")
    assert os.stat(image / "o/f").st_mtime == 1_600_000_000


# --- --exclude, --parents, heredocs -------------------------------------------------------------------

EXCLUDE_CASES = [
    (("*.log",), ["o/a.txt", "o/sub", "o/sub/b.log", "o/sub/c.txt"]),
    (("**/*.log",), ["o/a.txt", "o/sub", "o/sub/c.txt"]),
    (("sub",), ["o/a.txt", "o/x.log"]),
    (("sub", "!sub/c.txt"), ["o/a.txt", "o/sub", "o/sub/c.txt", "o/x.log"]),
]


@pytest.mark.parametrize("exclude,expected", EXCLUDE_CASES, ids=[",".join(c[0]) for c in EXCLUDE_CASES])
def test_exclude(image, tmp_path, exclude, expected):
    ctx = make_tree(tmp_path / "ctx", {"d/a.txt": "a", "d/x.log": "x", "d/sub/b.log": "b", "d/sub/c.txt": "c"})
    copy(image, ctx, "d", dest="/o", exclude=exclude)
    assert sorted(tree_snapshot(image, "o")) == expected


PARENTS_CASES = [
    (("a/b/c.txt",), ["o/a", "o/a/b", "o/a/b/c.txt"]),
    (("./a/b/c.txt",), ["o/a", "o/a/b", "o/a/b/c.txt"]),
    (("a/./b/c.txt",), ["o/b", "o/b/c.txt"]),
    (("a/*/c.txt",), ["o/a", "o/a/b", "o/a/b/c.txt"]),
    (("a/./b",), ["o/b", "o/b/c.txt", "o/b/d.md"]),
    (("a/b/*.md", "e/f.txt"), ["o/a", "o/a/b", "o/a/b/d.md", "o/e", "o/e/f.txt"]),
]


@pytest.mark.parametrize("sources,expected", PARENTS_CASES, ids=[" ".join(c[0]) for c in PARENTS_CASES])
def test_parents(image, tmp_path, sources, expected):
    ctx = make_tree(tmp_path / "ctx", {"a/b/c.txt": "c", "a/b/d.md": "d", "e/f.txt": "f"})
    os.chmod(ctx / "a", 0o750)
    copy(image, ctx, *sources, dest="/o/", parents=True)
    snap = tree_snapshot(image, "o")
    assert sorted(snap) == expected
    if "o/a" in snap:
        assert snap["o/a"][1] == "0750"  # parents are copied with their own metadata


def test_heredocs(image):
    spec = CopySpec(sources=(), dest="/app/", heredocs=(("run.sh", "#!/bin/sh\necho hi\n", 0o644),
                                                       ("conf", "x=1\n", 0o600)), chmod="0755")
    copy_into(image, spec, source_root=None, from_context=True)
    snap = tree_snapshot(image, "app")
    assert snap["app/run.sh"] == ("file", "0755", 0, 0, "#!/bin/sh\necho hi\n")
    assert snap["app/conf"][1] == "0755"


def test_single_heredoc_to_a_file_path(image):
    spec = CopySpec(sources=(), dest="/etc/motd", heredocs=(("EOF", "hello\n", 0o644),))
    copy_into(image, spec, source_root=None, from_context=True)
    assert (image / "etc/motd").read_text() == "hello\n"


def test_link_flag_changes_nothing_in_the_files(image, tmp_path):
    ctx = make_tree(tmp_path / "ctx", {"d/f": "x"})
    copy(image, ctx, "d", dest="/a", link=True)
    copy(image, ctx, "d", dest="/b")
    assert [v for p, v in tree_snapshot(image, "a").items()] == [v for p, v in tree_snapshot(image, "b").items()]


def test_sha_of_golden_text_matches(shared_dir):
    # the goldens' text field is what tree_snapshot() compares; make sure it is the whole file
    files = json.loads((shared_dir / "buildkit-goldens/golden/10-dir-owner-mode.json").read_text())["files"]
    entry = files["etc/app/app.ini"]
    assert hashlib.sha256(entry["text"].encode()).hexdigest() == entry["sha256"]
