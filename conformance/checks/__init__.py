"""The check catalogue: each registered check gathers observations through the API and hands them
to pure check functions in ``conformance.oracles``. Importing this package registers every check."""

from conformance.checks.registry import CATALOGUE, CheckSpec  # noqa: F401
from conformance.checks import auth, consistency, cursor_pagination, enums, offset_pagination, schema  # noqa: F401,E402  (registration side effect)
from conformance.checks import created_filters, text_filters  # noqa: F401,E402  (filters: registration side effect)
from conformance.checks import metamorphic  # noqa: F401,E402  (metamorphic relations: registration side effect)
from conformance.checks import robustness  # noqa: F401,E402  (malformed input: registration side effect)
from conformance.checks import updates  # noqa: F401,E402  (nullable updates, write consistency: registration side effect)
from conformance.checks import creates  # noqa: F401,E402  (rules on create: registration side effect)
from conformance.checks import negative  # noqa: F401,E402  (negative conformance: registration side effect)
