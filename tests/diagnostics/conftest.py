"""What every diagnostic answer must look like, shared by the frame and property tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

# The top-level keys of every answer (docs/diagnostics.md, « La réponse, commune aux sept diagnostics »)
CLES = {
    "diagnostic",
    "titre",
    "verdict",
    "resultats",
    "raisons",
    "manquant",
    "suites",
    "avertissement",
    "indicateurs",
    "graphique",
}


def _verifier_forme(r: dict[str, Any], nom: str) -> None:
    assert set(r) == CLES
    assert r["diagnostic"] == nom and r["verdict"]["code"]
    json.dumps(r, allow_nan=False, ensure_ascii=False)  # JSON-safe: no NaN, no infinity
    for raison in r["raisons"]:
        assert raison["regle"] and raison["source"] and raison["explication"]


@pytest.fixture(scope="session")
def verifier_forme() -> Callable[[dict[str, Any], str], None]:
    """Assert that ``r`` is a complete, JSON-safe answer of diagnostic ``nom``."""
    return _verifier_forme
