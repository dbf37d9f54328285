"""Key slots: the ways into a store, each wrapping the store's random master key.

The store is encrypted under a random 32-byte **master key** that lives only in memory.
The slot file (``store.slots``, next to the store, needed before unlocking) holds one slot
per way in: each coordinator (from their pseudonym and password), the recovery key, the
optional operator passphrase and the unattended key file. A slot has an X25519 key pair:

- its private key is encrypted (AES-256-GCM) under a key derived from the credential;
- the master key is sealed to its public key with HPKE (RFC 9180: X25519, HKDF-SHA256,
  AES-256-GCM), so a new master key can be sealed to every slot without anyone's password
  (rotation when a coordinator leaves).

Every slot is bound to this store, itself and its kind (associated data and HPKE info);
the sealed master key also to the file's **epoch**, which the store records too, so a
slot copied from another file or a rolled-back file is refused. The whole file carries a
MAC under a key derived from the master key. The file names nobody: which slot is whose
is recorded inside the encrypted store only.

One unlock attempt costs one Argon2id derivation whatever the number of slots: every
coordinator slot derives from the pseudonym and password with a salt made of the store id
and the pseudonym, so the password is stretched once and the slots are tried cheaply
(each slot then has its own random salt for the HKDF step). Costs are recorded per slot,
so they can rise; slots of an older cost are re-made at the person's next sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from casework.rules.wording import N_
from casework.vault import keys

SLOT_FILE = "store.slots"
PENDING_SLOT_FILE = "store.slots.new"
FORMAT = "casework-slots-1"
COORDINATOR, OPERATOR, RECOVERY, KEY_FILE = "coordinator", "operator", "recovery", "key_file"
KINDS = (COORDINATOR, OPERATOR, RECOVERY, KEY_FILE)
# Kinds whose credential is stretched with Argon2id (the others are 32 random bytes).
STRETCHED = (COORDINATOR, OPERATOR)
SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
SALT_BYTES = 16
NONCE_BYTES = 12
MASTER_BYTES = 32


class SlotProblem(keys.KeyProblem):
    """The slot file is missing, damaged, edited, rolled back or from another store."""


@dataclass(frozen=True)
class Slot:
    id: str
    kind: str
    created: int
    salt: bytes
    public_key: bytes
    private_box: bytes
    sealed: bytes = b""
    kdf: keys.KdfParams | None = None
    last_used: int | None = None


@dataclass(frozen=True)
class SlotFile:
    store_id: str
    epoch: int
    slots: tuple[Slot, ...] = field(default_factory=tuple)
    mac: bytes = b""

    def of_kind(self, kind: str) -> list[Slot]:
        return [slot for slot in self.slots if slot.kind == kind]

    def without(self, slot_ids: Iterable[str]) -> SlotFile:
        gone = set(slot_ids)
        return replace(self, slots=tuple(s for s in self.slots if s.id not in gone))


@dataclass
class Opened:
    """What a credential opened: the master key (overwrite it when done) and by which slot."""

    master: bytearray
    slot: Slot
    file: SlotFile
    pending: bool = False  # opened from the pending file of an interrupted rotation


# --- credentials ------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """A secret typed or read by someone: its kind, and what identifies the slot's owner."""

    kind: str
    secret: bytes
    handle: str = ""


def coordinator(handle: str, password: str) -> Credential:
    return Credential(COORDINATOR, password.encode("utf-8"), handle)


def operator(passphrase: str) -> Credential:
    return Credential(OPERATOR, passphrase.encode("utf-8"))


def recovery(key: bytes | bytearray) -> Credential:
    return Credential(RECOVERY, bytes(key))


def key_file(key: bytes | bytearray) -> Credential:
    return Credential(KEY_FILE, bytes(key))


def _handle_salt(store_id: str, handle: str) -> bytes:
    text = f"casework coordinator slot\0{store_id}\0{handle.strip().casefold()}"
    return hashlib.sha256(text.encode("utf-8")).digest()[:SALT_BYTES]


def stretch(credential: Credential, store_id: str, slot: Slot) -> bytes:
    """The credential's input key for ``slot``: Argon2id for passwords, as is for keys."""
    if credential.kind not in STRETCHED:
        return credential.secret
    params = slot.kdf or keys.KdfParams()
    return bytes(keys.derive_raw(credential.secret, _salt(credential, store_id, slot), params))


def _salt(credential: Credential, store_id: str, slot: Slot) -> bytes:
    """A coordinator's salt comes from their pseudonym (one derivation opens their slot
    among many); any other stretched slot has its own random salt."""
    if credential.kind == COORDINATOR:
        return _handle_salt(store_id, credential.handle)
    return slot.salt


# --- the cryptography of one slot --------------------------------------------------------


def _binding(store_id: str, slot_id: str, kind: str) -> bytes:
    return f"casework-slot-1|{store_id}|{slot_id}|{kind}".encode()


def _sealing_info(store_id: str, slot: Slot, epoch: int) -> bytes:
    return _binding(store_id, slot.id, slot.kind) + f"|epoch={epoch}".encode()


def _slot_key(stretched: bytes, store_id: str, slot_id: str, kind: str, salt: bytes) -> bytes:
    hkdf = HKDF(hashes.SHA256(), 32, salt, _binding(store_id, slot_id, kind))
    return hkdf.derive(stretched)


def new_slot(
    kind: str,
    stretched_for: Callable[[Slot], bytes],
    store_id: str,
    now: int,
    kdf: keys.KdfParams | None,
) -> Slot:
    """A slot whose private key is boxed under ``stretched_for(slot)`` (not sealed yet)."""
    if kind not in KINDS:
        raise ValueError(kind)
    private = x25519.X25519PrivateKey.generate()
    slot = Slot(
        id=secrets.token_hex(8),
        kind=kind,
        created=now,
        salt=secrets.token_bytes(SALT_BYTES),
        public_key=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        private_box=b"",
        kdf=kdf if kind in STRETCHED else None,
    )
    key = _slot_key(stretched_for(slot), store_id, slot.id, kind, slot.salt)
    nonce = secrets.token_bytes(NONCE_BYTES)
    raw = bytearray(private.private_bytes_raw())
    try:
        box = nonce + AESGCM(key).encrypt(nonce, bytes(raw), _binding(store_id, slot.id, kind))
    finally:
        keys.wipe(raw)
    return replace(slot, private_box=box)


def _open_private(slot: Slot, stretched: bytes, store_id: str) -> x25519.X25519PrivateKey | None:
    key = _slot_key(stretched, store_id, slot.id, slot.kind, slot.salt)
    nonce, body = slot.private_box[:NONCE_BYTES], slot.private_box[NONCE_BYTES:]
    try:
        raw = bytearray(AESGCM(key).decrypt(nonce, body, _binding(store_id, slot.id, slot.kind)))
    except InvalidTag:
        return None
    try:
        return x25519.X25519PrivateKey.from_private_bytes(bytes(raw))
    finally:
        keys.wipe(raw)


def seal(file: SlotFile, master: bytes | bytearray, epoch: int) -> SlotFile:
    """``file`` at ``epoch`` with ``master`` sealed to every slot and a fresh MAC."""
    slots = tuple(
        replace(
            slot,
            sealed=SUITE.encrypt(
                bytes(master),
                x25519.X25519PublicKey.from_public_bytes(slot.public_key),
                info=_sealing_info(file.store_id, slot, epoch),
            ),
        )
        for slot in file.slots
    )
    sealed = replace(file, epoch=epoch, slots=slots, mac=b"")
    return replace(sealed, mac=_mac(sealed, master))


def _mac(file: SlotFile, master: bytes | bytearray) -> bytes:
    key = HKDF(hashes.SHA256(), 32, None, b"casework slot file mac|" + file.store_id.encode())
    return hmac.new(key.derive(bytes(master)), _body(file), hashlib.sha256).digest()


def verify(file: SlotFile, master: bytes | bytearray) -> None:
    """Refuse a file whose MAC does not check under ``master`` (edited, or not this key's)."""
    if not hmac.compare_digest(_mac(file, master), file.mac):
        raise SlotProblem(N_("the slot file was edited or mixed with another one"))


def open_file(file: SlotFile, credential: Credential) -> Opened | None:
    """The master key behind the first slot of ``credential``'s kind that it opens.

    One Argon2id derivation per distinct cost and salt among those slots (normally one: a
    coordinator's salt is their pseudonym's). A slot that opens but whose sealed key or the
    file's MAC does not check is an edited file.
    """
    stretched: dict[tuple, bytes] = {}
    for slot in file.of_kind(credential.kind):
        derivation = (slot.kdf, _salt(credential, file.store_id, slot))
        if derivation not in stretched:
            stretched[derivation] = stretch(credential, file.store_id, slot)
        private = _open_private(slot, stretched[derivation], file.store_id)
        if private is None:
            continue
        try:
            master = bytearray(
                SUITE.decrypt(
                    slot.sealed, private, info=_sealing_info(file.store_id, slot, file.epoch)
                )
            )
        except (InvalidTag, ValueError) as exc:
            raise SlotProblem(N_("the slot file was edited or mixed with another one")) from exc
        if len(master) != MASTER_BYTES or not hmac.compare_digest(_mac(file, master), file.mac):
            keys.wipe(master)
            raise SlotProblem(N_("the slot file was edited or mixed with another one"))
        return Opened(master, slot, file)
    return None


# --- the file ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _slot_json(slot: Slot) -> dict:
    body = {
        "id": slot.id,
        "kind": slot.kind,
        "created": slot.created,
        "salt": _b64(slot.salt),
        "public_key": _b64(slot.public_key),
        "private_box": _b64(slot.private_box),
        "sealed": _b64(slot.sealed),
    }
    if slot.kdf is not None:
        body["kdf"] = {
            "algorithm": "argon2id",
            "time_cost": slot.kdf.time_cost,
            "memory_kib": slot.kdf.memory_kib,
            "parallelism": slot.kdf.parallelism,
        }
    return body


def _body(file: SlotFile) -> bytes:
    """What the MAC covers: everything but the MAC and the last-used times."""
    body = {
        "format": FORMAT,
        "store_id": file.store_id,
        "epoch": file.epoch,
        "slots": [_slot_json(slot) for slot in file.slots],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def dumps(file: SlotFile) -> bytes:
    body = json.loads(_body(file))
    for slot_body, slot in zip(body["slots"], file.slots, strict=True):
        slot_body["last_used"] = slot.last_used
    body["mac"] = _b64(file.mac)
    return (json.dumps(body, indent=1, sort_keys=True) + "\n").encode()


def loads(data: bytes) -> SlotFile:
    """Parse a slot file; SlotProblem for anything that is not one, whole."""
    try:
        body = json.loads(data)
        if body["format"] != FORMAT:
            raise ValueError("format")
        slots = []
        for item in body["slots"]:
            kdf = item.get("kdf")
            params = (
                keys.KdfParams(
                    int(kdf["time_cost"]), int(kdf["memory_kib"]), int(kdf["parallelism"])
                )
                if kdf
                else None
            )
            slot = Slot(
                id=str(item["id"]),
                kind=str(item["kind"]),
                created=int(item["created"]),
                salt=base64.b64decode(item["salt"], validate=True),
                public_key=base64.b64decode(item["public_key"], validate=True),
                private_box=base64.b64decode(item["private_box"], validate=True),
                sealed=base64.b64decode(item["sealed"], validate=True),
                kdf=params,
                last_used=None if item.get("last_used") is None else int(item["last_used"]),
            )
            if slot.kind not in KINDS or len(slot.public_key) != 32:
                raise ValueError("slot")
            slots.append(slot)
        return SlotFile(
            store_id=str(body["store_id"]),
            epoch=int(body["epoch"]),
            slots=tuple(slots),
            mac=base64.b64decode(body["mac"], validate=True),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SlotProblem(N_("the slot file is damaged or cut short")) from exc


def read(path: Path) -> SlotFile:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SlotProblem(
            N_("the slot file {name} is missing: the store cannot be opened"), name=path.name
        ) from exc
    except OSError as exc:
        raise SlotProblem(N_("the slot file {name} cannot be read"), name=path.name) from exc
    return loads(data)


def write(path: Path, file: SlotFile) -> None:
    """Write atomically: a temporary file, fsync, rename, fsync the folder (mode 0600)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(dumps(file))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    keys.fsync_dir(path.parent)


def new_store_id() -> str:
    return secrets.token_hex(16)
