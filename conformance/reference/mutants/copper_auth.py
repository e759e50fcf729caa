"""Copper mutants for the auth checks."""

import base64
import threading

from conformance.reference.copper import CopperStore


class CopperAuthOff(CopperStore):
    """Accepts every request, with or without a key."""

    catches = "missing_key_is_refused"

    def _authenticate(self, authorization):
        return True


class CopperAnyKeyAccepted(CopperStore):
    """Accepts any Basic credential, checking only that one was sent."""

    catches = "wrong_key_is_refused"

    def _authenticate(self, authorization):
        return bool(authorization)


def _basic_pair(authorization):
    """(user, password) of a Basic header, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except ValueError:
        return None
    return (user, password) if colon else None


class CopperKeyCaseInsensitive(CopperStore):
    """Compares the Basic user name with the key without case."""

    catches = "near_miss_keys_are_refused"

    def _authenticate(self, authorization):
        pair = _basic_pair(authorization)
        return pair is not None and pair[0].lower() == self.api_key.lower()


class CopperKeyPrefixAccepted(CopperStore):
    """Accepts any prefix of the key as the user name (the empty one too)."""

    catches = "near_miss_keys_are_refused"

    def _authenticate(self, authorization):
        pair = _basic_pair(authorization)
        return pair is not None and self.api_key.startswith(pair[0])


class CopperKeyAsPasswordAccepted(CopperStore):
    """Takes the key from the password when the user name is empty (the key in the wrong place)."""

    catches = "key_in_another_scheme_is_refused"

    def _authenticate(self, authorization):
        pair = _basic_pair(authorization)
        return super()._authenticate(authorization) or pair == ("", self.api_key)


class CopperBearerAccepted(CopperStore):
    """Also accepts the key as a Bearer token (as Stripe does; a scheme the Copper docs do not name)."""

    catches = "key_in_another_scheme_is_refused"

    def _authenticate(self, authorization):
        return super()._authenticate(authorization) or (authorization or "").strip() == f"Bearer {self.api_key}"


class _BareListUnchecked(CopperStore):
    """The key check is deferred to the operation, which waives it for the bare list URL (no query) when
    ``_waived(authorization)`` says so: an index route answered like a health probe."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._deferred = threading.local()  # per request: a served request's thread does both steps

    def _waived(self, authorization) -> bool:
        raise NotImplementedError

    def _take_waiver(self) -> bool:
        waived, self._deferred.waived = getattr(self._deferred, "waived", False), False
        return waived

    def require_auth(self, authorization):
        self._deferred.waived = not self._authenticate(authorization) and self._waived(authorization)
        if not self._deferred.waived:
            super().require_auth(authorization)

    def list_tickets(self, query):
        if self._take_waiver() and query:
            raise self._unauthenticated()
        return super().list_tickets(query)

    def retrieve(self, ticket_id):
        if self._take_waiver():
            raise self._unauthenticated()
        return super().retrieve(ticket_id)

    def route_not_found(self, method, path):
        return self._unauthenticated() if self._take_waiver() else super().route_not_found(method, path)


class CopperBareListServedWithoutKey(_BareListUnchecked):
    """GET /next/tickets with no query and no Authorization header at all is answered with the first page
    (taken for a health probe); with any parameter, on any other route, or with any credential, the key is
    checked."""

    catches = "missing_key_is_refused"

    def _waived(self, authorization):
        return not authorization


class CopperBareListServedToAnyKey(_BareListUnchecked):
    """GET /next/tickets with no query is answered to any Basic credential (the index route checks only that
    one is present); with any parameter or on any other route the key is compared, and none is refused."""

    catches = "wrong_key_is_refused"

    def _waived(self, authorization):
        return bool(authorization)


MUTANTS = [CopperAuthOff, CopperAnyKeyAccepted, CopperKeyCaseInsensitive, CopperKeyPrefixAccepted,
           CopperKeyAsPasswordAccepted, CopperBearerAccepted, CopperBareListServedWithoutKey,
           CopperBareListServedToAnyKey]
