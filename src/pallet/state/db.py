"""The metadata database: SQLite in WAL mode, shared by every pallet process on a root.

WAL lets readers run while one writer commits (sqlite.org/wal.html); `busy_timeout` makes a
second writer wait instead of failing. Writes go through `transaction()`, which takes the
write lock up front (BEGIN IMMEDIATE) so two read-then-write transactions cannot deadlock.

The schema is a list of migrations; `PRAGMA user_version` records how many have run. Add a
migration at the end, never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pallet.errors import StoreError
from pallet.state.locks import FileLock

BUSY_TIMEOUT_MS = 30_000

MIGRATIONS: list[str] = [
    # 1: the local image store (pallet.image.store)
    """
    CREATE TABLE images (
        name        TEXT PRIMARY KEY,   -- normalised reference: docker.io/library/busybox:latest
        media_type  TEXT NOT NULL,      -- of the target: a manifest or an index
        digest      TEXT NOT NULL,
        size        INTEGER NOT NULL,
        image_id    TEXT NOT NULL,      -- config digest: what docker shows as IMAGE ID
        content_size INTEGER NOT NULL,  -- manifest + config + layers, as stored
        created     REAL NOT NULL,      -- real time the name was set (unix seconds)
        updated     REAL NOT NULL
    );
    CREATE INDEX images_by_id ON images(image_id);
    CREATE INDEX images_by_digest ON images(digest);
    """,
    # 2: build cache records (pallet.engine.cache): cache key -> the layers of the result
    """
    CREATE TABLE cache (
        key         TEXT PRIMARY KEY,   -- sha256 over the op, its inputs' keys and content
        result      TEXT NOT NULL,      -- JSON: the result's layers
        parts       TEXT NOT NULL,      -- JSON: what the key was computed from (explains misses)
        created     REAL NOT NULL,
        last_used   REAL NOT NULL
    );
    """,
    # 3: containers (pallet.container.store): what `pallet run` made, for ps/exec/stop/rm
    """
    CREATE TABLE containers (
        id          TEXT PRIMARY KEY,   -- 64 hex digits
        name        TEXT NOT NULL UNIQUE,
        image       TEXT NOT NULL,      -- as the user wrote it
        image_id    TEXT NOT NULL,      -- config digest
        spec        TEXT NOT NULL,      -- JSON: process, tty, stop signal, volumes, top snapshot
        created     REAL NOT NULL,
        auto_remove INTEGER NOT NULL,   -- --rm
        status      TEXT NOT NULL,      -- created | running | exited
        exit_code   INTEGER,
        started     REAL,
        finished    REAL,
        supervisor_pid INTEGER          -- the process that waits for it (pallet.container.supervise)
    );
    """,
]


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (and migrate) the database; autocommit mode, writes via `transaction()`."""
    try:
        # check_same_thread=False: the solver's threads share one connection, each use
        # serialised by its owner's lock (e.g. pallet.engine.cache.CacheRecords).
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # Switching to WAL needs the database to itself and does not wait on the busy
        # handler, so processes opening a fresh root at once take turns (measured: 4
        # concurrent `pallet import` on a new root failed with "database is locked").
        # An up-to-date database (every open but the first) needs neither lock.
        if not _ready(conn):
            with FileLock(f"{path}.lock"):
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                migrate(conn)
    except sqlite3.DatabaseError as e:
        raise StoreError(f'cannot open metadata database "{path}": {e}') from e
    return conn


def _ready(conn: sqlite3.Connection) -> bool:
    return (conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            and conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"metadata database schema version {version} is newer than this pallet ({len(MIGRATIONS)})",
                hint="upgrade pallet, or use another PALLET_ROOT",
            )
        for n, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {n}")
