"""Forensic helper: decrypt every page of a SQLCipher 4 database (and its -wal) with a raw key.

Used by tests to prove that purged rows are unrecoverable even by someone holding the key.
Written against the SQLCipher 4 defaults (checked empirically with SQLCipher 4.19):

- each page is ``page_size`` bytes (default 4096) and ends with a ``reserve`` of 80 bytes:
  a 16-byte IV followed by a 64-byte HMAC-SHA512;
- the data region (``page_size - reserve`` bytes) is AES-256-CBC with the raw key, no padding;
- page 1 begins with the 16-byte file salt in clear; its encrypted region starts at offset 16
  and the decrypted page is reported with ``b"SQLite format 3\\x00"`` in place of the salt;
- with a raw key PBKDF2 is skipped for the encryption key, but the HMAC key is still derived:
  ``PBKDF2-HMAC-SHA512(raw_key, salt XOR 0x3a, 2 iterations, 32 bytes)``;
- the HMAC covers ciphertext + IV followed by the page number as 4 bytes little-endian;
- the -wal file has a clear 32-byte header, then frames of a clear 24-byte header (page number
  big-endian in bytes 0-3) followed by one encrypted page, encrypted exactly like in the main
  file (page 1 frames carry the salt too).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "SQLITE_HEADER",
    "HmacError",
    "decrypt_page",
    "decrypt_pages",
    "decrypt_wal",
    "plaintext_contains",
    "read_salt",
]

SQLITE_HEADER = b"SQLite format 3\x00"
SALT_SIZE = 16
IV_SIZE = 16
HMAC_SIZE = 64
HMAC_SALT_MASK = 0x3A
FAST_KDF_ITER = 2
KEY_SIZE = 32
WAL_HEADER_SIZE = 32
WAL_FRAME_HEADER_SIZE = 24


class HmacError(ValueError):
    """A page's HMAC does not match: wrong key, or the page was altered."""


def _check_key(raw_key: bytes) -> None:
    if not isinstance(raw_key, bytes | bytearray) or len(raw_key) != KEY_SIZE:
        raise ValueError("raw_key must be exactly 32 bytes")


def _check_geometry(page_size: int, reserve: int) -> None:
    if page_size < 512 or page_size & (page_size - 1):
        raise ValueError(f"page_size must be a power of two >= 512, not {page_size}")
    if reserve < IV_SIZE or (page_size - reserve - SALT_SIZE) % 16:
        raise ValueError(f"reserve {reserve} does not fit AES-CBC blocks in a {page_size} page")


def read_salt(path: str | os.PathLike[str]) -> bytes:
    """The 16-byte salt stored in clear at the start of the main database file."""
    with open(path, "rb") as f:
        salt = f.read(SALT_SIZE)
    if len(salt) != SALT_SIZE:
        raise ValueError(f"{path} is too short to hold a SQLCipher salt")
    return salt


def _hmac_key(raw_key: bytes, salt: bytes) -> bytes:
    hmac_salt = bytes(b ^ HMAC_SALT_MASK for b in salt)
    return hashlib.pbkdf2_hmac("sha512", raw_key, hmac_salt, FAST_KDF_ITER, KEY_SIZE)


def decrypt_page(
    page: bytes,
    pgno: int,
    raw_key: bytes,
    *,
    reserve: int = 80,
    hmac_key: bytes | None = None,
) -> bytes:
    """Decrypt one encrypted page (numbered from 1); verify its HMAC if ``hmac_key`` is given.

    The returned plaintext has the same length as ``page``; the reserve area is returned as is
    (IV and HMAC), as SQLCipher does, and page 1 starts with the SQLite header.
    """
    page_size = len(page)
    offset = SALT_SIZE if pgno == 1 else 0
    end = page_size - reserve
    iv = page[end : end + IV_SIZE]
    if hmac_key is not None:
        mac = hmac.new(hmac_key, page[offset : end + IV_SIZE], hashlib.sha512)
        mac.update(struct.pack("<I", pgno))
        stored = page[end + IV_SIZE : end + IV_SIZE + HMAC_SIZE]
        if not hmac.compare_digest(mac.digest(), stored):
            raise HmacError(f"HMAC mismatch on page {pgno}")
    decryptor = Cipher(algorithms.AES(bytes(raw_key)), modes.CBC(iv)).decryptor()
    plain = decryptor.update(page[offset:end]) + decryptor.finalize()
    head = SQLITE_HEADER if pgno == 1 else b""
    return head + plain + page[end:]


def decrypt_pages(
    path: str | os.PathLike[str],
    raw_key: bytes,
    page_size: int = 4096,
    reserve: int = 80,
    *,
    verify_hmac: bool = False,
) -> list[bytes]:
    """Plaintext of every page of the main database file at ``path`` (index 0 = page 1).

    With ``verify_hmac=True`` every page's HMAC is checked first and :class:`HmacError` is
    raised on the first mismatch (which is what a wrong key produces).
    """
    _check_key(raw_key)
    _check_geometry(page_size, reserve)
    data = Path(path).read_bytes()
    if not data:
        return []
    if len(data) % page_size:
        raise ValueError(f"{path}: size {len(data)} is not a multiple of page size {page_size}")
    hkey = _hmac_key(raw_key, data[:SALT_SIZE]) if verify_hmac else None
    return [
        decrypt_page(
            data[i : i + page_size], i // page_size + 1, raw_key, reserve=reserve, hmac_key=hkey
        )
        for i in range(0, len(data), page_size)
    ]


def _wal_frames(data: bytes, page_size: int) -> list[tuple[int, bytes]]:
    if len(data) < WAL_HEADER_SIZE:
        return []
    magic, _version, wal_page_size = struct.unpack(">III", data[:12])
    if magic not in (0x377F0682, 0x377F0683):
        raise ValueError(f"not a WAL file (magic {magic:#x})")
    if wal_page_size != page_size:
        raise ValueError(f"WAL page size {wal_page_size} != {page_size}")
    frame_size = WAL_FRAME_HEADER_SIZE + page_size
    frames = []
    pos = WAL_HEADER_SIZE
    while pos + frame_size <= len(data):
        (pgno,) = struct.unpack(">I", data[pos : pos + 4])
        start = pos + WAL_FRAME_HEADER_SIZE
        frames.append((pgno, data[start : start + page_size]))
        pos += frame_size
    return frames


def decrypt_wal(
    path: str | os.PathLike[str],
    raw_key: bytes,
    page_size: int = 4096,
    reserve: int = 80,
    *,
    verify_hmac: bool = False,
    salt: bytes | None = None,
) -> list[bytes]:
    """Plaintext of the page in every frame of the -wal file at ``path``, in file order.

    All frames are returned, committed or not, current or stale (checksums are not checked:
    the point is to find anything an attacker could read). A missing or empty file gives [].

    HMAC verification needs the database salt: it is read from a page-1 frame in the WAL, or
    from the main database file (``path`` without ``-wal``), unless ``salt`` is given.
    """
    _check_key(raw_key)
    _check_geometry(page_size, reserve)
    wal = Path(path)
    if not wal.exists():
        return []
    frames = _wal_frames(wal.read_bytes(), page_size)
    hkey = None
    if verify_hmac and frames:
        if salt is None:
            salt = next((page[:SALT_SIZE] for pgno, page in frames if pgno == 1), None)
        if salt is None:
            main = str(wal).removesuffix("-wal")
            salt = read_salt(main)
        hkey = _hmac_key(raw_key, salt)
    return [
        decrypt_page(page, pgno, raw_key, reserve=reserve, hmac_key=hkey) for pgno, page in frames
    ]


def plaintext_contains(
    path: str | os.PathLike[str],
    raw_key: bytes,
    marker: bytes,
    page_size: int = 4096,
    reserve: int = 80,
) -> bool:
    """True if ``marker`` is in any decrypted page of the db file or any frame of its -wal.

    Each page is searched on its own (a marker split across two pages is not found; rows are
    stored within a page unless they overflow).
    """
    if not marker:
        raise ValueError("marker must not be empty")
    pages = decrypt_pages(path, raw_key, page_size, reserve)
    wal = Path(f"{os.fspath(path)}-wal")
    if wal.exists() and wal.stat().st_size:
        pages += decrypt_wal(wal, raw_key, page_size, reserve)
    return any(marker in page for page in pages)
