"""Store passphrase → 32-byte key with Argon2id, and the per-store salt file.

The passphrase and the key are never written anywhere: only the salt and the KDF
parameters (neither is secret) live next to the store, so that a store made with one set
of parameters still opens after the defaults rise.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw

from casework.rules.wording import N_, Explained

KEY_BYTES = 32
SALT_BYTES = 16
SALT_FORMAT = "casework-kdf-1"
KEYED_BY_KEY_FILE = "key_file"
MIN_PASSPHRASE = 12
MAX_PASSPHRASE = 1024


class KeyProblem(Explained):
    """A passphrase, key file or salt file problem; the message is safe to print."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: production defaults are 64 MiB and 3 passes; tests configure cheaper."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4

    @classmethod
    def from_settings(cls, settings: dict) -> KdfParams:
        """The instance's cost (``kdf.*`` in config.toml)."""
        return cls(
            settings["kdf.time_cost"], settings["kdf.memory_kib"], settings["kdf.parallelism"]
        )


_derivations = 0
_derivations_lock = threading.Lock()


def derivation_count() -> int:
    """How many keys this process has derived (a test proves it never grows per request)."""
    return _derivations


def check_passphrase(passphrase: str) -> None:
    """Refuse a store passphrase that is too short to resist a seized disk."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyProblem(
            N_("the store passphrase must be at least {min_passphrase} characters"),
            min_passphrase=MIN_PASSPHRASE,
        )
    if len(passphrase) > MAX_PASSPHRASE:
        raise KeyProblem(
            N_("the store passphrase must be at most {max_passphrase} characters"),
            max_passphrase=MAX_PASSPHRASE,
        )


def derive_key(passphrase: str, salt: bytes, params: KdfParams) -> bytearray:
    """Derive the raw store key; a bytearray so that locking can overwrite it."""
    return derive_raw(passphrase.encode("utf-8"), salt, params)


def derive_raw(secret: bytes, salt: bytes, params: KdfParams) -> bytearray:
    """Argon2id of ``secret``: 32 bytes, counted (one per unlock attempt, never per request)."""
    global _derivations
    key = hash_secret_raw(
        secret,
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )
    with _derivations_lock:
        _derivations += 1
    return bytearray(key)


def wipe(buffer: bytearray | None) -> None:
    """Overwrite a key buffer in place (Python may hold other copies; this drops ours)."""
    if buffer is not None:
        for index in range(len(buffer)):
            buffer[index] = 0


def write_salt_file(path: Path, params: KdfParams, *, key_file: bool = False) -> bytes:
    """Create the salt file for a new store; refuse to replace an existing one.

    ``key_file=True`` records that the store is keyed by a key file, not a passphrase,
    so that no passphrase is ever asked for it.
    """
    salt = secrets.token_bytes(SALT_BYTES)
    body = {"format": SALT_FORMAT, "kdf": "argon2id", "salt": salt.hex(), **asdict(params)}
    if key_file:
        body["keyed_by"] = KEYED_BY_KEY_FILE
    with open(path, "x", encoding="utf-8") as handle:
        json.dump(body, handle)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    fsync_dir(path.parent)
    return salt


def fsync_dir(folder: Path) -> None:
    """Make a create, rename or unlink in ``folder`` durable (a power cut cannot undo it)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def keyed_by_key_file(path: Path) -> bool:
    """Whether the salt file says the store opens with a key file rather than a passphrase."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyProblem(N_("the salt file {path} is damaged or unreadable"), path=path) from exc
    return isinstance(body, dict) and body.get("keyed_by") == KEYED_BY_KEY_FILE


def read_salt_file(path: Path) -> tuple[bytes, KdfParams]:
    """Read the salt and the parameters the store was made with."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        salt = bytes.fromhex(body["salt"])
        params = KdfParams(
            time_cost=int(body["time_cost"]),
            memory_kib=int(body["memory_kib"]),
            parallelism=int(body["parallelism"]),
        )
        valid = body.get("format") == SALT_FORMAT and len(salt) == SALT_BYTES
    except FileNotFoundError as exc:
        raise KeyProblem(
            N_("the salt file {path} is missing: the store cannot be opened"), path=path
        ) from exc
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyProblem(N_("the salt file {path} is damaged or unreadable"), path=path) from exc
    if not valid:
        raise KeyProblem(N_("the salt file {path} is damaged or unreadable"), path=path)
    return salt, params


def read_key_file(path: Path) -> bytearray:
    """Read a raw 32-byte key file (unattended mode), refusing loose permissions."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise KeyProblem(N_("the key file {path} cannot be read"), path=path) from exc
    if mode & 0o077:
        raise KeyProblem(
            N_("the key file {path} is readable by others: chmod 600 it first"), path=path
        )
    if len(data) != KEY_BYTES:
        raise KeyProblem(
            N_("the key file {path} must hold exactly {key_bytes} bytes"),
            path=path,
            key_bytes=KEY_BYTES,
        )
    return bytearray(data)


def write_key_file(path: Path) -> bytearray:
    """Create a new random key file readable only by its owner."""
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return bytearray(key)
