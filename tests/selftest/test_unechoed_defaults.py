"""An offset list whose body echoes nothing (``paging.echoes: false``, json-server's shape) still has its
documented default limit and offset judged, by the page alone: its size and its tickets."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.reference.mutants.opine_pagination import (OpineDefaultLimit50, OpineDefaultLimitEchoedAsMax,
                                                            OpineDefaultOffset1)
from conformance.reference.opine.store import OpineStore
from conformance.run.runner import RunRequest, run
from profile_variants import edited_profile

CHECKS = ["offset_default_limit_is_documented", "offset_defaults_to_0"]


@pytest.mark.parametrize("store, failing", [
    (OpineStore, set()),
    # a default of 50 also makes the page without offset differ from the documented limit=100&offset=0 page
    (OpineDefaultLimit50, {"offset_default_limit_is_documented", "offset_defaults_to_0"}),
    (OpineDefaultOffset1, {"offset_defaults_to_0"}),
    (OpineDefaultLimitEchoedAsMax, set()),  # what it gets wrong is the echo, which is not judged here
])
def test_defaults_are_judged_without_echoes(tmp_path: Path, store: type, failing: set[str]) -> None:
    path = edited_profile(tmp_path, "opine", lambda data: data["paging"].update(echoes=False))
    report = run(RunRequest(vendor="opine", profile=path, store=store(), checks=CHECKS))
    statuses = {r.name: r.status for r in report.checks}
    assert statuses == {name: "failed" if name in failing else "passed" for name in CHECKS}, report.checks
