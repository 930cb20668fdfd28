"""Cache records: cache key -> the layers of a solved op, in the metadata database.

A record keeps the parts its key was computed from (op, input keys, content checksums), so
a miss can be explained later by comparing parts.
"""

from __future__ import annotations

import json
import threading
import time

from pallet.solver.result import Layer
from pallet.state.db import transaction


class CacheRecords:
    def __init__(self, db) -> None:
        self.db = db
        self._lock = threading.Lock()  # one connection, many solver threads

    def get(self, key: str) -> list[Layer] | None:
        with self._lock:
            row = self.db.execute("SELECT result FROM cache WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            with transaction(self.db):
                self.db.execute("UPDATE cache SET last_used = ? WHERE key = ?", (time.time(), key))
        return [Layer(**item) for item in json.loads(row[0])]

    def put(self, key: str, layers, parts: dict) -> None:
        result = json.dumps([layer.to_json() for layer in layers])
        now = time.time()
        with self._lock, transaction(self.db):
            self.db.execute(
                "INSERT INTO cache (key, result, parts, created, last_used) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET result = excluded.result,"
                " last_used = excluded.last_used",
                (key, result, json.dumps(parts, sort_keys=True), now, now))
