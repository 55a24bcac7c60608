"""Shared fixtures of the generator tests: one small stock and one demo territory per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from essq.generateur import generer_demo, generer_stock


@pytest.fixture(scope="session")
def stock_petit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 000 establishments, CSV and Parquet, seed 7, no QPV file."""
    dossier = tmp_path_factory.mktemp("stock_petit")
    generer_stock(dossier, 6000, graine=7, formats=("csv", "parquet"), afficher_progression=False)
    return dossier


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return generer_demo(tmp_path_factory.mktemp("demo") / "demo", graine=2026)
