#!/usr/bin/env python
"""The naive way, for ./scripts/bench (C): casework with the Flask tutorial's database
pattern applied to SQLCipher, on the same server (casework.server) with TLS and threads.

Every request opens its own connection to a store keyed with the *passphrase*
(``PRAGMA key = '<passphrase>'``, so SQLCipher runs its own key derivation each time) and
closes it at teardown. casework instead derives the key once and keeps one connection per
server thread. The store given must be a passphrase-keyed copy (bench_store.passphrase_copy).

Reads the passphrase as one line of standard input. Not a way to run casework.

Example: .venv/bin/python scripts/bench_naive.py --instance /tmp/naive --port 8444
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlcipher3  # noqa: E402  (the benchmark's straw man opens the driver itself)
from flask import g  # noqa: E402

from casework import config, create_app, server  # noqa: E402
from casework.store.db import Connection  # noqa: E402


class PerRequestConnections:
    """Stands in for the store's pool: a new passphrase-keyed connection per request."""

    def __init__(self, path: Path, passphrase: str) -> None:
        self.path, self.passphrase, self.opened = path, passphrase, 0

    def get(self):
        conn = g.get("naive_conn")
        if conn is None:
            # casework's connection class (what its reads may keep dies with the request)
            conn = sqlcipher3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, factory=Connection
            )
            literal = self.passphrase.replace("'", "''")
            conn.execute(f"PRAGMA key = '{literal}'")
            conn.row_factory = sqlcipher3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 5000")
            g.naive_conn = conn
            self.opened += 1
        return conn

    def close_all(self) -> None:
        """Nothing is kept between requests."""


def close_connection(_exc=None) -> None:
    conn = g.pop("naive_conn", None)
    if conn is not None:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    passphrase = sys.stdin.readline().rstrip("\r\n")
    instance = args.instance.resolve()
    app = create_app(instance, tls=True)
    store = app.extensions["casework_store"]
    store._pool = PerRequestConnections(store.path, passphrase)  # unlocked, the naive way
    app.teardown_appcontext(close_connection)
    threads = config.load(instance)["threads"]
    httpd = server.build_server(app, args.host, args.port, threads, tls=True)
    print(f"naive casework is serving on https://{args.host}:{args.port}/", flush=True)
    server.run(httpd, lambda: None)


if __name__ == "__main__":
    main()
