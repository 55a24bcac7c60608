"""Shared test fixtures.

Real open data lives in ``../shared/data`` next to the repository (CI has it). Tests that
need it use the ``donnees_partagees`` fixture, which skips with the reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parents[1]
DONNEES_PARTAGEES = Path(
    os.environ.get("ESSQ_DONNEES_PARTAGEES", RACINE.parent / "shared" / "data")
).resolve()


@pytest.fixture(scope="session")
def donnees_partagees() -> Path:
    """Path to ../shared/data; skips the test (saying why) where it is absent."""
    if not DONNEES_PARTAGEES.is_dir():
        pytest.skip(
            f"données ouvertes de test absentes ({DONNEES_PARTAGEES}) : "
            "placer le dossier shared/ à côté du dépôt ou définir ESSQ_DONNEES_PARTAGEES"
        )
    return DONNEES_PARTAGEES


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty ESSQ_HOME for one test."""
    dossier = tmp_path / "essq_home"
    monkeypatch.setenv("ESSQ_HOME", str(dossier))
    return dossier


@pytest.fixture(scope="session")
def home_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ESSQ_HOME holding the fictional demo territory, built once per test session
    through the real pipeline (generation, territory imports, warehouse for both stock dates)."""
    from essq.demo import construire_demo

    dossier = tmp_path_factory.mktemp("home_demo")
    construire_demo(dossier)
    return dossier
