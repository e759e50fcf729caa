"""Copper mutants for negative conformance: bad parameters answered with another page or error shape."""

import threading

from conformance.reference.copper import CopperStore
from conformance.reference.copper.store import CopperError


class CopperDecimalLimitDigits(CopperStore):
    """A limit like 1.5 is read digit by digit (15 tickets) instead of being refused or rounded."""

    catches = "invalid_parameters_are_refused_or_ignored"

    def _parse_limit(self, raw):
        if raw is not None and "." in raw:
            raw = raw.replace(".", "")
        return super()._parse_limit(raw)


class CopperErrorsInAnotherFrameworksShape(CopperStore):
    """Errors answer with another framework's body ({"detail": ...}) instead of the documented attributes."""

    catches = "error_answers_are_documented"

    @staticmethod
    def _error_body(type_, message, code=None, param=None):
        return {"detail": message}


class CopperUnauthorizedAsBareString(CopperStore):
    """A missing or wrong key is answered with a bare JSON string, not an error object."""

    catches = "error_answers_are_documented"

    def _unauthenticated(self):
        return CopperError(401, "401 Unauthorized")


class CopperKeylessQueryRefusedAsBareString(CopperStore):
    """A list request with a query and no Authorization header at all is refused by the pager's own guard,
    whose 401 is a bare JSON string; the bare list, other routes and any credential, right or wrong, get
    the documented error."""

    catches = "error_answers_are_documented"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._keyless = threading.local()  # per request: a served request's thread does both steps

    def require_auth(self, authorization):
        self._keyless.now = not authorization
        if not authorization:
            return  # deferred to the operation
        super().require_auth(authorization)

    def _refuse_keyless(self, paged: bool) -> None:
        keyless, self._keyless.now = getattr(self._keyless, "now", False), False
        if keyless:
            raise CopperError(401, "401 Unauthorized") if paged else self._unauthenticated()

    def list_tickets(self, query):
        self._refuse_keyless(bool(query))
        return super().list_tickets(query)

    def retrieve(self, ticket_id):
        self._refuse_keyless(False)
        return super().retrieve(ticket_id)

    def route_not_found(self, method, path):
        self._refuse_keyless(False)
        return super().route_not_found(method, path)


MUTANTS = [CopperDecimalLimitDigits, CopperErrorsInAnotherFrameworksShape, CopperUnauthorizedAsBareString,
           CopperKeylessQueryRefusedAsBareString]
