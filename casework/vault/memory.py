"""Keeping key material off the disk: no core dump, no same-user tracing, locked memory.

Every process that holds the store key calls ``protect()`` once, before the key exists:
``prctl(PR_SET_DUMPABLE, 0)`` (no core file, and another process of the same user cannot
attach to read memory), ``RLIMIT_CORE`` 0, and ``mlockall`` when the memory-lock limit
allows it, so that the key and decrypted pages are never written to swap. When memory
could not be locked and an unencrypted swap is on, it says so once, with the reason.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import resource
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("casework")

PR_SET_DUMPABLE = 4
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4


@dataclass
class Protection:
    dumpable: bool
    core_limit: int
    memory_locked: bool
    lock_problem: str | None
    unencrypted_swap: list[str]


_done: Protection | None = None


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name or "libc.so.6", use_errno=True)
    except OSError:
        return None


def unencrypted_swap(swaps: Path = Path("/proc/swaps"), sys_block: Path = Path("/sys/block")):
    """Swap areas that are not a dm-crypt device (what a seized disk could hold)."""
    try:
        lines = swaps.read_text().splitlines()[1:]
    except OSError:
        return []
    plain = []
    for line in lines:
        device = line.split()[0] if line.split() else ""
        name = Path(device).resolve().name
        try:
            uuid = (sys_block / name / "dm" / "uuid").read_text().strip()
        except OSError:
            uuid = ""
        if not uuid.startswith("CRYPT-"):
            plain.append(device)
    return plain


def protect() -> Protection:
    """Apply the protections once per process; later calls return what was done."""
    global _done
    if _done is not None:
        return _done
    libc = _libc()
    if libc is not None:
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    locked, problem = _lock_memory(libc)
    swap = unencrypted_swap()
    if not locked and swap:
        log.warning(
            "memory could not be locked (%s) and swap is on without encryption: "
            "the store key could reach the disk; raise LimitMEMLOCK or encrypt swap",
            problem,
        )
    _done = Protection(
        dumpable=is_dumpable(),
        core_limit=resource.getrlimit(resource.RLIMIT_CORE)[1],
        memory_locked=locked,
        lock_problem=problem,
        unencrypted_swap=swap,
    )
    return _done


def _lock_memory(libc: ctypes.CDLL | None) -> tuple[bool, str | None]:
    if libc is None:
        return False, "no C library"
    soft, _hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    # ONFAULT: pages are locked as they are touched, not all at once.
    if libc.mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0:
        return True, None
    errno = ctypes.get_errno()
    limit = "unlimited" if soft == resource.RLIM_INFINITY else f"{soft // 1024} KiB"
    return False, f"mlockall refused (errno {errno}, memory-lock limit {limit})"


def is_dumpable(status: Path = Path("/proc/self/status")) -> bool:
    """What the kernel says: a process that is not dumpable leaves no core file."""
    libc = _libc()
    if libc is not None:
        return bool(libc.prctl(3, 0, 0, 0, 0))  # PR_GET_DUMPABLE
    return "Dumpable" not in status.read_text()
