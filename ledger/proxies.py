"""The client's address behind reverse proxies: trust exactly the configured number of X-Forwarded-For entries.

The sign-in limits count per address: trusting more entries than there are proxies would let anyone choose
their own address with a header, and trusting none behind a proxy would count everyone as the proxy.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ledger.errors import ConfigurationError


def init_app(app: Flask) -> None:
    """Wrap the app in ProxyFix for ``TRUSTED_PROXIES`` proxies (none: the connection's own address)."""
    try:
        count = int(app.config.get("TRUSTED_PROXIES") or 0)
    except (TypeError, ValueError):
        raise ConfigurationError(f"TRUSTED_PROXIES must be a whole number, not {app.config.get('TRUSTED_PROXIES')!r}."
                                 ) from None
    if count < 0:
        raise ConfigurationError(f"TRUSTED_PROXIES must be 0 or more, not {count}.")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
