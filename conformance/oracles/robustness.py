"""What must hold for malformed input: the API refuses or ignores it, it never fails with a 5xx."""

from __future__ import annotations

from conformance.model.exchange import Exchange
from conformance.model.violations import Violation


def no_server_error(exchange: Exchange, what: str) -> None:
    """Malformed input is a problem with the request (4xx) or is ignored (2xx); a 5xx is a server fault."""
    if exchange.status >= 500:
        raise Violation(f"{what} made the server fail", expected="a 4xx (or the input ignored)",
                        actual=exchange.status, exchanges=[exchange])
