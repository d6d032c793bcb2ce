"""Where CourseReel may send a request a creator asked for, and sending it only there.

A URL a creator types (a webhook endpoint) is checked when it is saved and again at every
connection: http or https only, a port from ``OUTBOUND_PORTS``, no user name or password, and
the host resolved with every address it resolves to public. "Public" is decided by
:func:`address_refusal` on the address the operating system would connect to, so every
spelling of an address (``2130706433``, ``0x7f.1``, ``127.1``, ``[::ffff:127.0.0.1]``, a name
that resolves to it) meets the same rule. :func:`outbound_post` then connects to the address
it checked, never resolving the name again (no DNS rebinding between check and connection),
while the Host header, TLS SNI and the certificate check keep using the name.

``OUTBOUND_ALLOW_PRIVATE`` lets a self-hosted operator reach private networks and loopback;
unspecified, multicast, link-local (cloud metadata lives there) and reserved addresses stay
refused whatever it says.

Tracking link targets (``/r/<code>`` → a course's sales page) are never fetched by us, only
handed to browsers, so :func:`link_target_validate` checks just the scheme and credentials.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _
from requests.certs import where as ca_bundle
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Why a URL was refused (``OutboundRefused.reason``).
SCHEME = "scheme"
CREDENTIALS = "credentials"
PORT = "port"
HOST = "host"
UNRESOLVED = "unresolved"  # the name has no address now: may be temporary
ADDRESS = "address"  # an address it resolves to is not reachable from CourseReel

# Address classes (address_refusal).
NEVER = "never"  # refused whatever the settings say
PRIVATE = "private"  # refused unless OUTBOUND_ALLOW_PRIVATE

_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # Linux connects 0.0.0.0 to itself
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::ffff:0:0:0/96"))
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class OutboundRefused(Exception):
    """The URL may not be connected to; ``message`` is the creator-facing explanation."""

    def __init__(self, reason: str, message) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{reason}: {message}")


class OutboundUnreachable(Exception):
    """Connecting or talking to an allowed address failed (refused, timed out, TLS, reset).
    Deliberately one class: which of these it was is for the operator's log, not the
    creator, so a creator cannot tell a closed port from a filtered one."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # the name (or literal) as typed, lower-case, without brackets
    port: int
    netloc: str  # the Host header
    target: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # every address the host resolved to, all allowed


# --- rules -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _ports(spec: str) -> frozenset[int]:
    """``"80,443,8000-8999"`` → the allowed ports."""
    ports: set[int] = set()
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        low, _sep, high = item.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise ImproperlyConfigured(
                f"OUTBOUND_PORTS: {item!r} is not a port or a range"
            ) from None
        if not 1 <= first <= last <= 65535:
            raise ImproperlyConfigured(f"OUTBOUND_PORTS: {item!r} is not within 1-65535")
        ports.update(range(first, last + 1))
    return frozenset(ports)


def allowed_ports() -> frozenset[int]:
    spec = settings.OUTBOUND_PORTS
    if not isinstance(spec, str):
        spec = ",".join(str(port) for port in spec)
    return _ports(spec)


def _classify(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if ip.is_unspecified or ip.is_multicast or ip.is_link_local:
        return NEVER
    if isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK:
        return NEVER
    if ip.is_loopback:
        return PRIVATE
    if ip.is_reserved:
        return NEVER
    if not ip.is_global:
        return PRIVATE
    return None


def _worst(*classes: str | None) -> str | None:
    if NEVER in classes:
        return NEVER
    if PRIVATE in classes:
        return PRIVATE
    return None


def address_refusal(address: str) -> str | None:
    """None for a public address, else ``never`` or ``private``.

    IPv6 forms that carry an IPv4 address (mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::``,
    SIIT, 6to4 ``2002::/16``, Teredo) are judged by that IPv4 address too.
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv4Address):
        return _classify(ip)
    ip = ipaddress.IPv6Address(ip.compressed.split("%")[0])  # a link-local scope id
    if ip.ipv4_mapped is not None:
        return _classify(ip.ipv4_mapped)
    if any(ip in network for network in _NAT64):
        return _classify(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in _NAT64_LOCAL:
        return PRIVATE
    embedded = []
    if ip.sixtofour is not None:
        embedded.append(_classify(ip.sixtofour))
    if ip.teredo is not None:
        embedded.extend(_classify(part) for part in ip.teredo)
    return _worst(_classify(ip), *embedded)


def _refused(reason: str) -> OutboundRefused:
    messages = {
        SCHEME: _("Use an address that starts with http:// or https://."),
        CREDENTIALS: _("Remove the user name and password from the address."),
        HOST: _("Enter an address with a host name."),
        # One message for both: the answer must not tell whether an internal name exists.
        UNRESOLVED: _(
            "CourseReel cannot reach this host: use a public host name or address "
            "(private, local and reserved networks are not reachable)."
        ),
        ADDRESS: _(
            "CourseReel cannot reach this host: use a public host name or address "
            "(private, local and reserved networks are not reachable)."
        ),
    }
    return OutboundRefused(reason, messages[reason])


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return ()
    return tuple(dict.fromkeys(str(sockaddr[0]) for *_rest, sockaddr in found))


def destination_check(url: str) -> Destination:
    """Where ``url`` would connect, or :class:`OutboundRefused` saying why it may not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused(HOST) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _refused(SCHEME)
    if "@" in parts.netloc:
        raise _refused(CREDENTIALS)
    host = parts.hostname or ""
    if not host:
        raise _refused(HOST)
    port = port or DEFAULT_PORTS[scheme]
    ports = allowed_ports()
    if port not in ports:
        raise OutboundRefused(
            PORT,
            _("Port %(port)s is not allowed; use one of: %(ports)s.")
            % {"port": port, "ports": _ports_text(ports)},
        )
    addresses = _resolve(host, port)
    if not addresses:
        raise _refused(UNRESOLVED)
    allow_private = settings.OUTBOUND_ALLOW_PRIVATE
    for address in addresses:
        refusal = address_refusal(address)
        if refusal == NEVER or (refusal == PRIVATE and not allow_private):
            raise _refused(ADDRESS)
    return Destination(
        scheme=scheme,
        host=host,
        port=port,
        netloc=parts.netloc,
        target=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        addresses=addresses,
    )


def _ports_text(ports: frozenset[int]) -> str:
    ordered = sorted(ports)
    runs: list[str] = []
    start = previous = ordered[0] if ordered else 0
    for port in [*ordered[1:], None]:
        if port is not None and port == previous + 1:
            previous = port
            continue
        runs.append(str(start) if start == previous else f"{start}-{previous}")
        if port is not None:
            start = previous = port
    return ", ".join(runs) if ordered else "-"


def url_check(url: str, *, field: str = "url") -> Destination:
    """:func:`destination_check` for a service: a refusal is a ValidationError on ``field``."""
    try:
        return destination_check(url)
    except OutboundRefused as refused:
        raise ValidationError({field: [refused.message]}, code=refused.reason) from None


# --- sending ---------------------------------------------------------------------------------


def outbound_post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to ``url`` and return the answer's status code; the answer's body is
    never read. Redirects are not followed, nothing is retried here.

    The URL is checked again now (it may resolve elsewhere than when it was saved) and the
    connection goes to an address that check allowed: :class:`OutboundRefused` if none is,
    :class:`OutboundUnreachable` for any network or TLS failure.
    """
    destination = destination_check(url)
    last: Exception | None = None
    for address in destination.addresses:
        try:
            return _post_to(destination, address, body=body, headers=headers, timeout=timeout)
        except (NewConnectionError, ConnectTimeoutError) as error:
            last = error  # nothing was sent: try the host's next address
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise OutboundUnreachable(f"{type(error).__name__}: {error}") from error
    raise OutboundUnreachable(f"{type(last).__name__}: {last}") from last


def _post_to(
    destination: Destination, address: str, *, body: bytes, headers: dict[str, str], timeout
) -> int:
    options = {
        "host": address,
        "port": destination.port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": False,
        "maxsize": 1,
    }
    if destination.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            **options,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.OUTBOUND_CA_BUNDLE or ca_bundle(),
            server_hostname=destination.host,
            assert_hostname=destination.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(**options)
    try:
        response = pool.urlopen(
            "POST",
            destination.target,
            body=body,
            headers={**headers, "Host": destination.netloc},
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
        )
        status = response.status
        response.close()
        return status
    finally:
        pool.close()


# --- links handed to browsers ----------------------------------------------------------------


def link_target_problem(url: str):
    """Why ``url`` may not be a redirect target (a translated message), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _("Enter a valid URL.")
    if parts.scheme.lower() not in SCHEMES:
        return _("Use an address that starts with http:// or https://.")
    if "@" in parts.netloc:
        return _("Remove the user name and password from the address.")
    if not parts.hostname:
        return _("Enter an address with a host name.")
    return None


def link_target_allowed(url: str) -> bool:
    return link_target_problem(url) is None


def link_target_validate(value: str) -> None:
    """Model field validator for URLs we redirect browsers to (``/r/<code>``)."""
    if value:
        problem = link_target_problem(value)
        if problem is not None:
            raise ValidationError(problem, code="link_target")
