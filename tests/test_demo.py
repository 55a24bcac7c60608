"""``essq demo`` builds the fictional territory through the real pipeline (what `make demo` serves)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from essq.cli import app
from essq.observatoire import Entrepot


def test_la_demo_construit_un_entrepot_qui_repond(home_demo: Path) -> None:
    entrepot = Entrepot.ouvrir(home_demo)
    try:
        assert entrepot.dates_stock()[-2:] == ["2026-09-30", "2026-10-31"]
        france = entrepot.indicateurs("france")
        epci = entrepot.indicateurs("epci:200000001")
    finally:
        entrepot.fermer()
    # The demo territory is the whole "France" of the demo warehouse.
    assert france["ensemble"]["etablissements_ess"] == epci["ensemble"]["etablissements_ess"] > 0
    assert epci["en_qpv"]["etablissements_ess"] > 0
    assert epci["hors_qpv"]["etablissements_ess"] > 0
    manifeste = json.loads((home_demo / "demo" / "manifeste.json").read_text(encoding="utf-8"))
    assert manifeste["libelle"] == "Données fictives de démonstration"


def test_la_demo_sans_serveur_par_la_ligne_de_commande(tmp_path: Path) -> None:
    resultat = CliRunner().invoke(app, ["demo", "--sans-serveur", "--home", str(tmp_path / "h")])
    assert resultat.exit_code == 0, resultat.output
    resume = json.loads(resultat.stdout[resultat.stdout.index("{") :])
    assert resume["dates_stock"] == ["2026-09-30", "2026-10-31"]
    assert (tmp_path / "h" / "entrepot" / "essq.duckdb").is_file()
