"""One redactor: the client's secret_forms/redact are transport/secrets.py's spellings/scrub, not a second list."""

from __future__ import annotations

from conformance.profiles import get_profile
from conformance.transport import credentials, secrets
from conformance.transport.client import redact, secret_forms

KEY = "sk_test_one/Redactor+Key="


def test_the_client_uses_the_one_list_of_spellings() -> None:
    for vendor in ("opine", "copper"):
        profile = get_profile(vendor)
        forms = set(secret_forms(profile, KEY))
        # every spelling secrets.py knows, plus those of the key's near misses (the auth checks send them)
        assert set(secrets.spellings(KEY, extra=profile.auth.headers(KEY).values())) <= forms
        near = {f for n in credentials.secret_values(KEY) if len(n) >= credentials.NEAR_MIN
                for f in secrets.spellings(n)}
        assert forms == set(secrets.spellings(KEY, extra=profile.auth.headers(KEY).values())) | near


def test_redact_scrubs_every_spelling_including_lower_case_escapes_and_repr() -> None:
    forms = secret_forms(get_profile("copper"), KEY)
    for spelled in ("sk_test_one%2fRedactor%2bKey%3d", repr(KEY.replace("/", "\\/"))[1:-1], KEY):
        assert redact(f"echo <{spelled}>", forms) == "echo <<API_KEY>>", spelled
        assert not secrets.still_contains(redact(f"echo {spelled}".encode(), forms), KEY)
