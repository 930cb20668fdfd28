import sqlite3
import threading

import pytest

from pallet.errors import StoreError
from pallet.state.db import MIGRATIONS, connect, transaction
from pallet.state.locks import FileLock
from pallet.state.root import SYSTEM_ROOT, StateRoot, default_root_path

ROOTS = [
    ({"PALLET_ROOT": "/srv/p"}, 0, "/srv/p"),
    ({"PALLET_ROOT": "/srv/p"}, 1000, "/srv/p"),
    ({}, 0, str(SYSTEM_ROOT)),
    ({"XDG_DATA_HOME": "/x", "HOME": "/home/u"}, 1000, "/x/pallet"),
    ({"HOME": "/home/u"}, 1000, "/home/u/.local/share/pallet"),
]


@pytest.mark.parametrize("env,euid,expected", ROOTS)
def test_default_root(env, euid, expected):
    assert str(default_root_path(env, euid)) == expected


def test_ensure_makes_the_layout(tmp_path):
    root = StateRoot(tmp_path / "r").ensure()
    for d in (root.content_dir, root.locks_dir, root.snapshots_dir, root.tmp_dir):
        assert d.is_dir()
    assert (root.path.stat().st_mode & 0o777) == 0o700


def test_db_is_wal_and_migrated(tmp_path):
    conn = connect(tmp_path / "m.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    connect(tmp_path / "m.db")  # migrating again is a no-op


def test_db_newer_schema_is_refused(tmp_path):
    conn = connect(tmp_path / "m.db")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer than this pallet"):
        connect(tmp_path / "m.db")


def test_transaction_rolls_back(tmp_path):
    conn = connect(tmp_path / "m.db")
    with pytest.raises(RuntimeError):
        with transaction(conn):
            conn.execute("INSERT INTO images VALUES ('n', 't', 'd', 1, 'i', 1, 0, 0)")
            raise RuntimeError
    assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 0


def test_two_connections_see_each_other(tmp_path):
    a, b = connect(tmp_path / "m.db"), connect(tmp_path / "m.db")
    with transaction(a):
        a.execute("INSERT INTO images VALUES ('n', 't', 'd', 1, 'i', 1, 0, 0)")
    assert b.execute("SELECT name FROM images").fetchall() == [("n",)]


def test_corrupt_db_is_a_store_error(tmp_path):
    (tmp_path / "m.db").write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError):
        connect(tmp_path / "m.db")
    assert sqlite3  # the module under the error


def test_exclusive_lock_excludes(tmp_path):
    path = tmp_path / "l.lock"
    with FileLock(path):
        with pytest.raises(StoreError, match="timed out"):
            FileLock(path, timeout=0.1).acquire()
    with FileLock(path, timeout=0.1) as again:
        assert again.locked


def test_shared_locks_share_but_exclude_writers(tmp_path):
    path = tmp_path / "l.lock"
    with FileLock(path, shared=True), FileLock(path, shared=True, timeout=0.1):
        with pytest.raises(StoreError):
            FileLock(path, timeout=0.1).acquire()


def test_waiting_lock_gets_it_when_released(tmp_path):
    path = tmp_path / "l.lock"
    held = FileLock(path).acquire()
    threading.Timer(0.1, held.release).start()
    with FileLock(path, timeout=5) as got:
        assert got.locked
