"""Where people reach this server: the machine's own addresses (read from its interfaces,
no network used), the URLs printed and encoded in QR codes, and the ``public_url`` setting
that overrides them for a group with its own domain name.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import socket
import struct
from pathlib import Path

SIOCGIFADDR = 0x8915  # Linux: the IPv4 address of one interface
IF_INET6 = Path("/proc/net/if_inet6")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def interface_addresses() -> list[Address]:
    """Every address configured on this machine's interfaces, IPv4 then IPv6."""
    found: list[Address] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            with contextlib.suppress(OSError):  # an interface without IPv4
                answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
                found.append(ipaddress.IPv4Address(answer[20:24]))
    with contextlib.suppress(OSError):
        for line in IF_INET6.read_text().splitlines():
            raw = line.split()[0]
            found.append(ipaddress.IPv6Address(bytes.fromhex(raw)))
    return list(dict.fromkeys(found))


def usable(address: Address) -> bool:
    """An address a phone on the local network can open (not loopback, not link-local)."""
    return not (address.is_loopback or address.is_link_local or address.is_unspecified)


def reachable_hosts(host: str) -> list[str]:
    """The hosts a server listening on ``host`` answers on, most useful first."""
    if host == "localhost":
        return ["localhost"]
    listening = ipaddress.ip_address(host)
    if not listening.is_unspecified:
        return [str(listening)]
    family = listening.version
    mine = [a for a in interface_addresses() if usable(a) and a.version == family]
    return [str(a) for a in mine] or ["localhost"]


def url(scheme: str, host: str, port: int) -> str:
    """``scheme://host:port`` with IPv6 literals bracketed, and no default port shown."""
    shown = f"[{host}]" if ":" in host else host
    default = {"https": 443, "http": 80}.get(scheme)
    return f"{scheme}://{shown}" if port == default else f"{scheme}://{shown}:{port}"


def served_urls(host: str, port: int, scheme: str = "https", public_url: str = "") -> list[str]:
    """The URLs to print and show: ``public_url`` first when set, then one per address."""
    found = [url(scheme, h, port) for h in reachable_hosts(host)]
    return [public_url, *found] if public_url else found


def machine_names() -> list[str]:
    """This machine's names, for the certificate (read locally, no lookup on the network)."""
    # Not getfqdn(): it may ask a DNS server, and nothing leaves this machine.
    return sorted({"localhost", socket.gethostname()} - {""})
