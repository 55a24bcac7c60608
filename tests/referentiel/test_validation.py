"""Validation catches every kind of error with a precise French message (file, line, entry,
field, problem, fix); a valid folder loads into a Referentiel."""

from __future__ import annotations

from pathlib import Path

import pytest

from essq.referentiel import (
    IdentifiantInconnu,
    Probleme,
    ReferentielInvalide,
    charger,
    valider,
)
from essq.referentiel.schemas import SEEDS

G0 = SEEDS["000"]


def _un_seul(problemes: list[Probleme]) -> Probleme:
    assert len(problemes) == 1, "\n".join(p.texte() for p in problemes)
    return problemes[0]


def test_mini_referentiel_valide_et_charge(mini: Path) -> None:
    assert valider(mini) == []
    ref = charger(mini)
    assert ref.stats()["dispositifs"] == 2
    assert ref.get("disp-dla").titre.startswith("Dispositif local")
    assert ref.collection_de("lev004-1-1") == "leviers"
    assert [e.id for e in ref.collection("leviers")] == ["lev004-1", "lev004-1-1"]
    assert ref.get("inconnu") is None
    with pytest.raises(IdentifiantInconnu):
        ref.collection_de("inconnu")


def test_cache_rend_le_meme_objet_puis_relit_apres_modification(mini: Path) -> None:
    premier = charger(mini)
    assert charger(mini) is premier
    chemin = mini / "besoins" / "besoins.yaml"
    chemin.write_text(
        chemin.read_text(encoding="utf-8").replace("Alimentation", "Se nourrir"), encoding="utf-8"
    )
    second = charger(mini)
    assert second is not premier
    assert second.get("bes-alimentation").titre == "Se nourrir"


def test_entrees_figees(mini: Path) -> None:
    entree = charger(mini).get("disp-dla")
    with pytest.raises(Exception, match="frozen"):
        entree.titre = "autre"  # type: ignore[misc]


def test_identifiant_en_double_nomme_les_deux_fichiers(casser) -> None:
    dossier = casser("besoins/besoins.yaml", "id: bes-alimentation", "id: disp-dla")
    problemes = valider(dossier)
    doublon = [p for p in problemes if "en double" in p.probleme]
    assert len(doublon) == 1
    p = doublon[0]
    assert p.id == "disp-dla" and p.champ == "id"
    # folders are read in alphabetical order: besoins/ first, so the second is in dispositifs/
    assert "besoins/besoins.yaml:1 (collection « besoins »)" in p.probleme
    assert p.fichier.endswith("dispositifs/dispositifs.yaml") and p.ligne == 1


def test_lien_type_qui_ne_resout_pas(casser) -> None:
    dossier = casser(
        "initiatives/seed001.yaml", "besoins: [bes-alimentation]", "besoins: [bes-alimentaton]"
    )
    p = _un_seul(valider(dossier))
    assert p.id == "ini-001-epicerie-des-lilas"
    assert p.champ == "besoins[0]"
    assert "« bes-alimentaton » n'existe pas dans la collection « besoins »" in p.probleme
    assert "bes-alimentation" in p.correctif  # suggests the close id
    assert p.ligne == 4


def test_lien_vers_la_mauvaise_collection(casser) -> None:
    dossier = casser(
        "initiatives/seed001.yaml", "besoins: [bes-alimentation]", "besoins: [disp-dla]"
    )
    p = _un_seul(valider(dossier))
    assert "collection « dispositifs »" in p.probleme and "« besoins »" in p.probleme


def test_voir_aussi_qui_ne_resout_pas_ou_mauvaise_collection(casser) -> None:
    dossier = casser(
        "initiatives/seed001.yaml",
        '"dispositifs:disp-citeslab"',
        '"leviers:disp-citeslab", "dispositif:disp-dla", "dispositifs:disp-nulle-part"',
    )
    problemes = valider(dossier)
    assert [p.champ for p in problemes] == ["voir_aussi[0]", "voir_aussi[1]", "voir_aussi[2]"]
    assert "Écrire « dispositifs:disp-citeslab »" in problemes[0].correctif
    assert "« dispositifs:disp-dla »" in problemes[1].correctif
    assert "n'existe pas" in problemes[2].probleme


def test_source_manquante(casser) -> None:
    dossier = casser(
        "besoins/besoins.yaml",
        f'  sources:\n    - {{document: {G0}, lignes: "L703-709"}}',
        "  sources: []",
    )
    p = _un_seul(valider(dossier))
    assert p.champ == "sources" and p.probleme == "aucune source"
    assert "graine" in p.correctif


def test_source_de_graine_sans_section_ni_lignes(casser) -> None:
    dossier = casser(
        "besoins/besoins.yaml", f'{{document: {G0}, lignes: "L703-709"}}', f"{{document: {G0}}}"
    )
    p = _un_seul(valider(dossier))
    assert p.champ == "sources[0]" and "section ou les lignes" in p.probleme


def test_graine_inconnue_et_lignes_a_l_envers(casser) -> None:
    dossier = casser(
        "besoins/besoins.yaml",
        f'{{document: {G0}, lignes: "L703-709"}}',
        '{document: 000_aec176e962352d19.txt, lignes: "L709-703"}',
    )
    problemes = valider(dossier)
    assert {p.champ for p in problemes} == {"sources[0].document", "sources[0].lignes"}
    assert any(G0 in p.correctif for p in problemes)


def test_description_vide_ou_trop_courte(casser) -> None:
    dossier = casser(
        "besoins/besoins.yaml",
        "description: >-\n    Accès de tous à une alimentation de qualité et à un prix abordable, circuits courts\n    et épiceries solidaires.",
        'description: "Alimentation."',
    )
    p = _un_seul(valider(dossier))
    assert p.champ == "description" and p.id == "bes-alimentation"
    assert "trop court (13 caractère(s), au moins 40 attendus)" in p.probleme
    assert p.ligne == 3


def test_champ_absent_et_champ_inconnu(casser) -> None:
    dossier = casser(
        "dispositifs/dispositifs.yaml", "  echelle: departemental\n", "  echele: departemental\n"
    )
    problemes = valider(dossier)
    champs = {p.champ: p for p in problemes}
    assert champs["echelle"].probleme == "champ obligatoire absent"
    assert "Vouliez-vous dire « echelle »" in champs["echele"].correctif


def test_valeur_d_enumeration_non_permise(casser) -> None:
    dossier = casser(
        "dispositifs/dispositifs.yaml", "stades: [idee, emergence]", "stades: [idee, amorcage]"
    )
    p = _un_seul(valider(dossier))
    assert p.id == "disp-citeslab" and p.champ == "stades[1]"
    assert "« amorcage » non permise" in p.probleme and "'emergence'" in p.correctif


def test_montant_non_type(casser) -> None:
    dossier = casser("initiatives/seed001.yaml", "valeur: 12,", 'valeur: "12 salariés",')
    p = _un_seul(valider(dossier))
    assert p.champ == "chiffres[0].valeur"
    assert "un nombre est attendu" in p.probleme and "unite" in p.correctif


def test_date_non_typee(casser) -> None:
    dossier = casser(
        "statuts/statuts.yaml", "date_validite: 1978-07-19", "date_validite: 19 juillet 1978"
    )
    p = _un_seul(valider(dossier))
    assert p.champ == "regles[1].date_validite"
    assert "date attendue" in p.probleme and "AAAA-MM-JJ" in p.correctif


def test_code_insee_lu_comme_nombre(casser) -> None:
    dossier = casser("initiatives/seed001.yaml", 'code_insee: "13055"', "code_insee: 13055")
    p = _un_seul(valider(dossier))
    assert p.champ == "lieu.code_insee" and "guillemets" in p.correctif


def test_annee_hors_bornes(casser) -> None:
    dossier = casser("initiatives/seed001.yaml", "annee: 2022", "annee: 22")
    p = _un_seul(valider(dossier))
    assert p.champ == "chiffres[0].annee" and "hors bornes" in p.probleme


def test_action_sans_parent_et_parent_de_mauvais_niveau(casser) -> None:
    dossier = casser("leviers/seed004.yaml", "  parent: lev004-1\n", "")
    p = _un_seul(valider(dossier))
    assert p.id == "lev004-1-1" and p.champ == "parent" and "action" in p.probleme


def test_parent_dans_un_autre_cadre(casser) -> None:
    casser("leviers/seed004.yaml", "id: lev004-1\n", "id: lev003-ca1\n")
    casser(
        "leviers/seed004.yaml",
        "cadre: seed004_6_leviers\n  niveau: levier",
        "cadre: seed003_7_champs\n  niveau: champ",
    )
    dossier = casser("leviers/seed004.yaml", "parent: lev004-1", "parent: lev003-ca1")
    problemes = valider(dossier)
    assert any("même cadre" in p.correctif and p.champ == "parent" for p in problemes)
    assert any("doit être de niveau « levier »" in p.probleme for p in problemes)


def test_prefixe_et_cadre_de_levier_accordes(casser) -> None:
    dossier = casser(
        "leviers/seed004.yaml", 'numero: "1"', 'numero: "1"\n  equivalents: [lev004-1-1]'
    )
    p = _un_seul(valider(dossier))
    assert p.champ == "equivalents[0]" and "même cadre" in p.probleme


def test_convention_d_identifiant(casser) -> None:
    dossier = casser("besoins/besoins.yaml", "id: bes-alimentation", "id: alimentation")
    problemes = valider(dossier)
    assert any(p.champ == "id" and "convention" in p.probleme for p in problemes)
    # the initiative's link to the old id is reported too
    assert any(p.champ == "besoins[0]" for p in problemes)


def test_yaml_mal_forme_donne_la_ligne(casser) -> None:
    dossier = casser("besoins/besoins.yaml", "  titre: Alimentation", "  titre: [Alimentation")
    p = _un_seul([p for p in valider(dossier) if p.fichier.endswith("besoins.yaml")])
    assert p.probleme.startswith("YAML mal formé") and p.ligne is not None


def test_dossier_de_collection_inconnu_et_fichier_yml(mini: Path, ecrire_ref) -> None:
    ecrire_ref(mini, {"dispositif/x.yaml": "[]", "besoins/autres.yml": "[]"})
    problemes = valider(mini)
    assert any("renommer « dispositifs »" in p.correctif.lower() for p in problemes)
    assert any(p.fichier.endswith("autres.yml") for p in problemes)


def test_charger_refuse_un_referentiel_invalide(casser) -> None:
    dossier = casser("initiatives/seed001.yaml", "statut: statut-scop", "statut: statut-scopp")
    with pytest.raises(ReferentielInvalide) as exc:
        charger(dossier)
    assert len(exc.value.problemes) == 1
    assert "essq referentiel valider" in exc.value.texte()


def test_dossier_absent(tmp_path: Path) -> None:
    from essq.erreurs import ErreurUtilisateur

    with pytest.raises(ErreurUtilisateur, match="n'existe pas"):
        charger(tmp_path / "rien")


def test_liens_et_retroliens(mini: Path) -> None:
    ref = charger(mini)
    sortants = {(lien.champ, lien.cible) for lien in ref.liens("ini-001-epicerie-des-lilas")}
    assert sortants == {
        ("besoins", "bes-alimentation"),
        ("statut", "statut-scop"),
        ("leviers", "lev004-1-1"),
        ("voir_aussi", "disp-citeslab"),
    }
    entrants = {(lien.source, lien.champ) for lien in ref.retroliens("ini-001-epicerie-des-lilas")}
    assert entrants == {("disp-dla", "initiatives")}


def test_stats_par_graine(mini: Path) -> None:
    par_graine = charger(mini).stats_par_graine()
    assert par_graine["001"]["initiatives"] == 1
    assert par_graine["001"]["dispositifs"] == 1
    assert par_graine["004"]["leviers"] == 2
    assert sum(par_graine["autres"].values()) == 0
    assert [e.id for e in charger(mini).entrees_de_graine("000", "dispositifs")] == ["disp-dla"]


def test_le_referentiel_livre_est_valide() -> None:
    """The référentiel shipped in donnees/ validates with zero errors."""
    problemes = valider()
    assert not problemes, "\n\n".join(p.texte() for p in problemes[:30]) + (
        f"\n… {len(problemes)} erreur(s) en tout" if len(problemes) > 30 else ""
    )


def test_fiche_d_une_entree(mini: Path) -> None:
    fiche = charger(mini).fiche("lev004-1")
    assert fiche["collection"] == "leviers" and fiche["graines"] == ["004"]
    assert fiche["fichier"].endswith("leviers/seed004.yaml") and fiche["ligne"] == 1
    assert fiche["retroliens"] == [
        {
            "champ": "parent",
            "id": "lev004-1-1",
            "collection": "leviers",
            "titre": "Insérer les projets dans les appels à projets locaux",
        }
    ]
    with pytest.raises(IdentifiantInconnu) as exc:
        charger(mini).fiche("lev004-11")
    assert "lev004-1" in (exc.value.correctif or "")


def test_cache_disque_evite_de_relire_les_yaml(mini: Path, tmp_path: Path, monkeypatch) -> None:
    from essq.referentiel import modele, vider_cache

    monkeypatch.setenv("ESSQ_CACHE_REFERENTIEL", str(tmp_path / "cache"))
    premier = charger(mini)
    assert list((tmp_path / "cache").glob("*.pickle"))
    vider_cache()  # a new process, as far as the in-memory cache goes

    def interdit(*args, **kwargs):
        raise AssertionError("les YAML n'auraient pas dû être relus")

    monkeypatch.setattr(modele, "lire", interdit)
    second = charger(mini)
    assert second is not premier
    assert [e.id for e in second] == [e.id for e in premier]
    assert second.get("disp-dla") == premier.get("disp-dla")
    assert second.origine("lev004-1-1") == premier.origine("lev004-1-1")
    monkeypatch.undo()

    # a changed file is never served from the cache
    monkeypatch.setenv("ESSQ_CACHE_REFERENTIEL", str(tmp_path / "cache"))
    vider_cache()
    chemin = mini / "besoins" / "besoins.yaml"
    chemin.write_text(
        chemin.read_text(encoding="utf-8").replace("Alimentation", "Se nourrir"), encoding="utf-8"
    )
    assert charger(mini).get("bes-alimentation").titre == "Se nourrir"

    # a damaged cache file is ignored
    vider_cache()
    for fichier in (tmp_path / "cache").glob("*.pickle"):
        fichier.write_bytes(b"pas un pickle")
    assert charger(mini).get("bes-alimentation").titre == "Se nourrir"


def test_cache_disque_desactivable(mini: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ESSQ_CACHE_REFERENTIEL", "non")
    assert charger(mini).stats()["besoins"] == 1
    assert not list(tmp_path.rglob("*.pickle"))


def test_code_insee_et_departement_accordes(casser) -> None:
    dossier = casser("initiatives/seed001.yaml", 'departement: "13"', 'departement: "93"')
    p = _un_seul(valider(dossier))
    assert p.champ == "lieu.departement" and "(département « 13 »)" in p.probleme


def test_champ_ecrit_deux_fois_est_signale(casser) -> None:
    dossier = casser(
        "initiatives/seed001.yaml",
        "besoins: [bes-alimentation]",
        "besoins: [bes-alimentation]\n  besoins: [bes-alimentation]",
    )
    doubles = [p for p in valider(dossier) if "écrit deux fois" in p.probleme]
    assert len(doubles) == 1
    assert doubles[0].champ == "besoins" and doubles[0].ligne == 5
