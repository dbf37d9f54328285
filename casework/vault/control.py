"""The local control channel of a running server, and the instance's "in use" lock.

`casework lock` reaches the server through a Unix socket in the instance folder, created
with mode 0600 and answered only for the server's own user (checked with SO_PEERCRED):
nothing on the network can lock or query it. The server also holds an exclusive lock on
``casework.lock`` while it runs, so that `casework rekey` and `casework restore` refuse to
touch a store that a server has open (and a server cannot start during them).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from casework.rules.wording import N_
from casework.store import StoreError

log = logging.getLogger("casework")

SOCKET_FILE = "control.sock"
LOCK_FILE = "casework.lock"
MAX_MESSAGE = 2048  # a command and a passphrase of at most 1024 characters
# AF_UNIX paths are limited to 108 bytes including the final NUL.
MAX_SOCKET_PATH = 107
TIMEOUT_SECONDS = 5.0


class InstanceBusy(StoreError):
    """A server or another command is using this instance."""


def claim(instance: Path) -> int:
    """Take the instance's exclusive lock for this process (released when it exits)."""
    fd = os.open(instance / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        raise InstanceBusy(
            N_("a casework server or command is using {instance}: stop it first"), instance=instance
        ) from exc
    return fd


@contextlib.contextmanager
def exclusive(instance: Path) -> Iterator[None]:
    """Hold the instance's lock for a block (rekey, restore)."""
    fd = claim(instance)
    try:
        yield
    finally:
        os.close(fd)


class LockChannel:
    """Listens on the control socket in a thread: ``lock`` locks, ``unlock`` followed by
    the passphrase on the next line unlocks, ``status`` answers, ``info`` answers one line
    of JSON (the address served, since when, sealed: never content); ``commands`` adds
    more, each taking the next line as its argument (rotating the key, removing a slot…)."""

    def __init__(
        self,
        instance: Path,
        on_lock: Callable[[], bool | str],
        sealed: Callable[[], bool],
        on_unlock: Callable[[str], str] | None = None,
        info: Callable[[], dict] | None = None,
        commands: dict[str, Callable[[str], str]] | None = None,
    ):
        self.path = instance / SOCKET_FILE
        self.on_lock, self.sealed, self.on_unlock = on_lock, sealed, on_unlock
        self.info = info
        self.commands = {name.encode("ascii"): run for name, run in (commands or {}).items()}
        self._socket: socket.socket | None = None

    def start(self) -> None:
        """Bind the socket (mode 0600) and answer in a daemon thread."""
        if len(os.fsencode(self.path)) > MAX_SOCKET_PATH:
            raise StoreError(
                N_("the instance path is too long for the control socket {path}"), path=self.path
            )
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a server that was killed (we hold the instance lock)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # created 0600: no moment where others could connect
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        listener.listen(4)
        self._socket = listener
        threading.Thread(target=self._serve, name="casework-control", daemon=True).start()

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def _serve(self) -> None:
        listener = self._socket
        while listener is not None and listener.fileno() != -1:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed by stop()
            with conn:
                try:
                    self._answer(conn)
                except Exception as exc:  # one bad client must not end the channel
                    log.error("control channel: %s", type(exc).__name__)

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(TIMEOUT_SECONDS)
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        if uid not in (os.getuid(), 0):
            conn.sendall(b"refused\n")
            return
        command, _, rest = _receive(conn).partition(b"\n")
        command = command.strip()
        if command == b"unlock" and self.on_unlock is not None:
            passphrase = rest.split(b"\n", 1)[0].decode("utf-8", "replace")
            conn.sendall(self.on_unlock(passphrase).encode("ascii") + b"\n")
        elif command == b"lock":
            answer = self.on_lock()
            conn.sendall((answer if isinstance(answer, str) else "locked").encode("ascii") + b"\n")
        elif command == b"status":
            conn.sendall(b"sealed\n" if self.sealed() else b"unlocked\n")
        elif command == b"info" and self.info is not None:
            answer = {**self.info(), "sealed": self.sealed()}
            conn.sendall(json.dumps(answer, sort_keys=True).encode("ascii") + b"\n")
        elif command in self.commands:
            argument = rest.split(b"\n", 1)[0].decode("utf-8", "replace")
            conn.sendall(self.commands[command](argument).encode("utf-8") + b"\n")
        else:
            conn.sendall(b"unknown\n")


def _receive(conn: socket.socket) -> bytes:
    """One command (and, for unlock, a passphrase line), at most MAX_MESSAGE bytes."""
    data = b""
    while len(data) < MAX_MESSAGE and data.count(b"\n") < 2:
        chunk = conn.recv(MAX_MESSAGE - len(data))
        if not chunk:
            break
        data += chunk
        if data.startswith((b"lock\n", b"status\n", b"info\n")):
            break
    return data


def send(instance: Path, command: str, secret: str | None = None) -> str:
    """Send one command to the server running on ``instance`` and return its answer."""
    path = instance / SOCKET_FILE
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(TIMEOUT_SECONDS * 3)
        try:
            client.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise StoreError(
                N_("no casework server is running on {instance}"), instance=instance
            ) from exc
        except PermissionError as exc:
            raise StoreError(
                N_("not allowed to reach the server on {instance}"), instance=instance
            ) from exc
        message = command.encode("ascii") + b"\n"
        if secret is not None:
            message += secret.encode("utf-8") + b"\n"
        client.sendall(message)
        answer = b""
        while len(answer) < MAX_MESSAGE and not answer.endswith(b"\n"):
            chunk = client.recv(MAX_MESSAGE)
            if not chunk:
                break
            answer += chunk
        return answer.decode("utf-8", "replace").strip()


def server_info(instance: Path) -> dict | None:
    """What the server running on ``instance`` says of itself, or None when none answers."""
    try:
        answer = json.loads(send(instance, "info"))
    except (StoreError, OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) and "url" in answer else None


def held(instance: Path) -> bool:
    """Whether a process holds the instance lock now (a lock file alone proves nothing:
    a killed server leaves it behind, and the kernel released its lock)."""
    try:
        fd = os.open(instance / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
