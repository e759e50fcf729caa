"""Copper (usecopper) reference server: a faithful, deterministic, in-process Tickets API.

``CopperStore`` holds the seeded data and every behaviour (as small overridable seams);
``make_app(store)`` is the WSGI application. Serve it on loopback with
``conformance.reference.http.start(make_app(CopperStore()))``.
"""

from .app import make_app
from .seed import Ticket
from .store import DEFAULT_API_KEY, CopperError, CopperStore, ListParams

__all__ = ["CopperStore", "make_app", "DEFAULT_API_KEY", "CopperError", "ListParams", "Ticket"]
