"""The client's IP address, for every per-IP limit (django-ratelimit through ``RATELIMIT_IP_META_KEY``, django-axes
through ``AXES_CLIENT_IP_CALLABLE``, the admin login, the partner API's anonymous throttle).

Behind the reverse proxy that docs/deploy.md prescribes, ``REMOTE_ADDR`` is the proxy: keyed on it, every limit is
one global bucket, and one client can lock logins and sign-ups for everyone. ``X-Forwarded-For`` names the client,
but anyone can send it: it is read only when the connection comes from a proxy listed in ``TRUSTED_PROXIES``
(addresses or networks), and then from the right, skipping our own proxies, so the address taken is the one the
outermost trusted proxy saw. Hops further left were written by the client and are ignored. Without the setting the
header is never trusted."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Not a bind address (Bandit B104, ruff S104): the one bucket of requests whose address cannot be known.
UNKNOWN = "0.0.0.0"  # noqa: S104  # nosec B104


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple:
    try:
        return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from exc


def _address(value: str):
    """An address from a forwarded hop (``1.2.3.4``, ``1.2.3.4:567``, ``[2001:db8::1]:567``, ``2001:db8::1``)."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return any(address in network for network in networks)


def client_ip(request) -> str:
    """The address of the client that sent ``request`` (``UNKNOWN`` if it can't be told)."""
    networks = trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    remote_raw = request.META.get("REMOTE_ADDR") or ""
    remote = _address(remote_raw)
    # An empty REMOTE_ADDR is a Unix socket, which only a process on this machine (the proxy) can reach.
    peer_is_proxy = bool(networks) and (
        remote is None and not remote_raw or remote is not None and _trusted(remote, networks)
    )
    if not peer_is_proxy:
        return str(remote) if remote is not None else UNKNOWN
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    nearest = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # our proxies write addresses: this hop came from the client
        if not _trusted(address, networks):
            return str(address)
        nearest = address
    return str(nearest) if nearest is not None else UNKNOWN
