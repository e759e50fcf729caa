"""Copper mutants for the auth checks."""

import base64

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


MUTANTS = [CopperAuthOff, CopperAnyKeyAccepted, CopperKeyCaseInsensitive, CopperKeyPrefixAccepted,
           CopperKeyAsPasswordAccepted, CopperBearerAccepted]
