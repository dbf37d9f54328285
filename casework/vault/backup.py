"""Encrypted backups: one file under its own passphrase, and a restore that checks it.

Format (version 1), all integers big-endian::

    magic      8 bytes   b"CWBK\\x00\\x00\\x00\\x01"
    salt      16 bytes   Argon2id salt of the backup passphrase
    params    12 bytes   time_cost, memory_kib, parallelism (3 x uint32)
    length     8 bytes   length of the body (uint64)
    body                 a SQLCipher database keyed with the backup's raw key
                         (sqlcipher_export into an ATTACHed file, never KEY '')
    digest    32 bytes   SHA-256 of everything before it: a damaged file is told apart
    tag       32 bytes   HMAC-SHA256 of the same under a key derived from the backup key:
                         a wrong passphrase is told apart, and an edit is refused

Nothing in it is readable without the backup passphrase; the header says only that it is
a casework backup and how costly its passphrase is to try.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from casework import clock
from casework.rules.wording import N_
from casework.store import StoreError, WrongKey
from casework.store.db import (
    connect,
    export_encrypted,
    integrity_problems,
    is_disk_full,
)
from casework.vault import keys
from casework.vault.store import Store

MAGIC = b"CWBK\x00\x00\x00\x01"
HEADER = struct.Struct(">8s16sIIIQ")
TRAILER_BYTES = 64
CHUNK = 1 << 20
WORK_FILE = "restore.partial.db"

Step = Callable[[str], None]


class BadBackup(StoreError):
    """The file is not a casework backup, or it is damaged; the message says which."""


def _tag_key(backup_key: bytearray) -> bytes:
    return hmac.new(bytes(backup_key), b"casework backup tag", hashlib.sha256).digest()


def write_backup(
    store_path: Path, store_key: bytearray, target: Path, passphrase: str, params, step: Step
) -> None:
    """Write an encrypted copy of the store to ``target`` under ``passphrase``."""
    keys.check_passphrase(passphrase)
    if target.exists():
        raise StoreError(N_("{target} already exists: choose a new file name"), target=target)
    salt = secrets.token_bytes(keys.SALT_BYTES)
    backup_key = keys.derive_key(passphrase, salt, params)
    try:
        with _private_folder(target.parent) as folder:
            body = folder / "export.db"
            step(N_("copying the store"))
            conn = connect(store_path, store_key)
            try:
                export_encrypted(conn, body, backup_key)
            finally:
                conn.close()
            step(N_("writing the backup"))
            header = HEADER.pack(
                MAGIC, salt, params.time_cost, params.memory_kib, params.parallelism,
                body.stat().st_size,
            )  # fmt: skip
            partial = folder / "backup.partial"
            _write_file(partial, header, body, _tag_key(backup_key))
            os.replace(partial, target)
            keys.fsync_dir(target.parent)
    except Exception as exc:
        if is_disk_full(exc):  # the half-written copy went with the private folder
            raise StoreError(
                N_(
                    "the disk holding {folder} is full: no backup was written;"
                    " free some space or choose another disk"
                ),
                folder=target.parent,
            ) from exc
        raise
    finally:
        keys.wipe(backup_key)


def _write_file(path: Path, header: bytes, body: Path, tag_key: bytes) -> None:
    digest, tag = hashlib.sha256(header), hmac.new(tag_key, header, hashlib.sha256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, open(body, "rb") as source:
        out.write(header)
        while chunk := source.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            tag.update(chunk)
        out.write(digest.digest() + tag.digest())
        out.flush()
        os.fsync(out.fileno())


@contextlib.contextmanager
def _private_folder(parent: Path) -> Iterator[Path]:
    # Next to the target (same file system for the rename), readable only by us.
    folder = Path(tempfile.mkdtemp(prefix=".casework-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_header(path: Path) -> tuple[bytes, keys.KdfParams, int]:
    """Salt, KDF parameters and body length; refuses what is not a whole backup."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            raw = handle.read(HEADER.size)
    except OSError as exc:
        raise BadBackup(N_("the backup {path} cannot be read"), path=path) from exc
    if len(raw) < HEADER.size or raw[:8] != MAGIC:
        raise BadBackup(N_("{path} is not a casework backup"), path=path)
    _magic, salt, time_cost, memory_kib, parallelism, length = HEADER.unpack(raw)
    if size != HEADER.size + length + TRAILER_BYTES:
        raise BadBackup(
            N_("the backup {path} is damaged: it is truncated or has extra bytes"), path=path
        )
    try:
        params = keys.KdfParams(time_cost, memory_kib, parallelism)
        if not (1 <= time_cost <= 64 and 8 <= memory_kib <= 4194304 and 1 <= parallelism <= 64):
            raise ValueError
    except ValueError as exc:
        raise BadBackup(
            N_("the backup {path} is damaged: its header is not valid"), path=path
        ) from exc
    return salt, params, length


def _check_digest(path: Path, length: int) -> None:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        remaining = HEADER.size + length
        while remaining:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
        stored = handle.read(32)
    if not hmac.compare_digest(digest.digest(), stored):
        raise BadBackup(N_("the backup {path} is damaged: some bytes were changed"), path=path)


def open_backup(path: Path, passphrase: str, step: Step) -> bytearray:
    """Check the file and the passphrase; return the backup key."""
    step(N_("checking the file"))
    salt, params, length = read_header(path)
    _check_digest(path, length)
    backup_key = keys.derive_key(passphrase, salt, params)
    tag = hmac.new(_tag_key(backup_key), digestmod=hashlib.sha256)
    with open(path, "rb") as handle:
        _copy(handle, HEADER.size + length, tag.update)
        handle.seek(32, os.SEEK_CUR)
        stored = handle.read(32)
    if not hmac.compare_digest(tag.digest(), stored):
        keys.wipe(backup_key)
        raise BadBackup(N_("the backup passphrase does not open this backup"))
    return backup_key


def _copy(handle: BinaryIO, length: int, sink: Callable[[bytes], object]) -> None:
    while length:
        chunk = handle.read(min(CHUNK, length))
        if not chunk:
            raise BadBackup(N_("the backup ended early"))
        sink(chunk)
        length -= len(chunk)


def extract(path: Path, backup_key: bytearray, target: Path, step: Step) -> None:
    """Write the backup's database to ``target`` and verify every page's HMAC."""
    step(N_("extracting"))
    _salt, _params, length = read_header(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, open(path, "rb") as handle:
        handle.seek(HEADER.size)
        _copy(handle, length, out.write)
        out.flush()
        os.fsync(out.fileno())
    step(N_("verifying every page"))
    try:
        conn = connect(target, backup_key)
    except WrongKey as exc:
        raise BadBackup(N_("the backup {path} is damaged: it cannot be opened"), path=path) from exc
    try:
        problems = integrity_problems(conn)
    except Exception as exc:
        raise BadBackup(
            N_("the backup {path} is damaged: it cannot be read to the end"), path=path
        ) from exc
    finally:
        conn.close()
    if problems:
        raise BadBackup(
            N_("the backup {path} is damaged: {count} problem(s)"), path=path, count=len(problems)
        )


def restore(
    store: Store,
    path: Path,
    backup_passphrase: str,
    new_secret: Callable[[], str] | Path,
    params: keys.KdfParams,
    step: Step,
) -> bytearray:
    """Replace ``store`` by the backup at ``path``; return the restored store's master key.

    ``new_secret`` is the restored store's key file, or a function asking its operator
    passphrase. The restored store gets a new master key, a new slot file and a new
    recovery key (``store.new_recovery_key``): coordinators get their slots back at their
    next sign-in. A crash leaves the old store or the restored one, never neither.
    """
    backup_key = open_backup(path, backup_passphrase, step)
    work = store.instance / WORK_FILE
    try:
        _discard(work)
        extract(path, backup_key, work, step)
        if isinstance(new_secret, Path):
            exists = new_secret.exists()
            secret = keys.read_key_file(new_secret) if exists else keys.write_key_file(new_secret)
            credential = {"key_file": bytes(secret)}
            keys.wipe(secret)
        else:
            passphrase = new_secret()
            keys.check_passphrase(passphrase)
            credential = {"passphrase": passphrase}
        step(N_("re-encrypting under a new master key"))
        step(N_("installing"))
        master, store.new_recovery_key = store.keyring.install(
            work, backup_key, clock.now(), params, **credential
        )
    finally:
        _discard(work)
        keys.wipe(backup_key)
    return master


def _discard_journal(db_path: Path) -> None:
    # A stale -wal would be replayed into the new file: it goes first.
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


def _discard(db_path: Path) -> None:
    _discard_journal(db_path)
    db_path.unlink(missing_ok=True)
