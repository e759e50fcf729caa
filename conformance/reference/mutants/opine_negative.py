"""Opine mutants for negative conformance: invalid requests accepted, or refused in another shape."""

from urllib.parse import parse_qsl

from conformance.reference.opine import OpineStore
from conformance.reference.opine.errors import OpineError


class OpineCreateStateDefaults(OpineStore):
    """A create without the required state is accepted, the state defaulting to OPEN."""

    catches = "invalid_creates_are_refused"

    def _validate_create(self, body):
        if isinstance(body, dict) and "state" not in body:
            body = {**body, "state": "OPEN"}
        return super()._validate_create(body)


class OpineCreateNullTypeDefaults(OpineStore):
    """A create with type null is accepted, the type defaulting to BUG."""

    catches = "required_fields_cannot_be_null_on_create"  # null for a required field: that check's rule

    def _validate_create(self, body):
        if isinstance(body, dict) and "type" in body and body["type"] is None:
            body = {**body, "type": "BUG"}
        return super()._validate_create(body)


class OpineCreateTitleLengthInBytesHalved(OpineStore):
    """On create, the title maximum is not enforced for non-ASCII titles (counted as ASCII characters only)."""

    catches = "invalid_creates_are_refused"

    def _validate_create(self, body):
        if isinstance(body, dict) and isinstance(body.get("title"), str) and not body["title"].isascii():
            body = {**body, "title": body["title"][: self.title_max]}
        return super()._validate_create(body)


class OpineCreateDueDateUnchecked(OpineStore):
    """On create, a targetDueDate that is no date-time is accepted (and dropped)."""

    catches = "invalid_creates_are_refused"

    def _validate_create(self, body):
        if isinstance(body, dict) and body.get("targetDueDate") in ("not-a-date", "2025-13-45T25:61:00Z"):
            body = {k: v for k, v in body.items() if k != "targetDueDate"}
        return super()._validate_create(body)


class OpineLabelItemsStringified(OpineStore):
    """Label names that are not strings are accepted and stored as their text (12345 -> "12345")."""

    catches = "invalid_updates_are_refused"

    def _validate_labels(self, value, path):
        if isinstance(value, list):
            value = [v if isinstance(v, str) else str(v) for v in value]
        return super()._validate_labels(value, path)


class OpineUpdateLabelItemsStringified(OpineStore):
    """On update only, label names that are not strings are stored as their text (12345 -> "12345"); a
    create validates them: the two writes are validated by different code."""

    catches = "invalid_updates_are_refused"

    def _validate_update(self, body):
        if isinstance(body, dict) and isinstance(body.get("labels"), list):
            body = {**body, "labels": [v if isinstance(v, str) else str(v) for v in body["labels"]]}
        return super()._validate_update(body)


class OpineDescriptionNumberAccepted(OpineStore):
    """A description that is a number is accepted and stored as its text."""

    catches = "invalid_updates_are_refused"

    def _validate_description(self, value, path):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        return super()._validate_description(value, path)


class OpineFormBodyAccepted(OpineStore):
    """A form-encoded body (not JSON) is read as form fields and the write applied."""

    catches = "invalid_creates_are_refused"

    def parse_body(self, raw, content_type):
        if content_type.startswith("application/x-www-form-urlencoded"):
            return dict(parse_qsl(raw.decode("utf-8")))
        return super().parse_body(raw, content_type)


class OpineMalformedJsonCrashes(OpineStore):
    """A malformed JSON body reaches the JSON parser unguarded and the server answers 500."""

    catches = "invalid_updates_are_refused"

    def parse_body(self, raw, content_type):
        import json

        return json.loads(raw)


class OpineValidationBodyOtherShape(OpineStore):
    """Create validation errors answer 422 with another framework's body ({"message", "errors"})."""

    catches = "invalid_creates_are_refused"

    def _validate_create(self, body):
        try:
            return super()._validate_create(body)
        except OpineError as exc:
            issues = exc.body.get("issues") or []
            raise OpineError(422, {"message": "Unprocessable Entity",
                                   "errors": [{"field": ".".join(map(str, i["path"])), "reason": i["message"]}
                                              for i in issues]}) from None


class OpineDecimalLimitDigits(OpineStore):
    """A limit like 1.5 is read digit by digit (15 tickets) instead of being refused or rounded."""

    catches = "invalid_parameters_are_refused_or_ignored"

    def _parse_limit(self, raw):
        if raw is not None and "." in raw:
            raw = raw.replace(".", "")
        return super()._parse_limit(raw)


class OpineUnknownTicketBareString(OpineStore):
    """An unknown ticket id is answered 404 with a bare JSON string (another framework's default body)."""

    catches = "error_answers_are_documented"

    def _missing_ticket(self, raw_id):
        raise OpineError(404, "Not Found")


class OpineNonNumericIdMissesTheRoute(OpineStore):
    """A ticket id that is not a number misses the route: the framework's own 404 answers, a bare JSON
    string; an unknown numeric id gets the documented error."""

    catches = "error_answers_are_documented"

    def _missing_ticket(self, raw_id):
        if self._parse_ticket_id(raw_id) is None:
            raise OpineError(404, "Cannot PUT " + raw_id)
        return super()._missing_ticket(raw_id)


MUTANTS = [OpineCreateStateDefaults, OpineCreateNullTypeDefaults, OpineCreateTitleLengthInBytesHalved,
           OpineCreateDueDateUnchecked, OpineLabelItemsStringified, OpineUpdateLabelItemsStringified,
           OpineDescriptionNumberAccepted,
           OpineFormBodyAccepted, OpineMalformedJsonCrashes, OpineValidationBodyOtherShape,
           OpineDecimalLimitDigits, OpineUnknownTicketBareString, OpineNonNumericIdMissesTheRoute]
