"""Content checksums of what COPY sources select in the context, for the Copy op's cache key.

Like BuildKit's cache/contenthash, the checksum covers what the copy depends on and nothing
else: each selected entry's path (relative to its source), type, permission bits, symlink
target and file bytes. Not mtimes and not owners (context files land 0:0 anyway), so a fresh
checkout of the same tree gives the same key.

Hashing 100 MB on every build is the slow part, so `StatCache` remembers, as git's index
does, what was computed with the stat fields that change whenever bytes can have (size,
mtime, ctime, inode, mode):
- per file, its digest: a touched file is read again, and gives the same digest;
- per copied directory, the digest of everything below it, with a fingerprint of the stat
  fields of every entry below it (fingerprint.py): when nothing there changed, a walk of
  stats is all it costs, and `pallet build` has a child take that walk ahead of time.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path

from pallet.engine import fingerprint
from pallet.engine.fingerprint import (
    TreeDigests, load_json_cache, save_json_cache, tree_fingerprint, trees_file,
)
from pallet.engine.sources import is_url, select_sources
from pallet.engine.paths import Root, walk_tree
from pallet.dockerfile.dockerignore import PatternMatcher
from pallet.image.digest import file_sha256_hex

class StatCache:
    """File digests (persisted at `path`) and directory digests (TreeDigests, at
    `<path>.trees`). Load it once per build, pass it to every `context_checksum`, then
    `save()`. The file table, a row per context file, is read only when a dir changed."""

    VERSION = 2

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.hashed = 0  # files read
        self.reused = 0  # files whose digest was remembered
        self.trees = TreeDigests(trees_file(self.path) if self.path else None)
        self._files: dict[str, list] | None = None
        self._dirty = False

    def digest(self, host: str, st: os.stat_result) -> str:
        """The sha256 hex of a regular file's bytes; read only when its stat changed."""
        if self._files is None:
            self._files = load_json_cache(self.path, self.VERSION)
        key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode]
        entry = self._files.get(host)
        if entry is not None and entry[:5] == key:
            self.reused += 1
            return entry[5]
        digest = file_sha256_hex(host)
        self.hashed += 1
        if st.st_mtime_ns < time.time_ns() - fingerprint.RACY_NS:
            self._files[host] = [*key, digest]
            self._dirty = True
        return digest

    def save(self) -> None:
        if self.path is not None and self._dirty:
            save_json_cache(self.path, self.VERSION, self._files)
            self._dirty = False
        self.trees.save()


def context_checksum(
    context_root: Path,
    sources: Sequence[str],
    matcher: PatternMatcher | None,
    *,
    exclude: Sequence[str] = (),
    stat_cache: StatCache | None = None,
) -> str:
    """"sha256:..." over exactly what `sources` select in the context (see the module doc).

    Only the selection counts, not how it was written (`src/*.py` == `src/a.py src/b.py`);
    the op's own fields add the rest to the key. Raises the copy's not-found and
    outside-the-context errors. URLs are skipped: their key is their --checksum or bytes.
    """
    root = Root.for_context(context_root, matcher)
    excluded = PatternMatcher(exclude, source="--exclude") if exclude else None
    cache = stat_cache or StatCache()
    out = hashlib.sha256()
    for source in sources:
        if is_url(source):
            continue
        for item in select_sources(root, source.replace("/./", "/"), from_context=True):
            _add(out, "item", item.name, *_describe(root, item.rel, item.st, cache))
            if item.is_dir:
                out.update(_tree_digest(root, item.rel, matcher, excluded, cache).encode())
    cache.save()
    return "sha256:" + out.hexdigest()


def _tree_digest(root: Root, rel: str, matcher: PatternMatcher | None,
                 excluded: PatternMatcher | None, cache: StatCache) -> str:
    """The digest of the entries below a selected dir, as the walk of a copy sees them."""
    host = os.path.realpath(root.host_path(rel))  # the same dir by any name, as prefetch finds it
    # what decides which entries below `host` the walk yields, besides the tree itself
    key = json.dumps([host, rel, [p.raw for p in matcher.patterns] if matcher else [],
                      [p.raw for p in excluded.patterns] if excluded else []])
    state = tree_fingerprint(host)
    if state is not None and (known := cache.trees.get(key, state)) is not None:
        return known
    out = hashlib.sha256()
    for entry in walk_tree(root, rel, excluded):
        _add(out, "entry", entry.sub, *_describe(root, entry.rel, entry.st, cache, entry.host))
    digest = out.hexdigest()
    if state is not None:
        cache.trees.put(key, state, digest)
    return digest


def _describe(root: Root, rel: str, st: os.stat_result, cache: StatCache,
              host: str = "") -> tuple[str, str, str]:
    """(type, permission bits, content): file digest, link target or device numbers."""
    mode = st.st_mode
    perm = f"{stat.S_IMODE(mode):04o}"
    host = host or root.host_path(rel)
    if stat.S_ISREG(mode):
        return "file", perm, cache.digest(host, st)
    if stat.S_ISLNK(mode):
        return "symlink", "", os.readlink(host)
    if stat.S_ISDIR(mode):
        return "dir", perm, ""
    return f"special{stat.S_IFMT(mode):o}", perm, f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"


def _add(out, *fields: str) -> None:
    # Every record has the same number of fields, each ended by NUL, a byte no file name or
    # link target can hold: unambiguous, and 5x cheaper than a JSON line per file.
    out.update(("\0".join(fields) + "\0").encode("utf-8", "surrogateescape"))
