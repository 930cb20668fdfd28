"""Content checksums of what COPY sources select in the context, for the Copy op's cache key.

Like BuildKit's cache/contenthash, the checksum covers what the copy depends on and nothing
else: each selected entry's path (relative to its source), type, permission bits, symlink
target and file bytes. Not mtimes and not owners (context files land 0:0 anyway), so a fresh
checkout of the same tree gives the same key.

Hashing 100 MB on every build is the slow part, so `StatCache` remembers each file's digest
with the stat fields that change whenever its bytes can have (size, mtime, ctime, inode,
mode), as git's index does. A touched file is read again, and gives the same digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pallet.engine.add import is_url
from pallet.engine.copy import select_sources
from pallet.engine.paths import Root, walk_tree
from pallet.dockerfile.dockerignore import PatternMatcher

_CACHE_VERSION = 1
# A file changed again within the same timestamp tick after we read it would keep its stat
# fields; git calls this "racily clean". Digests of files that young are not remembered.
_RACY_NS = 2_000_000_000


class StatCache:
    """Digests of files keyed by host path and (size, mtime_ns, ctime_ns, ino, mode).

    Load it once per build with the path it persists at, pass it to every
    `context_checksum`, which saves it when it learnt something.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.hashed = 0
        self.reused = 0
        self._entries: dict[str, list] = self._load()
        self._dirty = False

    def _load(self) -> dict[str, list]:
        if self.path is None:
            return {}
        try:
            data = json.loads(Path(self.path).read_text())
        except (OSError, ValueError):
            return {}  # missing or damaged: it is only a cache
        return data.get("entries", {}) if data.get("version") == _CACHE_VERSION else {}

    def digest(self, host: str, st: os.stat_result) -> str:
        """The sha256 hex of a regular file's bytes; read only when its stat changed."""
        key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode]
        entry = self._entries.get(host)
        if entry is not None and entry[:5] == key:
            self.reused += 1
            return entry[5]
        digest = hash_file(host)
        self.hashed += 1
        if st.st_mtime_ns < time.time_ns() - _RACY_NS:
            self._entries[host] = [*key, digest]
            self._dirty = True
        return digest

    def save(self) -> None:
        """Write the cache atomically (a temp file renamed over it), if anything changed."""
        if self.path is None or not self._dirty:
            return
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".statcache-", delete=False) as f:
            json.dump({"version": _CACHE_VERSION, "entries": self._entries}, f, separators=(",", ":"))
        os.replace(f.name, path)
        self._dirty = False


def hash_file(host: str) -> str:
    with open(host, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


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
                for entry in walk_tree(root, item.rel, excluded):
                    _add(out, "entry", entry.sub,
                         *_describe(root, entry.rel, entry.st, cache, entry.host))
    cache.save()
    return "sha256:" + out.hexdigest()


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
