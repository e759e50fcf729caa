"""The hand-written OpenAPI specs are valid, load in Schemathesis, and say what the docs say.

Structural assertions pin the documented facts (parameters with constraints and defaults, enums,
nullable update fields, envelopes, security) and the deliberate permissiveness where the docs are
silent (open response objects, nullable optional fields, any-JSON-object error bodies).
"""

from __future__ import annotations

import re

from pathlib import Path

import jsonschema
import pytest
import schemathesis
import yaml
from openapi_spec_validator import validate
from schemathesis.core.result import Ok

SPECS = Path(__file__).resolve().parents[2] / "conformance" / "specs"
VENDORS = ("opine", "copper")


def load(vendor: str) -> dict:
    with open(SPECS / f"{vendor}.openapi.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module", params=VENDORS)
def spec(request) -> dict:
    return load(request.param)


@pytest.fixture(scope="module")
def opine() -> dict:
    return load("opine")


@pytest.fixture(scope="module")
def copper() -> dict:
    return load("copper")


def deref(spec: dict, node: dict) -> dict:
    """Follow local $refs (one hop at a time) until a non-$ref node."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target = spec
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield path, method, op


def params_of(spec: dict, op: dict) -> dict[str, dict]:
    return {p["name"]: p for p in (deref(spec, p) for p in op.get("parameters", []))}


def schema_validator(spec: dict, schema: dict) -> jsonschema.Draft202012Validator:
    """Validate instances against a component schema, resolving #/components refs."""
    root = {**schema, "components": spec["components"]}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def component(spec: dict, name: str) -> dict:
    return spec["components"]["schemas"][name]


def accepts(spec: dict, name: str, instance) -> bool:
    return schema_validator(spec, component(spec, name)).is_valid(instance)


def response_schema(spec: dict, op: dict, status: str) -> dict:
    resp = deref(spec, op["responses"][status])
    return deref(spec, resp["content"]["application/json"]["schema"])


# ---------------------------------------------------------------------------------------------
# Validity and loading


@pytest.mark.parametrize("vendor", VENDORS)
def test_spec_is_valid_openapi_31(vendor):
    d = load(vendor)
    assert d["openapi"].startswith("3.1")
    validate(d)  # raises on an invalid spec


@pytest.mark.parametrize("vendor", VENDORS)
def test_schemathesis_loads_every_operation(vendor):
    schema = schemathesis.openapi.from_dict(load(vendor))
    results = list(schema.get_all_operations())
    assert results
    for result in results:
        assert isinstance(result, Ok), result.err()
        assert result.ok() is not None
    expected = {op["operationId"] for _, _, op in operations(load(vendor))}
    loaded = {r.ok().definition.raw["operationId"] for r in results}
    assert loaded == expected


def test_operation_ids(opine, copper):
    assert {(p, m): o["operationId"] for p, m, o in operations(opine)} == {
        ("/tickets", "get"): "listTickets",
        ("/tickets", "post"): "createTicket",
        ("/tickets/{id}", "put"): "updateTicket",
    }
    assert {(p, m): o["operationId"] for p, m, o in operations(copper)} == {
        ("/tickets", "get"): "listTickets",
        ("/tickets/{id}", "get"): "retrieveTicket",
    }


def test_info_and_servers(opine, copper):
    assert opine["servers"][0]["url"] == "https://api.tryopine.com/v1"
    assert copper["servers"][0]["url"] == "https://api.usecopper.com/next"
    for d in (opine, copper):
        assert re.fullmatch(r"\d+\.\d+\.\d+", d["info"]["version"])
        assert "permissive" in d["info"]["description"].lower()


def test_security(opine, copper):
    assert opine["components"]["securitySchemes"]["ApiKeyAuth"] | {"description": None} == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": None, "x-source": "O-OV",
    }
    basic = copper["components"]["securitySchemes"]["BasicAuth"]
    assert (basic["type"], basic["scheme"]) == ("http", "basic")
    for d, scheme in ((opine, "ApiKeyAuth"), (copper, "BasicAuth")):
        assert d["security"] == [{scheme: []}]
        for _, _, op in operations(d):
            assert op.get("security", d["security"]) == [{scheme: []}]


def test_every_operation_documents_error_classes(spec):
    for _, _, op in operations(spec):
        assert {"4XX", "5XX"} <= set(op["responses"])


# ---------------------------------------------------------------------------------------------
# Opine


def test_opine_list_parameters(opine):
    op = opine["paths"]["/tickets"]["get"]
    params = params_of(opine, op)
    assert set(params) == {"limit", "offset"}
    limit, offset = params["limit"], params["offset"]
    assert limit["in"] == offset["in"] == "query"
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
    assert offset["schema"] == {"type": "integer", "minimum": 0, "default": 0}
    assert "x-unverified" in offset and "S-MCP" in offset["x-unverified"]
    assert "number" in limit["x-source"]


def test_opine_list_envelope(opine):
    env = response_schema(opine, opine["paths"]["/tickets"]["get"], "200")
    assert set(env["required"]) == {"items", "limit", "offset", "totalCount"}
    assert accepts(opine, "TicketList", {"items": [], "limit": 100, "offset": 0, "totalCount": 0})
    assert not accepts(opine, "TicketList", {"items": [], "limit": 100, "offset": 0})


def test_opine_enums(opine):
    s = opine["components"]["schemas"]
    assert s["TicketType"]["enum"] == ["BUG", "FEATURE"] + [f"CUSTOM_{i}" for i in range(1, 6)]
    assert s["TicketState"]["enum"] == [
        "OPEN", "PRIORITIZING", "ROADMAP", "DEFERRED", "IN_PROGRESS", "CLOSED"]
    assert s["DealPriority"]["enum"] == ["BLOCKER", "IMPORTANT", "NICE_TO_HAVE"]
    for name in ("TicketType", "TicketState", "DealPriority"):
        assert "S-MCP" in s[name]["x-unverified"]


SEED_TICKET = {
    "type": "BUG", "state": "OPEN", "id": 1,
    "createdAt": "2025-10-30T12:55:20.367Z", "updatedAt": "2025-10-30T12:55:20.367Z",
    "closedAt": "2025-10-30T12:55:20.367Z", "organizationId": 1, "createdByUserId": 1,
    "title": "text", "description": "text", "vendorEntityId": "text", "vendorEntityKey": "text",
    "integrationInstallationId": 1, "targetDueDate": "2025-10-30T12:55:20.367Z",
    "linkedDeals": [{"id": 1, "evaluationId": 1, "name": "text", "priority": "BLOCKER",
                     "sharedWithBuyer": True}],
    "dealAmountSum": 1, "vendorEntityUrl": "text",
}
OPINE_CORE = ("id", "type", "state", "title", "createdAt", "updatedAt")


def test_opine_ticket_is_permissive(opine):
    t = component(opine, "Ticket")
    assert t["additionalProperties"] is True
    assert set(t["required"]) == set(OPINE_CORE)
    assert accepts(opine, "Ticket", SEED_TICKET)
    # extra fields, labels, Slate description
    assert accepts(opine, "Ticket", SEED_TICKET | {
        "labels": ["a"], "somethingNew": {"x": 1},
        "description": [{"type": "paragraph", "children": [{"text": "hi"}]}]})
    core = {k: SEED_TICKET[k] for k in OPINE_CORE}
    assert accepts(opine, "Ticket", core)  # every optional field absent
    optional = set(SEED_TICKET) - set(OPINE_CORE) | {"labels"}
    assert accepts(opine, "Ticket", core | {k: None for k in optional})  # ... or null
    for k in OPINE_CORE:
        assert not accepts(opine, "Ticket", {x: v for x, v in core.items() if x != k})
    assert not accepts(opine, "Ticket", core | {"id": "1"})
    assert not accepts(opine, "Ticket", core | {"state": "NOPE"})
    assert not accepts(opine, "Ticket", core | {"createdAt": "yesterday"})
    # vendorEntityUrl in responses is a plain string (the example is "text")
    assert "format" not in t["properties"]["vendorEntityUrl"]


def test_opine_linked_deal(opine):
    d = component(opine, "LinkedDeal")
    assert d["additionalProperties"] is True
    assert set(d["required"]) == {"id", "priority"}
    assert accepts(opine, "LinkedDeal", {"id": 1, "priority": "IMPORTANT", "evaluationId": None,
                                         "name": None, "sharedWithBuyer": None})
    assert not accepts(opine, "LinkedDeal", {"id": 1, "priority": "HIGH"})


def test_opine_create_body(opine):
    op = opine["paths"]["/tickets"]["post"]
    assert op["requestBody"]["required"] is True
    body = deref(opine, op["requestBody"]["content"]["application/json"]["schema"])
    assert body is component(opine, "TicketCreate")
    assert set(body["required"]) == {"title", "type", "state"}
    assert "additionalProperties" not in body
    p = body["properties"]
    assert p["title"] == {"type": "string", "minLength": 1, "maxLength": 256}
    assert p["vendorEntityUrl"]["format"] == "uri"
    assert p["targetDueDate"]["format"] == "date-time"
    assert p["labels"]["items"] == {"type": "string"}
    assert "x-unverified" in p["deals"]
    ok = {"title": "t", "type": "BUG", "state": "OPEN"}
    assert accepts(opine, "TicketCreate", ok)
    assert accepts(opine, "TicketCreate", ok | {"description": "# md"})
    assert accepts(opine, "TicketCreate", ok | {"description": [{"type": "text", "children": [{}]}]})
    assert accepts(opine, "TicketCreate", ok | {"deals": [{"id": 1, "priority": "BLOCKER"},
                                                          {"id": "eid:x", "priority": "IMPORTANT"}]})
    assert not accepts(opine, "TicketCreate", ok | {"title": ""})
    assert not accepts(opine, "TicketCreate", ok | {"title": "x" * 257})
    assert not accepts(opine, "TicketCreate", ok | {"description": None})
    assert not accepts(opine, "TicketCreate", {"title": "t", "type": "BUG"})
    assert set(op["responses"]) == {"201", "4XX", "5XX"}
    assert response_schema(opine, op, "201") is component(opine, "Ticket")


def test_opine_update(opine):
    op = opine["paths"]["/tickets/{id}"]["put"]
    params = params_of(opine, op)
    assert set(params) == {"id"}
    assert params["id"]["in"] == "path" and params["id"]["required"] is True
    assert params["id"]["schema"] == {"type": "string"}
    assert "x-unverified" in params["id"]
    body = component(opine, "TicketUpdate")
    assert deref(opine, op["requestBody"]["content"]["application/json"]["schema"]) is body
    assert "required" not in body and "minProperties" not in body
    assert "additionalProperties" not in body
    assert accepts(opine, "TicketUpdate", {})
    # nullable update fields: null is the documented way to clear
    for field in ("description", "targetDueDate", "labels", "vendorEntityUrl"):
        assert accepts(opine, "TicketUpdate", {field: None}), field
    # not nullable
    for field in ("title", "type", "state"):
        assert not accepts(opine, "TicketUpdate", {field: None}), field
    assert body["properties"]["title"] == {"type": "string", "minLength": 1, "maxLength": 256}
    assert body["properties"]["vendorEntityUrl"]["format"] == "uri"
    assert accepts(opine, "TicketUpdate", {"labels": [], "description": [{"type": "text"}],
                                           "deals": [{"id": 1, "priority": "BLOCKER",
                                                      "delete": True}]})
    assert not accepts(opine, "TicketUpdate", {"deals": [{"id": 1, "priority": "BLOCKER",
                                                          "delete": "yes"}]})
    assert set(op["responses"]) == {"200", "4XX", "5XX"}
    assert response_schema(opine, op, "200") is component(opine, "Ticket")


def test_opine_error_bodies(opine):
    documented = {"error": "Validation error.", "issues": [
        {"path": ["type"], "code": "invalid_enum_value", "message": "Invalid enum value",
         "received": "INVALID", "options": ["BUG"]}]}
    assert accepts(opine, "ErrorBody", documented)
    assert accepts(opine, "ValidationError", documented)
    assert accepts(opine, "ErrorBody", {"message": "Unauthorized"})
    assert not accepts(opine, "ErrorBody", ["not", "an", "object"])
    resp = opine["components"]["responses"]["ClientError"]
    assert "O-OV" in resp["x-unverified"]


# ---------------------------------------------------------------------------------------------
# Copper

CREATED = ("created[gte]", "created[gt]", "created[lte]", "created[lt]")


def test_copper_list_parameters(copper):
    params = params_of(copper, copper["paths"]["/tickets"]["get"])
    assert set(params) == {"limit", "starting_after", "ending_before", "location",
                           "search_query", *CREATED}
    assert all(p["in"] == "query" and not p.get("required", False) for p in params.values())
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100,
                                         "default": 10}
    assert params["limit"]["x-source"] == "C-PAG"
    for name in ("starting_after", "ending_before", "location", "search_query"):
        assert params[name]["schema"] == {"type": "string"}, name  # no invented rules
    for name in CREATED:
        p = params[name]
        assert p["schema"] == {"type": "string", "format": "date-time"}, name
        assert (p["style"], p["explode"]) == ("form", True)
        assert "ISO 8601" in p["description"]


def test_copper_retrieve(copper):
    op = copper["paths"]["/tickets/{id}"]["get"]
    params = params_of(copper, op)
    assert set(params) == {"id"}
    assert params["id"]["in"] == "path" and params["id"]["schema"] == {"type": "string"}
    assert set(op["responses"]) == {"200", "4XX", "5XX"}
    assert response_schema(copper, op, "200") is component(copper, "Ticket")


def test_copper_list_envelope(copper):
    env = response_schema(copper, copper["paths"]["/tickets"]["get"], "200")
    assert set(env["required"]) == {"object", "data", "has_more"}
    assert env["properties"]["object"]["enum"] == ["list"]
    assert env["additionalProperties"] is True
    assert accepts(copper, "TicketList", {"object": "list", "data": [], "has_more": False})
    assert not accepts(copper, "TicketList", {"object": "ticket", "data": [], "has_more": False})


def test_copper_ticket_is_permissive(copper):
    t = component(copper, "Ticket")
    assert t["additionalProperties"] is True
    assert set(t["required"]) == {"id", "created"}
    assert "C-RES" in t["x-unverified"]
    for created in ("2025-10-30T12:55:20Z", "2025-10-30T14:55:20.123+02:00", 1761828920,
                    1761828920.5):
        assert accepts(copper, "Ticket", {"id": "tkt_1", "created": created}), created
    full = {"id": "tkt_1", "object": "ticket", "created": 1761828920, "reference": "R-1",
            "location": "loc_1", "metadata": {"k": "v"}, "status": "open", "total": 100}
    assert accepts(copper, "Ticket", full)
    assert accepts(copper, "Ticket", full | {"reference": None, "location": None,
                                             "metadata": None})
    assert not accepts(copper, "Ticket", {"id": 1, "created": 1761828920})
    assert not accepts(copper, "Ticket", {"id": "tkt_1"})


def test_copper_error_bodies(copper):
    attrs = {"type": "invalid_request_error", "message": "No such ticket", "param": "id"}
    for body in (attrs, {"error": attrs}, {"detail": "anything"}):
        assert accepts(copper, "ErrorBody", body), body
    assert not accepts(copper, "ErrorBody", "oops")
    assert "C-ERR" in copper["components"]["responses"]["ClientError"]["x-unverified"]
