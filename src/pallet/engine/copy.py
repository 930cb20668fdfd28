"""COPY and ADD on directories: what BuildKit's file op does for a Copy action.

Matches BuildKit 0.8.4 (the goldens' reference) as seen through
solver/llbsolver/file/backend.go docopy and tonistiigi/fsutil copy/copy.go:

- Each source is copied on its own, in order. A dir source copies its *contents*; a
  source named directly that is a symlink is followed (fs.RootPath), and the dest name is
  the name as written; symlinks inside a copied dir stay symlinks. A wildcard that
  matches nothing copies nothing (dockerfile2llb sets AllowEmptyWildcard).
- The dest is a dir when it ends in "/" (or "/.", "."), when it already is one, and
  (Dockerfile reference) when there is more than one source; otherwise it is the file
  path. It is resolved in the dest root with symlinks followed inside it.
- Dirs that COPY makes on the way (fsutil MkdirAll) are 0755, owned 0:0 or by --chown;
  so is the dest dir of a dir copy, which is never given the source dir's metadata, and an
  existing dest dir keeps its own [goldens 02, 10]. Everything copied below it takes the
  source's mode (then --chmod) and owner (0:0 from the context, kept from a stage, or
  --chown).
"""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pallet.engine import add
from pallet.engine.paths import Root, join, walk_tree
from pallet.engine.sources import Item, is_url, select_sources, select_with_parents
from pallet.dockerfile.dockerignore import PatternMatcher
from pallet.dockerfile.instructions.chmod import Chmod, parse_chmod
from pallet.errors import UserError
from pallet.graph.ops import CopySpec
from pallet.image.digest import file_sha256_hex
from pallet.snapshot.filepool import FilePool

_SKIPPED_XATTRS = ("trusted.overlay.", "security.selinux")  # host bookkeeping, not content


def copy_into(
    dest_root: Path,
    spec: CopySpec,
    *,
    source_root: Path | None,
    from_context: bool,
    matcher: PatternMatcher | None = None,
    pool: FilePool | None = None,
) -> DeferredTree | None:
    """Apply one COPY/ADD to the mounted `dest_root`, reading from `source_root` (the
    context, with `matcher` from .dockerignore, or a stage's rootfs).

    With a `pool`, one context dir copied into a new or empty dir is not written through
    the mount: the returned DeferredTree writes it into the snapshot's upper dir once that
    is unmounted, hard-linking the files the pool already has (see snapshot/filepool.py)."""
    dest = Root(dest_root)
    opts = _Options(
        owner=resolve_chown(dest_root, spec.chown) if spec.chown else None,
        chmod=parse_chmod(spec.chmod) if spec.chmod else None,
        exclude=PatternMatcher(spec.exclude, source="--exclude") if spec.exclude else None,
    )
    dest_path = posixpath.join(spec.cwd or "/", spec.dest)
    with tempfile.TemporaryDirectory(prefix="pallet-copy-") as scratch:
        batches = _batches(spec, source_root, from_context, matcher, Path(scratch))
        count = sum(len(b.items) for b in batches)
        into_dir = ends_as_dir(spec.dest) or count > 1 or len(spec.sources) + len(spec.heredocs) > 1
        if pool is not None and pool.enabled and from_context and len(batches) == 1:
            deferred = _defer_tree(_Copier(dest, batches[0].src, opts, True), batches[0].items,
                                   dest_path, spec, pool)
            if deferred is not None:
                return deferred
        for batch in batches:
            copier = _Copier(dest, batch.src, opts, batch.zero_owner)
            for item in batch.items:
                unpack = batch.may_unpack and add.is_archive(batch.src.host_path(item.rel))
                copier.copy_item(item, dest_path, into_dir, unpack=unpack)
    return None


@dataclass(frozen=True, slots=True)
class DeferredTree:
    """A context dir's contents, still to be written below `dest_rel` of an upper dir."""

    src: Root
    opts: _Options
    src_rel: str
    dest_rel: str
    pool: FilePool

    def write(self, upper: Path) -> None:
        """Write into the unmounted upper dir, where `dest_rel` already is a new dir."""
        copier = _Copier(Root(upper), self.src, self.opts, zero_owner=True, pool=self.pool,
                         fresh=True)
        copier._copy_tree(self.src_rel, self.dest_rel)


def _defer_tree(copier: _Copier, items: list[Item], dest_path: str, spec: CopySpec,
                pool: FilePool) -> DeferredTree | None:
    """The deferred copy of a lone dir source, once its dest dir is in the upper dir and
    empty; None when the copy must go through the mount (several sources, --parents,
    "!" excludes, or a dest dir that already holds something the copy merges with)."""
    if len(items) != 1 or not items[0].is_dir or spec.parents:
        return None
    if copier.opts.exclude is not None and copier.opts.exclude.exclusions:
        return None
    target = copier.dest.resolve(dest_path)
    st = copier.dest.lstat(target)
    if st is None:
        copier.mkdir_all(target)  # made in the upper dir, opaque if a lower layer deleted it
    elif stat.S_ISDIR(st.st_mode) and not os.listdir(copier.dest.host_path(target)):
        # Setting its own times copies a lower dir up into the upper dir, unchanged.
        os.utime(copier.dest.host_path(target), ns=(st.st_atime_ns, st.st_mtime_ns))
    else:
        return None
    return DeferredTree(copier.src, copier.opts, items[0].rel, target, pool)


@dataclass(frozen=True, slots=True)
class _Batch:
    src: Root
    items: list[Item]
    zero_owner: bool  # context files, downloads and heredocs land 0:0
    may_unpack: bool  # ADD extracts archives from here


def _batches(spec, source_root, from_context, matcher, scratch: Path) -> list[_Batch]:
    """The local sources, then the URLs, then the heredocs, each from its own root."""
    paths = [s for s in spec.sources if not is_url(s)]
    urls = [s for s in spec.sources if is_url(s)]
    out = []
    if paths:
        src = Root.for_context(source_root, matcher) if from_context else Root(source_root)
        select = select_with_parents if spec.parents else select_sources
        items = [i for s in paths for i in select(src, s, from_context=from_context)]
        out.append(_Batch(src, items, from_context, spec.is_add and spec.unpack is not False))
    if urls:
        rels = add.fetch_urls(urls, scratch / "urls", checksum=spec.checksum)
        out.append(_Batch(Root(scratch / "urls"), _scratch_items(scratch / "urls", rels), True,
                          spec.unpack is True))
    if spec.heredocs:
        rels = _write_heredocs(scratch / "heredocs", spec.heredocs)
        out.append(_Batch(Root(scratch / "heredocs"), _scratch_items(scratch / "heredocs", rels),
                          True, False))
    return out


def _scratch_items(host: Path, rels: Sequence[str]) -> list[Item]:
    return [Item(posixpath.basename(r), r, os.lstat(host / r)) for r in rels]


def _write_heredocs(host: Path, heredocs) -> list[str]:
    """Heredoc sources as files, as dockerfile2llb makes them with llb.Mkfile."""
    rels = []
    for k, (name, content, mode) in enumerate(heredocs):
        rel = f"{k}/{posixpath.basename(name.rstrip('/')) or 'heredoc'}"
        (host / str(k)).mkdir(parents=True)
        (host / rel).write_bytes(content.encode("utf-8", "surrogateescape"))
        os.chmod(host / rel, mode & 0o7777)
        rels.append(rel)
    return rels


def ends_as_dir(dest: str) -> bool:
    """dockerfile2llb: "." / "" / a trailing "/" mean a dir; backend cleanPath keeps "/."."""
    return dest in ("", ".") or dest.endswith("/") or dest.endswith("/.")


# --- owners ----------------------------------------------------------------------------------


def resolve_chown(dest_root: Path, chown: str) -> tuple[int, int]:
    """--chown as solver/llbsolver/file/user_linux.go readUser resolves it, in the dest's
    /etc/passwd and /etc/group: a numeric user alone is uid:uid (`1001` -> 1001:1001), a named
    one takes its passwd gid, an explicit group replaces the gid. Unknown names are an error
    (BuildKit 0.8.4 silently used 0; see the goldens README)."""
    from pallet.executor.user import UserLookupError, resolve_user

    user, _, group = chown.partition(":")
    passwd, groups = _read_in(dest_root, "/etc/passwd"), _read_in(dest_root, "/etc/group")
    try:
        if user.isdigit():
            uid = gid = int(user)
        else:
            found = resolve_user(user or "root", passwd, groups)
            uid, gid = found.uid, found.gid
        if group:
            gid = int(group) if group.isdigit() else resolve_user(f"0:{group}", passwd, groups).gid
    except UserLookupError as e:
        raise UserError(e.message, hint=f'--chown={chown} names a user or group the image does '
                        'not have; use numeric ids, or create it in an earlier RUN') from None
    return uid, gid


def _read_in(root_dir: Path, path: str) -> str | None:
    root = Root(root_dir)
    try:
        return Path(root.host_path(root.resolve(path))).read_text(errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


# --- writing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Options:
    owner: tuple[int, int] | None
    chmod: Chmod | None
    exclude: PatternMatcher | None


@dataclass(slots=True)
class _Copier:
    """Copies items from `src` into `dest`; `zero_owner`: sources land 0:0 (context files)."""

    dest: Root
    src: Root
    opts: _Options
    zero_owner: bool
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # (dev, ino) -> dest host
    pool: FilePool | None = None
    pooled: set[str] = field(default_factory=set)  # pool names already linked in this copy
    fresh: bool = False  # the dest starts empty: nothing can be in the way of an entry

    def copy_item(self, item: Item, dest_path: str, into_dir: bool, *, unpack: bool = False) -> None:
        target = self.dest.resolve(dest_path)
        if unpack:  # backend.go unpack: the dest is always a dir
            add.extract_archive(self.src.host_path(item.rel), self.dest.host_path(self.mkdir_all(target)))
        elif item.keep is not None:
            self._copy_with_parents(item, target)
        elif item.is_dir:
            self._copy_tree(item.rel, self.mkdir_all(target))
        elif into_dir or self._is_dir(target):
            self._copy_entry(item.rel, item.st, join(self.mkdir_all(target), item.name))
        else:
            self.mkdir_all(posixpath.dirname(target))
            self._copy_entry(item.rel, item.st, target)

    def _copy_with_parents(self, item: Item, dest_rel: str) -> None:
        """The source's dirs between the pivot and the item are copied with their metadata."""
        parent = self.mkdir_all(dest_rel)
        parts = item.keep.split("/")
        for k in range(1, len(parts)):
            src_dir = self.src.resolve(join(item.base, "/".join(parts[:k])))
            parent = join(parent, parts[k - 1])
            if self.dest.lstat(parent) is None:
                self._copy_entry(src_dir, self.src.lstat(src_dir), parent)
        target = join(parent, parts[-1])
        self._copy_entry(item.rel, item.st, target)
        if item.is_dir:
            self._copy_tree(item.rel, target)

    def _is_dir(self, rel: str) -> bool:
        st = self.dest.lstat(rel)
        return st is not None and stat.S_ISDIR(st.st_mode)

    def mkdir_all(self, rel: str) -> str:
        """fsutil MkdirAll: missing dirs 0755, owned by --chown (else 0:0); returns `rel`."""
        parts = rel.split("/") if rel else []
        for k in range(1, len(parts) + 1):
            sub = "/".join(parts[:k])
            st = self.dest.lstat(sub)
            if st is None:
                host = self.dest.host_path(sub)
                os.mkdir(host, 0o755)
                os.chmod(host, 0o755)  # not our umask
                _chown(host, self.opts.owner or (0, 0))
            elif not stat.S_ISDIR(st.st_mode):
                raise UserError(f"mkdir /{sub}: not a directory",
                                hint=f'"/{sub}" is a file in the image; COPY needs a directory there')
        return rel

    def _copy_tree(self, src_rel: str, dest_rel: str) -> None:
        """The contents of a dir; an excluded dir comes back only as a parent of what is kept."""
        dir_times = []
        # only "!" exclude patterns can keep something below a dir that is left out
        lazy_parents = self.opts.exclude is not None and self.opts.exclude.exclusions
        for entry in walk_tree(self.src, src_rel, self.opts.exclude):
            target = join(dest_rel, entry.sub)
            if lazy_parents:
                self._make_parents(src_rel, dest_rel, entry.sub)
            self._copy_entry(entry.rel, entry.st, target)
            if stat.S_ISDIR(entry.st.st_mode):
                dir_times.append((self.dest.host_path(self._dir_target(target)), entry.st))
        for host, st in reversed(dir_times):  # after their contents changed them
            os.utime(host, ns=(st.st_atime_ns, st.st_mtime_ns))

    def _make_parents(self, src_rel: str, dest_rel: str, sub: str) -> None:
        """Dirs under an excluded dir are only made for what is kept (fsutil createParentDirs)."""
        parts = sub.split("/")[:-1]
        for k in range(1, len(parts) + 1):
            part = "/".join(parts[:k])
            if self.dest.lstat(join(dest_rel, part)) is None:
                src_dir = join(src_rel, part)
                self._copy_entry(src_dir, self.src.lstat(src_dir), join(dest_rel, part))

    def _dir_target(self, rel: str) -> str:
        """Where a dir entry goes: through a symlink to a dir (usrmerge's /lib), else `rel`."""
        st = self.dest.lstat(rel)
        if st is not None and stat.S_ISLNK(st.st_mode):
            resolved = self.dest.resolve(rel)
            if self._is_dir(resolved):
                return resolved
        return rel

    def _copy_entry(self, src_rel: str, st: os.stat_result, dest_rel: str) -> None:
        """One file, link, device or dir (the dir alone), with its metadata."""
        if stat.S_ISSOCK(st.st_mode):
            return  # sockets cannot be part of an image
        if stat.S_ISDIR(st.st_mode):
            dest_rel = self._dir_target(dest_rel)
        host = self.dest.host_path(dest_rel)
        if stat.S_ISDIR(st.st_mode):
            self._make_dir(host)
        else:
            if not self.fresh:
                _clear(host, dest_rel)
            if self.pool is not None and self._write_shared(self.src.host_path(src_rel), st, host):
                return
            if self._write_leaf(self.src.host_path(src_rel), st, host):
                return  # a hard link shares the metadata already set
        self._set_meta(self.src.host_path(src_rel), st, host)

    def _make_dir(self, host: str) -> None:
        if os.path.isdir(host) and not os.path.islink(host):
            return
        if os.path.lexists(host):
            raise UserError(f"cannot copy to non-directory: {host[len(self.dest.host):]}",
                            hint="a file in the image is where COPY puts a directory")
        os.mkdir(host, 0o700)

    def _write_leaf(self, src: str, st: os.stat_result, host: str) -> bool:
        """Write a non-dir; True when it was made as a hard link to an earlier copy."""
        mode = st.st_mode
        if stat.S_ISREG(mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in self.links:  # fsutil copy keeps hard links
                os.link(self.links[key], host)
                return True
            shutil.copyfile(src, host)
            self.links[key] = host
        elif stat.S_ISLNK(mode):
            os.symlink(os.readlink(src), host)
        else:
            os.mknod(host, stat.S_IFMT(mode) | 0o600, st.st_rdev)
        return False

    def _write_shared(self, src: str, st: os.stat_result, host: str) -> bool:
        """A regular file through the pool: linked from it, or written (metadata and all)
        and added to it. False for what the pool does not take: other types, files with
        hard links or xattrs, and a second identical file (it would become a hard link)."""
        pool = self.pool
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1 or not pool.enabled or _has_xattrs(src):
            return False
        owner, mode = self._owner(st), self._mode(st)
        name = pool.name(pool.digest_of(src, st), *owner, mode, st.st_mtime_ns)
        if name in self.pooled:
            return False
        self.pooled.add(name)
        if pool.link_to(name, host):
            return True
        shutil.copyfile(src, host)
        self._set_meta(src, st, host)
        # named by the bytes written, in case the file changed since its digest was taken
        pool.add(host, pool.name(file_sha256_hex(host), *owner, mode, st.st_mtime_ns))
        return True

    def _owner(self, st: os.stat_result) -> tuple[int, int]:
        return self.opts.owner or ((0, 0) if self.zero_owner else (st.st_uid, st.st_gid))

    def _mode(self, st: os.stat_result) -> int:
        if self.opts.chmod is not None:
            return stat.S_IMODE(self.opts.chmod.apply(st.st_mode, stat.S_ISDIR(st.st_mode)))
        return stat.S_IMODE(st.st_mode)

    def _set_meta(self, src: str, st: os.stat_result, host: str) -> None:
        _chown(host, self._owner(st))
        link = stat.S_ISLNK(st.st_mode)
        if not link:  # after chown, which clears setuid bits
            os.chmod(host, self._mode(st))
        _copy_xattrs(src, host)
        if not stat.S_ISDIR(st.st_mode):
            os.utime(host, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=not link)


def _clear(host: str, rel: str) -> None:
    """fsutil ensureEmptyFileTarget: a file, link or empty dir in the way is replaced."""
    if not os.path.lexists(host):
        return
    if os.path.isdir(host) and not os.path.islink(host):
        try:
            os.rmdir(host)
        except OSError as e:
            if e.errno != errno.ENOTEMPTY:
                raise
            raise UserError(f'cannot replace directory "/{rel}" with a file',
                            hint="the image has a non-empty directory where COPY puts a file") from None
    else:
        os.unlink(host)


def _chown(host: str, owner: tuple[int, int]) -> None:
    if os.geteuid() == 0:
        os.lchown(host, *owner)


def _has_xattrs(path: str) -> bool:
    try:
        return any(not n.startswith(_SKIPPED_XATTRS) for n in os.listxattr(path, follow_symlinks=False))
    except OSError:
        return False


def _copy_xattrs(src: str, host: str) -> None:
    try:
        names = os.listxattr(src, follow_symlinks=False)
    except OSError:
        return
    for name in names:
        if name.startswith(_SKIPPED_XATTRS):
            continue
        try:
            os.setxattr(host, name, os.getxattr(src, name, follow_symlinks=False), follow_symlinks=False)
        except OSError:
            pass  # fsutil's xattr error handler ignores what the dest fs refuses
