"""Search: French stemming, accent-insensitivity, field weighting, filters and facets."""

from __future__ import annotations

from pathlib import Path

import pytest

from essq.erreurs import ErreurUtilisateur
from essq.referentiel import charger
from essq.referentiel.schemas import SEEDS
from essq.referentiel.texte import sans_accents, termes_du_mot


def test_normalisation_des_mots() -> None:
    assert sans_accents("Économie Œuvre") == "economie oeuvre"
    assert set(termes_du_mot("coopératives")) & set(termes_du_mot("cooperative"))
    assert set(termes_du_mot("mobilité")) & set(termes_du_mot("mobilite"))


def test_coopératives_et_cooperative_trouvent_les_memes_entrees(mini: Path) -> None:
    ref = charger(mini)
    avec_accents = ref.chercher("coopératives")
    sans = ref.chercher("cooperative")
    assert avec_accents.ids() == sans.ids()
    assert avec_accents.ids()[0] == "famille-cooperative"  # in the title: ranked first
    assert {"disp-citeslab", "ini-001-epicerie-des-lilas"} <= set(sans.ids())
    assert avec_accents.mode == "et"


def test_insertion_et_inserer_se_trouvent_l_un_l_autre(mini: Path) -> None:
    ref = charger(mini)
    assert "glo-mobilite-solidaire" in ref.chercher("insertion").ids()  # only says « insérer »
    assert "glo-iae" in ref.chercher("insérer").ids()  # only says « insertion »
    assert "glo-iae" in ref.chercher("inserer").ids()


def test_sans_accent_dans_la_requete(mini: Path) -> None:
    resultats = charger(mini).chercher("epicerie")
    assert resultats.ids()[0] == "ini-001-epicerie-des-lilas"
    assert "bes-alimentation" in resultats.ids()  # « épiceries » in its description


def test_titre_pese_plus_que_mots_cles_plus_que_description(mini: Path, ecrire_ref) -> None:
    source = f"{{document: {SEEDS['000']}, lignes: L1}}"
    description = "Une entrée de test, rédigée pour vérifier la pondération des champs."
    ecrire_ref(
        mini,
        {
            "glossaire/poids.yaml": f"""
- id: glo-dans-description
  titre: Alpha
  terme: Alpha
  description: "{description} Zorglub."
  sources: [{source}]
- id: glo-dans-titre
  titre: Zorglub
  terme: Zorglub
  description: "{description}"
  sources: [{source}]
- id: glo-dans-mots-cles
  titre: Beta
  terme: Beta
  mots_cles: [zorglub]
  description: "{description}"
  sources: [{source}]
""",
        },
    )
    resultats = charger(mini).chercher("zorglub")
    assert resultats.ids() == ["glo-dans-titre", "glo-dans-mots-cles", "glo-dans-description"]
    assert (
        resultats.resultats[0].score > resultats.resultats[1].score > resultats.resultats[2].score
    )


def test_tous_les_mots_sinon_au_moins_un(mini: Path) -> None:
    ref = charger(mini)
    et = ref.chercher("épicerie Marseille")
    assert et.mode == "et" and et.ids() == ["ini-001-epicerie-des-lilas"]
    ou = ref.chercher("épicerie xyzzyq")
    assert ou.mode == "ou" and "ini-001-epicerie-des-lilas" in ou.ids()
    rien = ref.chercher("xyzzyq")
    assert rien.total == 0 and rien.ids() == [] and rien.facettes == {}


def test_commune_cherchable(mini: Path) -> None:
    assert charger(mini).chercher("marseille").ids() == ["ini-001-epicerie-des-lilas"]


def test_filtres_par_collection_et_champs(mini: Path) -> None:
    ref = charger(mini)
    assert ref.chercher("", collection="dispositifs", filtres={"stades": "idee"}).ids() == [
        "disp-citeslab"
    ]
    assert ref.chercher("", filtres={"stades": "idee,consolidation"}).ids() == [
        "disp-dla",
        "disp-citeslab",
    ]
    assert ref.chercher("", filtres={"stades": ["idee", "consolidation"]}).total == 2
    assert ref.chercher("", filtres={"eligibilite.qpv": "oui"}).ids() == ["disp-citeslab"]
    assert ref.chercher("", filtres={"eligibilite.qpv": "non"}).ids() == ["disp-dla"]
    assert ref.chercher("", filtres={"lieu.departement": "13"}).ids() == [
        "ini-001-epicerie-des-lilas"
    ]
    assert ref.chercher("", filtres={"graine": "004"}).ids() == ["lev004-1", "lev004-1-1"]
    assert ref.chercher("", filtres={"cadre": "seed004_6_leviers", "niveau": "action"}).ids() == [
        "lev004-1-1"
    ]
    assert ref.chercher("", filtres={"besoins": "bes-alimentation"}).ids() == [
        "ini-001-epicerie-des-lilas"
    ]
    # a filter combines with the text query
    assert ref.chercher("coopérative", filtres={"echelle": "local"}).ids() == ["disp-citeslab"]


def test_filtre_sur_un_champ_inconnu(mini: Path) -> None:
    with pytest.raises(ErreurUtilisateur, match="filtrer sur « stade »") as exc:
        charger(mini).chercher("", filtres={"stade": "idee"})
    assert "stades" in (exc.value.correctif or "")
    with pytest.raises(ErreurUtilisateur, match="collection « dispositifs »"):
        charger(mini).chercher("", collection="dispositifs", filtres={"cadre": "x"})
    with pytest.raises(ErreurUtilisateur, match="Collection « dispositif » inconnue"):
        charger(mini).chercher("dla", collection="dispositif")


def test_facettes_comptent_tout_le_resultat(mini: Path) -> None:
    resultats = charger(mini).chercher("", collection="dispositifs", limite=1)
    assert len(resultats) == 1 and resultats.total == 2
    f = resultats.facettes
    assert f["collection"] == {"dispositifs": 2}
    assert f["stades"] == {"consolidation": 1, "developpement": 1, "emergence": 1, "idee": 1}
    assert f["besoins"] == {"accompagnement": 2, "expertise": 1, "reseau": 1}
    assert f["echelle"] == {"departemental": 1, "local": 1}
    assert f["eligibilite.qpv"] == {"false": 1, "true": 1}
    assert f["graine"] == {"000": 1, "001": 1}
    tout = charger(mini).chercher("")
    assert tout.facettes["collection"]["leviers"] == 2
    assert tout.facettes["cadre"] == {"seed004_6_leviers": 2, "transverse": 1}  # besoins too
    assert tout.facettes["famille"] == {"cooperative": 1, "famille-cooperative": 1}


def test_extrait_et_export_dict(mini: Path) -> None:
    resultat = charger(mini).chercher("insertion", collection="initiatives").resultats[0]
    assert "insertion" in resultat.extrait
    d = charger(mini).chercher("insertion").en_dict()
    assert set(d) == {"requete", "mode", "total", "filtres", "resultats", "facettes"}
    assert set(d["resultats"][0]) == {"id", "collection", "titre", "score", "extrait"}


def test_titre_ou_sigle_exact_passe_devant(mini: Path, ecrire_ref) -> None:
    source = f"{{document: {SEEDS['001']}, lignes: L5}}"
    ecrire_ref(
        mini,
        {
            "chiffres_cles/cc.yaml": f"""
- id: cc-001-chefs-de-projet-citeslab
  titre: Chefs de projet CitésLab
  indicateur: Nombre de chefs de projet CitésLab
  valeur: 60
  unite: personnes
  territoire: France
  description: "Nombre de chefs de projet CitésLab en poste dans les quartiers prioritaires."
  sources: [{source}]
""",
        },
    )
    ref = charger(mini)
    # « DLA » is the acronym in the title's parentheses
    assert ref.chercher("DLA").ids()[0] == "disp-dla"
    # the scheme itself before the key figure that mentions it
    assert ref.chercher("citeslab").ids()[:2] == [
        "disp-citeslab",
        "cc-001-chefs-de-projet-citeslab",
    ]
