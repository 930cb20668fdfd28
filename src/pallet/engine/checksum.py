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
  fields of every entry below it: when nothing there changed, the walk is all it costs.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pallet.engine.add import is_url
from pallet.engine.sources import select_sources
from pallet.engine.paths import Root, walk_tree
from pallet.dockerfile.dockerignore import PatternMatcher
from pallet.image.digest import file_sha256_hex

_CACHE_VERSION = 2
# A file changed again within the same timestamp tick after we read it would keep its stat
# fields; git calls this "racily clean". What is that young is not remembered.
_RACY_NS = 2_000_000_000


class StatCache:
    """File digests and directory digests, persisted as `path` (files) and a `.trees` sibling.

    Load it once per build, pass it to every `context_checksum`, then `save()`. The file
    table (one row per context file) is read only when a directory's fingerprint changed.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.hashed = 0  # files read
        self.reused = 0  # files whose digest was remembered
        self.trees_reused = 0  # dirs whose whole digest was remembered
        self._files: dict[str, list] | None = None
        self._trees: dict[str, list] = self._load(self._trees_path)
        self._dirty_files = self._dirty_trees = False

    @property
    def _trees_path(self) -> Path | None:
        return self.path.with_name(self.path.name + ".trees") if self.path else None

    @staticmethod
    def _load(path: Path | None) -> dict:
        if path is None:
            return {}
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}  # missing or damaged: it is only a cache
        if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
            return {}
        return data.get("entries", {})

    def digest(self, host: str, st: os.stat_result) -> str:
        """The sha256 hex of a regular file's bytes; read only when its stat changed."""
        if self._files is None:
            self._files = self._load(self.path)
        key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode]
        entry = self._files.get(host)
        if entry is not None and entry[:5] == key:
            self.reused += 1
            return entry[5]
        digest = file_sha256_hex(host)
        self.hashed += 1
        if st.st_mtime_ns < time.time_ns() - _RACY_NS:
            self._files[host] = [*key, digest]
            self._dirty_files = True
        return digest

    def tree_digest(self, key: str, fingerprint: str) -> str | None:
        """The digest remembered for a directory selection, if its fingerprint is unchanged."""
        entry = self._trees.get(key)
        if entry is None or entry[0] != fingerprint:
            return None
        self.trees_reused += 1
        return entry[1]

    def remember_tree(self, key: str, fingerprint: str, digest: str) -> None:
        self._trees[key] = [fingerprint, digest]
        self._dirty_trees = True

    def save(self) -> None:
        """Write what changed, atomically (a temp file renamed over it)."""
        if self.path is None:
            return
        if self._dirty_files:
            _write_json(self.path, self._files)
            self._dirty_files = False
        if self._dirty_trees:
            _write_json(self._trees_path, self._trees)
            self._dirty_trees = False


def _write_json(path: Path, entries: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".statcache-", delete=False) as f:
        json.dump({"version": _CACHE_VERSION, "entries": entries}, f, separators=(",", ":"))
    os.replace(f.name, path)


def tree_fingerprint(host: str) -> str | None:
    """A digest of (path, mode, size, mtime, ctime, inode) of every entry below `host`, or
    None when one of them changed too recently to be trusted (see _RACY_NS).

    Any change to an entry's bytes, mode, owner or link target gives it a new ctime (or a
    new inode), so an equal fingerprint means an equal tree. Ignored and excluded entries
    count too: a change there only costs a full walk, never a wrong digest."""
    rows: list[tuple] = []
    try:
        top = os.open(host, os.O_RDONLY | os.O_DIRECTORY)
        try:
            _fingerprint_rows(top, "", rows)
        finally:
            os.close(top)
    except OSError:  # changing while we look (or unreadable): the full walk decides
        return None
    newest = max((row[3] for row in rows), default=0)
    if newest >= time.time_ns() - _RACY_NS:
        return None
    return hashlib.sha256(marshal.dumps(rows)).hexdigest()


def _fingerprint_rows(dir_fd: int, prefix: str, rows: list[tuple]) -> None:
    # Walking by directory fd spares the kernel a path lookup per lstat (measured 15% less).
    with os.scandir(dir_fd) as it:
        for e in it:
            st = e.stat(follow_symlinks=False)
            rows.append((prefix + e.name, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                         st.st_ino))
            if e.is_dir(follow_symlinks=False):
                sub = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
                try:
                    _fingerprint_rows(sub, prefix + e.name + "/", rows)
                finally:
                    os.close(sub)


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
    host = root.host_path(rel)
    # what decides which entries below `host` the walk yields, besides the tree itself
    key = json.dumps([host, rel, [p.raw for p in matcher.patterns] if matcher else [],
                      [p.raw for p in excluded.patterns] if excluded else []])
    fingerprint = tree_fingerprint(host)
    if fingerprint is not None and (known := cache.tree_digest(key, fingerprint)) is not None:
        return known
    out = hashlib.sha256()
    for entry in walk_tree(root, rel, excluded):
        _add(out, "entry", entry.sub, *_describe(root, entry.rel, entry.st, cache, entry.host))
    digest = out.hexdigest()
    if fingerprint is not None:
        cache.remember_tree(key, fingerprint, digest)
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
