"""Property-based run over the OpenAPI schema (schemathesis): whatever the parameters, no 5xx,
documented status codes and content types, and responses matching their declared schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

VERIFICATIONS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.lent
def test_api_conforme_a_son_schema(demo: tuple[Path, Path]) -> None:
    from essq.web.application import creer_application

    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", creer_application(demo[1]))
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 14
    echecs: list[str] = []
    for op in operations:

        @given(case=op.as_strategy())
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def verifier(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=VERIFICATIONS)

        try:
            verifier()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            echecs.append(f"{op.method.upper()} {op.path}: {exc}"[:2000])
    assert not echecs, "\n\n".join(echecs)
