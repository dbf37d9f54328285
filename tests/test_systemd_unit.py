"""The example systemd unit starts sealed, restarts on failure and is hardened; systemd
itself finds nothing wrong with it where systemd-analyze is installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "scripts" / "casework.service"
REQUIRED = {
    "Restart": "on-failure",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ReadWritePaths": "/srv/casework/instance",
    "LimitCORE": "0",
    "LimitMEMLOCK": "infinity",
    "PrivateTmp": "yes",
    "UMask": "0077",
    "User": "casework",
}


def directives(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def test_the_unit_is_hardened_and_starts_sealed():
    found = directives(UNIT.read_text())
    assert {k: found.get(k) for k in REQUIRED} == REQUIRED
    command = found["ExecStart"]
    # Sealed: nothing that would hand it a passphrase or a key file.
    assert command.endswith(" serve") and "--passphrase-stdin" not in command
    assert "--key-file" not in command and "CASEWORK_PASSPHRASE" not in UNIT.read_text()
    assert found["CapabilityBoundingSet"] == ""


def test_the_checker_sees_a_missing_directive():
    weakened = UNIT.read_text().replace("NoNewPrivileges=yes", "NoNewPrivileges=no")
    found = directives(weakened)
    assert {k: found.get(k) for k in REQUIRED} != REQUIRED


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_finds_nothing(tmp_path):
    # verify insists that ExecStart exists: point it at this Python for the check only.
    unit = tmp_path / "casework.service"
    unit.write_text(UNIT.read_text().replace("/srv/casework/.venv/bin/casework", sys.executable))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    complaints = [line for line in result.stderr.splitlines() if "casework.service" in line]
    assert result.returncode == 0 and not complaints, result.stderr
