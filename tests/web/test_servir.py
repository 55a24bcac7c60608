"""``essq.web.servir`` (behind ``essq servir``): checks the warehouse first, then hands uvicorn
the application factory with the user's address, port, workers and CORS origins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from essq.erreurs import ErreurUtilisateur


@pytest.fixture
def lancements(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    import uvicorn

    appels: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: appels.append((a, k)))
    # servir() publishes home and origins to the worker processes through the environment
    monkeypatch.setenv("ESSQ_HOME", "/inexistant")
    monkeypatch.delenv("ESSQ_CORS_ORIGINES", raising=False)
    return appels


def test_servir_passe_les_reglages_a_uvicorn(
    home_demo: Path, lancements: list[tuple[tuple[Any, ...], dict[str, Any]]]
) -> None:
    import os

    from essq.web import servir

    servir(home_demo, port=8123, hote="0.0.0.0", workers=3, cors="https://a.gouv.fr")
    [(args, options)] = lancements
    assert args == ("essq.web.application:application_depuis_environnement",)
    assert options["factory"] is True
    assert (options["host"], options["port"], options["workers"]) == ("0.0.0.0", 8123, 3)
    assert os.environ["ESSQ_HOME"] == str(home_demo)
    assert os.environ["ESSQ_CORS_ORIGINES"] == "https://a.gouv.fr"


def test_servir_sans_entrepot_explique_et_ne_lance_rien(
    tmp_path: Path, lancements: list[tuple[tuple[Any, ...], dict[str, Any]]]
) -> None:
    from essq.web import servir

    with pytest.raises(ErreurUtilisateur):
        servir(tmp_path / "vide")
    assert lancements == []


def test_commande_servir_utilise_la_fonction(
    home_demo: Path, lancements: list[tuple[tuple[Any, ...], dict[str, Any]]]
) -> None:
    from essq.cli import app

    r = CliRunner().invoke(
        app, ["servir", "--home", str(home_demo), "--port", "8124", "--workers", "2"]
    )
    assert r.exit_code == 0, r.output
    [(_, options)] = lancements
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.1", 8124, 2)
    assert "http://127.0.0.1:8124/api/v1/" in r.output
