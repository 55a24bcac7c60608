"""docs/diagnostics.md stays true: each diagnostic's example runs and gives the stated verdict."""

from __future__ import annotations

import json
import re
from pathlib import Path

from essq.diagnostics import ORDRE, executer
from essq.diagnostics.seuils import seuils

DOC = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"
MOTIF = re.compile(
    r'<!-- exemple diagnostic="(?P<nom>[a-z-]+)" verdict="(?P<verdict>[a-z0-9_-]+)" -->\s*```json\n(?P<json>.*?)```',
    re.S,
)


def test_un_exemple_par_diagnostic_et_chacun_donne_le_verdict_annonce() -> None:
    exemples = list(MOTIF.finditer(DOC.read_text(encoding="utf-8")))
    assert sorted(m["nom"] for m in exemples) == sorted(ORDRE)
    for m in exemples:
        r = executer(m["nom"], json.loads(m["json"]))
        assert r["verdict"]["code"] == m["verdict"], (m["nom"], r["verdict"])


def test_la_doc_cite_les_seuils_legaux_en_vigueur() -> None:
    texte = DOC.read_text(encoding="utf-8")
    for code in (
        "esus-charges-utilite-sociale",
        "scic-reserves-impartageables",
        "scop-droits-vote-salaries",
    ):
        valeur = f"{seuils()[code].valeur:g}".replace(".", ",")
        assert f"{valeur} %" in texte, code
    assert "1 à 5 et 1 à 7" in texte  # the seed's error is documented
