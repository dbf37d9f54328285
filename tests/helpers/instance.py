"""A test instance's secrets and cheap settings: hashing and KDF cost through test
configuration, never by patching production code paths."""

from __future__ import annotations

from casework.rules import passwords
from casework.vault import keys

PASSPHRASE = "correct horse battery staple"
PASSWORD = "a long enough test password"
CHEAP_CONFIG = """\
[kdf]
time_cost = 1
memory_kib = 8
parallelism = 1

[passwords]
time_cost = 1
memory_kib = 8
parallelism = 1
"""
CHEAP_KDF = keys.KdfParams(time_cost=1, memory_kib=8, parallelism=1)
CHEAP_HASH = passwords.HashParams(time_cost=1, memory_kib=8, parallelism=1)
# 2026-03-02 10:00 in Montreal (a Monday), a week before clocks go forward (2026-03-08).
TEAM_NOW = 1772463600
# The fixed clock of most tests (2027-01-15, no clock change near).
NOW = 1_800_000_000
