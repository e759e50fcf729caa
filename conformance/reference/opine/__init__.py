"""Opine reference server: a faithful, stateful, deterministic in-process description of Opine's
Tickets API (``GET/POST /v1/tickets``, ``PUT /v1/tickets/{id}``).

    store = OpineStore(seed=0, tickets=None, api_key=DEFAULT_API_KEY)
    app = make_app(store)   # WSGI; serve with conformance.reference.http.start(app)

Stdlib only. Nothing here imports conformance.profiles, .checks or .suite.
"""

from .app import make_app
from .errors import OpineError
from .store import DEFAULT_API_KEY, OpineStore

__all__ = ["DEFAULT_API_KEY", "OpineError", "OpineStore", "make_app"]
