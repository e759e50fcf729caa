"""Opine mutants for the auth checks."""

import threading

from conformance.reference.opine import OpineStore
from conformance.reference.opine.errors import unauthorized


class OpineAuthOff(OpineStore):
    """Accepts every request, with or without a key."""

    catches = "missing_key_is_refused"

    def _authenticate(self, headers):
        return True


class OpineAnyKeyAccepted(OpineStore):
    """Accepts any X-API-Key value, checking only that the header is present."""

    catches = "wrong_key_is_refused"

    def _authenticate(self, headers):
        return "x-api-key" in headers


class OpineCreateWithoutKey(OpineStore):
    """Leaves POST /v1/tickets unguarded: anyone can create tickets without a key."""

    catches = "unauthenticated_writes_are_refused"

    def _key_required(self, method):
        return method != "POST"


class OpineUpdateWithoutKey(OpineStore):
    """Leaves PUT /v1/tickets/{id} unguarded: anyone can change a ticket without a key."""

    catches = "unauthenticated_writes_are_refused"

    def _key_required(self, method):
        return method != "PUT"


class OpineUpdateAppliedBeforeAuth(OpineStore):
    """Applies a PUT first and checks the key afterwards (the 401 comes, but the change is made)."""

    catches = "unauthenticated_writes_are_refused"
    _refuse_after_update = False

    def authenticate(self, headers, method="GET"):
        self._refuse_after_update = method == "PUT" and not self._authenticate(headers)
        if not self._refuse_after_update:
            super().authenticate(headers, method)

    def update_ticket(self, raw_id, body):
        rendered = super().update_ticket(raw_id, body)
        if self._refuse_after_update:
            self._refuse_after_update = False
            raise unauthorized()
        return rendered


class OpineKeyCaseInsensitive(OpineStore):
    """Compares the X-API-Key without case: the key with its letters' case swapped is accepted."""

    catches = "near_miss_keys_are_refused"

    def _authenticate(self, headers):
        sent = headers.get("x-api-key")
        return sent is not None and sent.lower() == self.api_key.lower()


class OpineKeyPrefixAccepted(OpineStore):
    """Accepts any prefix of the key (a startswith check the wrong way round; the empty value too)."""

    catches = "near_miss_keys_are_refused"

    def _authenticate(self, headers):
        sent = headers.get("x-api-key")
        return sent is not None and self.api_key.startswith(sent)


class OpineKeyTrailingIgnored(OpineStore):
    """Compares only as many characters as the key has: the key plus one character is accepted."""

    catches = "near_miss_keys_are_refused"

    def _authenticate(self, headers):
        return (headers.get("x-api-key") or "")[:len(self.api_key)] == self.api_key


class OpineBearerAccepted(OpineStore):
    """Also accepts the key as a Bearer token in Authorization (a scheme the docs do not name)."""

    catches = "key_in_another_scheme_is_refused"

    def _authenticate(self, headers):
        return super()._authenticate(headers) or headers.get("authorization") == f"Bearer {self.api_key}"


class _BareListUnchecked(OpineStore):
    """The key check of a GET is deferred to the list, which waives it for the bare list URL (no limit, no
    offset) when ``_waived(headers)`` says so: an index route answered like a health probe."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._deferred = threading.local()  # per request: a served request's thread does both steps

    def _waived(self, headers) -> bool:
        raise NotImplementedError

    def authenticate(self, headers, method="GET"):
        self._deferred.waived = method == "GET" and not self._authenticate(headers) and self._waived(headers)
        if not self._deferred.waived:
            super().authenticate(headers, method)

    def list_tickets(self, limit=None, offset=None):
        waived, self._deferred.waived = getattr(self._deferred, "waived", False), False
        if waived and (limit is not None or offset is not None):
            raise unauthorized()
        return super().list_tickets(limit, offset)


class OpineBareListServedWithoutKey(_BareListUnchecked):
    """GET /v1/tickets with no parameters and no X-API-Key header at all is answered with the first page
    (taken for a health probe); with any parameter, or any key, the key is checked."""

    catches = "missing_key_is_refused"

    def _waived(self, headers):
        return "x-api-key" not in headers


class OpineBareListServedToAnyKey(_BareListUnchecked):
    """GET /v1/tickets with no parameters is answered to any X-API-Key value (the index route checks only
    that a key is present); with any parameter the key is compared, and a missing key is refused."""

    catches = "wrong_key_is_refused"

    def _waived(self, headers):
        return bool(headers.get("x-api-key"))


MUTANTS = [OpineAuthOff, OpineAnyKeyAccepted, OpineCreateWithoutKey, OpineUpdateWithoutKey,
           OpineUpdateAppliedBeforeAuth, OpineKeyCaseInsensitive, OpineKeyPrefixAccepted, OpineKeyTrailingIgnored,
           OpineBearerAccepted, OpineBareListServedWithoutKey, OpineBareListServedToAnyKey]
