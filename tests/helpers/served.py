"""`casework serve` as a separate process over TLS, every logger at DEBUG, all of its output
read by a thread (so a chatty server never blocks on a full pipe) and kept for asserts."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from helpers.live import LiveClient

ROOT = Path(__file__).resolve().parent.parent
# `casework serve` as installed, but with every logger at DEBUG before main() sets INFO.
SERVE_AT_DEBUG = (
    "import logging, sys\n"
    "logging.basicConfig(level=logging.DEBUG, format='%(levelname)s %(name)s %(message)s')\n"
    "from casework.cli import main\n"
    "sys.argv[0] = 'casework'\n"
    "main()\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """Start `casework serve ... *extra` with ``stdin_text``; wait until it serves."""

    def __init__(self, instance: Path, *extra: str, stdin_text: str = "") -> None:
        self.port = free_port()
        command = [sys.executable, "-c", SERVE_AT_DEBUG, "--instance", str(instance), "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), *extra]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.process.stdin.write(stdin_text)
        self.process.stdin.close()
        self.lines: list[str] = []
        self.started = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        assert self.started.wait(60), self.output
        assert self.process.poll() is None, self.output
        self.cafile = str(instance / "tls" / "cert.pem")

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if "serving on" in line:
                self.started.set()
        self.started.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def client(self) -> LiveClient:
        return LiveClient("localhost", self.port, self.cafile)

    def stop(self) -> str:
        """SIGTERM, wait, and return everything the process printed."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=10)
        self.process.stdout.close()
        return self.output
