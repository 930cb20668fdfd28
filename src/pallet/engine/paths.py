"""What a COPY source names inside a root: symlinks followed within it, wildcards, walks.

A `Root` is a directory used as `/`, as BuildKit's file op sees a mount: every name is
resolved with continuity's `fs.RootPath` rules (a symlink, absolute or `../..`, never leads
out of the root), and entries that .dockerignore hides are absent, as they never reach
BuildKit (fsutil filter.go sends only what the ignore file keeps). Paths inside a root are
"rel" strings: "/"-separated, no leading "/", "" for the root itself.

Wildcards are Go's filepath.Match per component (`*`, `?`, `[...]`, `\\` escapes), found
the way tonistiigi/fsutil copy.go ResolveWildcards finds them: the part before the first
wildcard component is resolved (following symlinks), the rest is matched by a walk that
does not follow symlinks and does not descend into a matched directory.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from pallet.dockerfile.dockerignore import PatternMatcher, glob_syntax_ok, walk_context
from pallet.errors import UserError

MAX_SYMLINKS = 255  # continuity fs.RootPath's limit


class Root:
    """A directory seen as `/`, optionally with only the `visible` rel paths present."""

    def __init__(self, host: str | os.PathLike[str], visible: Collection[str] | None = None):
        self.host = os.fspath(host)
        self._visible = visible

    @classmethod
    def for_context(cls, host: str | os.PathLike[str], matcher: PatternMatcher | None) -> Root:
        """The context as BuildKit receives it: what `matcher` excludes is not there."""
        if matcher is None or not matcher.patterns:
            return cls(host)
        return cls(host, frozenset(walk_context(os.fspath(host), matcher)))

    def host_path(self, rel: str) -> str:
        return os.path.join(self.host, rel) if rel else self.host

    def is_hidden(self, rel: str) -> bool:
        return self._visible is not None and rel != "" and rel not in self._visible

    def lstat(self, rel: str) -> os.stat_result | None:
        """The entry's lstat, or None when it is absent or hidden."""
        if self.is_hidden(rel):
            return None
        try:
            return os.lstat(self.host_path(rel))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def stat(self, rel: str) -> os.stat_result | None:
        """lstat of what `rel` names once its symlinks are followed inside the root."""
        return self.lstat(self.resolve(rel))

    def listdir(self, rel: str) -> list[str]:
        """Visible names in a dir, sorted by bytes as Go's os.ReadDir sorts them."""
        names = os.listdir(self.host_path(rel))
        if self._visible is not None:
            names = [n for n in names if not self.is_hidden(join(rel, n))]
        return sorted(names, key=os.fsencode)

    def resolve(self, path: str) -> str:
        """The rel path `path` names, every symlink followed inside the root (fs.RootPath)."""
        todo = _parts(path)[::-1]
        done: list[str] = []
        hops = 0
        while todo:
            part = todo.pop()
            if part == "..":
                done = done[:-1]
                continue
            here = "/".join([*done, part])
            st = self.lstat(here)
            if st is None or not stat.S_ISLNK(st.st_mode):
                done.append(part)
                continue
            hops += 1
            if hops > MAX_SYMLINKS:
                raise UserError(f'too many levels of symbolic links: "{path}"')
            target = os.readlink(self.host_path(here))
            done = [] if target.startswith("/") else done
            todo.extend(_parts(target)[::-1])
        return "/".join(done)


def join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


def clean_rel(path: str) -> str:
    """Go's path.Clean of "/" + path, as a rel path: `..` stops at the root."""
    out: list[str] = []
    for part in _parts(path):
        if part == "..":
            out = out[:-1]
        else:
            out.append(part)
    return "/".join(out)


def escapes_root(path: str) -> bool:
    """Whether a relative `path` climbs above its root (`../x`, `a/../../x`)."""
    depth = 0
    for part in _parts(path):
        depth += -1 if part == ".." else 1
        if depth < 0:
            return True
    return False


# --- wildcards (Go filepath.Match) ------------------------------------------------------


def has_wildcards(part: str) -> bool:
    """fsutil copy.go containsWildcards: `*`, `?` or `[` not escaped by a backslash."""
    i = 0
    while i < len(part):
        if part[i] == "\\":
            i += 2
            continue
        if part[i] in "*?[":
            return True
        i += 1
    return False


@functools.lru_cache(maxsize=1024)
def _component_regex(pattern: str) -> re.Pattern[str] | None:
    """One path component's pattern as a regex; None when Go reports ErrBadPattern."""
    if not glob_syntax_ok(pattern):
        return None
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            piece, i = _class_regex(pattern, i + 1)
            out.append(piece)
            continue
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S)


def _class_regex(pattern: str, i: int) -> tuple[str, int]:
    """A `[...]` class (already known well formed) from just after "["; Go's `^` negates."""
    negated = pattern.startswith("^", i)
    i += negated
    items = []
    while pattern[i] != "]" or not items:
        lo, i = _class_char(pattern, i)
        if pattern[i] == "-":
            hi, i = _class_char(pattern, i + 1)
            items.append(f"{re.escape(lo)}-{re.escape(hi)}")
        else:
            items.append(re.escape(lo))
    return "[" + "^" * negated + "".join(items) + "]", i + 1


def _class_char(pattern: str, i: int) -> tuple[str, int]:
    if pattern[i] == "\\":
        i += 1
    return pattern[i], i + 1


def go_match(pattern: str, name: str) -> bool:
    """filepath.Match(pattern, name) for one component; a bad pattern matches nothing."""
    regex = _component_regex(pattern)
    return bool(regex and regex.fullmatch(name))


def split_wildcards(path: str) -> tuple[str, list[str]]:
    """fsutil splitWildcards: (rel prefix without wildcards, the components from the first
    wildcard on); the components list is empty when there is no wildcard."""
    cleaned = clean_rel(path)
    parts = cleaned.split("/") if cleaned else []
    for k, part in enumerate(parts):
        if has_wildcards(part):
            return "/".join(parts[:k]), parts[k:]
    return "/".join(parts), []


def match_wildcards(root: Root, base: str, components: list[str]) -> list[str]:
    """Rel paths below `base` (already resolved) matching `components`, in walk order."""
    matches: list[str] = []
    _match_level(root, base, components, matches)
    return matches


def _match_level(root: Root, rel: str, components: list[str], out: list[str]) -> None:
    head, rest = components[0], components[1:]
    for name in root.listdir(rel):
        if not go_match(head, name):
            continue
        child = join(rel, name)
        if not rest:
            out.append(child)
        elif stat.S_ISDIR(root.lstat(child).st_mode):  # the walk does not follow symlinks
            _match_level(root, child, rest, out)


# --- walking a copied directory ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry below a copied dir: `sub` relative to that dir, `rel` in the root."""

    sub: str
    rel: str
    st: os.stat_result
    host: str = ""  # its path on the host, when the walk knows it


def walk_tree(root: Root, top: str, exclude: PatternMatcher | None = None) -> Iterator[Entry]:
    """Entries below `top` in pre-order, sorted by name, without what --exclude matches.

    --exclude patterns are matched against the path below `top`. As fsutil copy.go does, an
    excluded dir is still walked when a pattern starts with "!" (something below it may come
    back); the dir itself is then not yielded.
    """
    return _walk(root, top, "", exclude)


def _walk(root: Root, rel: str, sub: str, exclude: PatternMatcher | None) -> Iterator[Entry]:
    # scandir gives each entry's path and lstat without a Python join per name: the walk
    # is the hot loop of a 20,000-file context checksum (measured: 40% less time).
    with os.scandir(root.host_path(rel)) as it:
        entries = sorted(it, key=lambda e: os.fsencode(e.name))
    for e in entries:
        child, child_sub = join(rel, e.name), join(sub, e.name)
        if root.is_hidden(child):
            continue
        try:
            st = e.stat(follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            continue
        excluded = exclude is not None and exclude.matches(child_sub)
        if not excluded:
            yield Entry(child_sub, child, st, e.path)
        if stat.S_ISDIR(st.st_mode) and (not excluded or exclude.exclusions):
            yield from _walk(root, child, child_sub, exclude)
