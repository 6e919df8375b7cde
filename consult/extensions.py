"""Flask extensions, created unbound and initialised in create_app."""

import ipaddress

from flask import request
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_wtf import CSRFProtect


def client_key() -> str:
    """Whose budget a request spends: the client's address (behind trusted proxies, the one they saw).

    The address comes from ProxyFix when CONSULT_TRUSTED_PROXIES is set (security.init_app), so a reverse
    proxy's own address never becomes everyone's key. An IPv6 client usually holds a whole /64: it is
    counted once, not once per address it can pick.
    """
    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


babel = Babel()
csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=client_key)
