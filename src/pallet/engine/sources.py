"""What COPY/ADD sources select in a root: each match, followed inside it, as an `Item`.

Shared by the copy itself (copy.py) and the cache key's context checksum (checksum.py),
which must select exactly what the copy will read.
"""

from __future__ import annotations

import os
import posixpath
import stat
from dataclasses import dataclass

from pallet.engine.paths import Root, clean_rel, escapes_root, join, match_wildcards, split_wildcards
from pallet.errors import ContextError, UserError


@dataclass(frozen=True, slots=True)
class Item:
    """One thing a source selects: `rel` in the source root (followed), `name` for the dest."""

    name: str
    rel: str
    st: os.stat_result
    keep: str | None = None  # --parents: the path kept below the dest
    base: str = ""  # --parents: the pivot dir `keep` is relative to

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.st.st_mode)


def is_url(source: str) -> bool:
    """dockerfile2llb isHTTPSource (add.py downloads these; they select nothing in a root)."""
    return source.startswith(("http://", "https://"))


def select_sources(root: Root, source: str, *, from_context: bool) -> list[Item]:
    """What one source names: wildcards expanded, each match followed inside the root."""
    _refuse_escape(source, from_context)
    base, wild = split_wildcards(source)
    if not wild:
        return [_followed(root, base, from_context)]
    resolved = root.resolve(base)
    if root.stat(resolved) is None:  # fsutil's walk fails on a missing base dir
        raise not_found(root, base, from_context)
    return [
        _followed(root, m, from_context) for m in match_wildcards(root, resolved, wild)
    ]


def _followed(root: Root, rel: str, from_context: bool) -> Item:
    st = root.stat(rel)
    if st is None:
        raise not_found(root, rel, from_context)
    name = posixpath.basename(rel) or posixpath.basename(root.resolve(rel))
    return Item(name, root.resolve(rel), st)


def select_with_parents(root: Root, source: str, *, from_context: bool) -> list[Item]:
    """COPY --parents: items keep their path below the pivot (`a/./b/c` keeps `b/c`, `a/b`
    keeps `a/b`); dockerfile2llb copies the pivot dir with the rest as an include pattern,
    so a match is not followed when it is a symlink."""
    _refuse_escape(source.replace("/./", "/"), from_context)
    before, after = split_pivot(source)
    base = root.resolve(clean_rel(before))
    prefix, wild = split_wildcards(after)
    if not wild:
        found = join(root.resolve(join(base, posixpath.dirname(prefix))), posixpath.basename(prefix))
        return [_kept(root, found, prefix, base, from_context)]
    start = root.resolve(join(base, prefix))
    if root.stat(start) is None:
        raise not_found(root, join(clean_rel(before), prefix), from_context)
    return [
        _kept(root, m, join(prefix, m[len(start) + 1 :] if start else m), base, from_context)
        for m in match_wildcards(root, start, wild)
    ]


def _kept(root: Root, rel: str, keep: str, base: str, from_context: bool) -> Item:
    if not keep:  # `--parents .`: nothing to keep, a plain dir copy
        return _followed(root, rel, from_context)
    st = root.lstat(rel)
    if st is None:
        raise not_found(root, rel, from_context)
    return Item(posixpath.basename(keep), rel, st, keep=keep, base=base)


def split_pivot(source: str) -> tuple[str, str]:
    """("a", "b/c") for "a/./b/c"; ("", "a/b") without a pivot (a leading "./" is none)."""
    if "/./" in source:
        before, after = source.split("/./", 1)
        return before, after
    return "", source


def _refuse_escape(source: str, from_context: bool) -> None:
    # BuildKit cleans "../x" to "/x" silently; the classic builder refused it, and so do we
    if from_context and not source.startswith("/") and escapes_root(source):
        raise ContextError(
            f"forbidden path outside the build context: {source}",
            hint="COPY can only read files inside the build context; move the file into it "
            "or build from a parent directory",
        )


def not_found(root: Root, rel: str, from_context: bool) -> UserError:
    """BuildKit's cache-key error for a source that is not there."""
    message = f'failed to compute cache key: failed to calculate checksum of ref ' \
              f'{"context" if from_context else "stage"}: "/{rel}": not found'
    if not from_context:
        return UserError(message, hint="the --from stage or image has no such path")
    if root.is_hidden(rel) and os.path.lexists(root.host_path(rel)):
        hint = f'"{rel}" is excluded by .dockerignore; add "!{rel}" to it to send it'
    else:
        hint = f'COPY reads paths relative to the build context "{root.host}"'
    return ContextError(message, hint=hint)
