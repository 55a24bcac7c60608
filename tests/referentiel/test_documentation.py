"""docs/referentiel.md stays true to the schema: every collection and every field is described."""

from __future__ import annotations

from pathlib import Path

from essq.referentiel import COLLECTIONS, schemas

DOC = Path(__file__).resolve().parents[2] / "docs" / "referentiel.md"


def test_la_documentation_decrit_chaque_collection_et_chaque_champ() -> None:
    texte = DOC.read_text(encoding="utf-8")
    manquants = []
    for nom, modele in COLLECTIONS.items():
        if f"### `{nom}`" not in texte:
            manquants.append(f"collection {nom}")
        section = texte.split(f"### `{nom}`", 1)[-1].split("\n### ", 1)[0]
        for champ in modele.model_fields:
            if champ not in schemas.Entree.model_fields and f"| `{champ}` |" not in section:
                manquants.append(f"{nom}.{champ}")
    for objet in (
        "Source",
        "Divergence",
        "Regle",
        "Chiffre",
        "OutilJuridique",
        "Lieu",
        "Eligibilite",
    ):
        section = texte.split(f"#### Objet *{objet}*", 1)[-1].split("\n#", 1)[0]
        for champ in getattr(schemas, objet).model_fields:
            if f"| `{champ}` |" not in section:
                manquants.append(f"{objet}.{champ}")
    assert not manquants, f"à documenter dans docs/referentiel.md : {', '.join(manquants)}"
