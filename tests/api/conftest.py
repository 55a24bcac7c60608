"""API tests read the demo territory of the session (``home_demo`` in tests/conftest.py: generated
official files → territories imports → observatoire build for each stock date, through
essq.demo.construire_demo, the real pipeline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def demo(home_demo: Path) -> tuple[Path, Path]:
    """(generated files folder, ESSQ_HOME with the built warehouse)."""
    from essq.config import emplacements

    return emplacements(home_demo).demo, home_demo


@pytest.fixture(scope="session")
def client(demo: tuple[Path, Path]) -> Iterator[TestClient]:
    from essq.web.application import creer_application

    app = creer_application(demo[1], cors=["https://exemple.gouv.fr"])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
