"""Child process of test_kill_writes.py: concurrent writers until it is killed.

Usage: python tests/kill_writer.py INSTANCE ACK_DIR THREADS  (the key in hex on stdin)

Each thread opens its own connection with casework.store.db.connect and writes, in one
transaction each, a "write" of ROWS audit events sharing one id; only AFTER the commit
returns does it append the id to its own acknowledgement file and fsync it. A write is
therefore acknowledged only once SQLite said it was durable.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from casework.store import audit, db

ROWS = 3  # events per write: a write is all there or not at all
PADDING = "p" * 300  # a few writes fill a page: commits span pages and the WAL grows


def writer(instance: Path, key: bytearray, ack_dir: Path, number: int, ready) -> None:
    conn = db.connect(instance / "casework.db", key)
    ack = os.open(ack_dir / f"ack-{number}", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    ready.release()
    count = 0
    while True:
        write_id = f"{os.getpid()}-{number}-{count}"
        with db.transaction(conn):
            for row in range(ROWS):
                audit.record(
                    conn, int(time.time()), None, "kill.write", f"{write_id}:{row}:{PADDING}"
                )
        os.write(ack, f"{write_id}\n".encode())
        os.fsync(ack)
        count += 1


def main() -> None:
    instance, ack_dir, threads = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    key = bytearray.fromhex(sys.stdin.readline().strip())
    ready = threading.Semaphore(0)
    for number in range(threads):
        threading.Thread(
            target=writer, args=(instance, key, ack_dir, number, ready), daemon=True
        ).start()
    for _ in range(threads):
        ready.acquire()
    print("writing", flush=True)
    threading.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    main()
