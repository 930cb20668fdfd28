"""ContainerStore: the `containers` table (migration 3 in pallet.state.db).

Names are unique (the table says so), so two `pallet run --name x` racing each other
cannot both win: the loser gets docker's "Conflict" error.
"""

from __future__ import annotations

import sqlite3
import threading

from pallet.container.errors import AmbiguousContainerError, NameConflictError, NoSuchContainerError
from pallet.container.record import Container, ContainerSpec
from pallet.state.db import transaction

_COLUMNS = ("id", "name", "image", "image_id", "spec", "created", "auto_remove", "status",
            "exit_code", "started", "finished", "supervisor_pid")


class ContainerStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()

    def add(self, c: Container) -> None:
        with self._lock, transaction(self.conn):
            row = self.conn.execute("SELECT id FROM containers WHERE name = ?", (c.name,)).fetchone()
            if row:
                raise NameConflictError(c.name, row[0])
            self.conn.execute(f"INSERT INTO containers ({', '.join(_COLUMNS)}) VALUES "
                              f"({', '.join('?' * len(_COLUMNS))})", _to_row(c))

    def update(self, cid: str, **fields) -> None:
        """Set some columns of one container; a removed container is not an error."""
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self._lock, transaction(self.conn):
            self.conn.execute(f"UPDATE containers SET {sets} WHERE id = ?", (*fields.values(), cid))

    def delete(self, cid: str) -> None:
        with self._lock, transaction(self.conn):
            self.conn.execute("DELETE FROM containers WHERE id = ?", (cid,))

    def get(self, cid: str) -> Container | None:
        rows = self._select("WHERE id = ?", (cid,))
        return rows[0] if rows else None

    def find(self, ref: str) -> Container:
        """docker's lookup order: full id, exact name, then a unique id prefix."""
        ref = ref.removeprefix("/")
        for where in ("WHERE id = ?", "WHERE name = ?"):
            rows = self._select(where, (ref,))
            if rows:
                return rows[0]
        rows = self._select("WHERE id LIKE ? ESCAPE '\\'", (_like_prefix(ref),)) if ref else []
        if len(rows) > 1:
            raise AmbiguousContainerError(ref)
        if not rows:
            raise NoSuchContainerError(ref)
        return rows[0]

    def list(self) -> list[Container]:
        """Newest first, as `docker ps` lists them."""
        return self._select("ORDER BY created DESC", ())

    def names(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self.conn.execute("SELECT name FROM containers")}

    def _select(self, where: str, params: tuple) -> list[Container]:
        with self._lock:
            rows = self.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM containers {where}", params).fetchall()
        return [_from_row(r) for r in rows]


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _to_row(c: Container) -> tuple:
    return (c.id, c.name, c.image, c.image_id, c.spec.to_json(), c.created, int(c.auto_remove),
            c.status, c.exit_code, c.started, c.finished, c.supervisor_pid)


def _from_row(r: tuple) -> Container:
    d = dict(zip(_COLUMNS, r))
    d["spec"] = ContainerSpec.from_json(d["spec"])
    d["auto_remove"] = bool(d["auto_remove"])
    return Container(**d)
