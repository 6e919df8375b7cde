"""HTTP security headers (a strict CSP that allows only the site's own assets) and trusted reverse proxies."""

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from consult.config import ConfigError

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def set_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def trust_proxies(app: Flask) -> None:
    """Read the client's address and scheme from the X-Forwarded-* headers of CONSULT_TRUSTED_PROXIES proxies.

    0 (the default) trusts none: headers that anyone can send are ignored. N trusts the last N hops, the
    proxies we run; what a client writes in front of them is ignored.
    """
    count = app.config.get("TRUSTED_PROXIES", 0)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 5:
        raise ConfigError(f"CONSULT_TRUSTED_PROXIES must be a number of proxies between 0 and 5, not {count!r}.")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def init_app(app: Flask) -> None:
    trust_proxies(app)
    app.after_request(set_security_headers)
