"""Checks against the seed documents themselves (when they are at hand).

The seeds are not part of the repository; an expert or the CI that has them can run
``essq referentiel valider --graines DOSSIER`` to check, on top of the usual validation:

- that every cited line range exists in the seed file (error);
- that no text of an entry copies a seed sentence: a run of at least ``MOTS_COPIE``
  consecutive words identical to the seed (accents, case and punctuation ignored) is reported
  as a warning with the passage and the seed line, to be rephrased in our own words. Names,
  figures and legal references are not checked (titles, ``texte_legal``, ``reference``…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from essq.erreurs import ErreurUtilisateur
from essq.referentiel.schemas import SEEDS, Entree
from essq.referentiel.texte import sans_accents
from essq.referentiel.validation import (
    GRAINE_DU_FICHIER,
    Lecture,
    Probleme,
    _chemin,
    _ligne,
)

MOTS_COPIE = 14
# Fields that legitimately repeat the seeds' wording: names, legal references, provenance.
CHAMPS_NON_VERIFIES = {
    "id",
    "titre",
    "terme",
    "sigle",
    "sources",
    "voir_aussi",
    "texte_legal",
    "reference",
    "reference_legale",
    "forme_juridique",
    "porteur",
    "nom",
    "libelle",
    "partenaires",
    "financeurs",
    "auteurs",
    "editeur",
    "url",
    "site",
    "lieu",
    "mots_cles",
    "indicateur",
    "source_primaire",
}
_MOT = re.compile(r"[0-9a-z]+")


@dataclass
class Graine:
    code: str
    lignes: int
    mots: list[str]
    ligne_du_mot: list[int]


def _mots(texte: str) -> list[str]:
    return _MOT.findall(sans_accents(texte))


def lire_graines(dossier: Path | str) -> dict[str, Graine]:
    """Read the seed files (named as in ``schemas.SEEDS``) found in ``dossier``."""
    racine = Path(dossier)
    if not racine.is_dir():
        raise ErreurUtilisateur(
            f"Le dossier des graines {racine} n'existe pas",
            correctif="Indiquer avec --graines le dossier qui contient les fichiers "
            + ", ".join(SEEDS.values())
            + ".",
            fichier=str(racine),
        )
    graines: dict[str, Graine] = {}
    for code, nom in SEEDS.items():
        chemin = racine / nom
        if not chemin.is_file():
            continue
        texte = chemin.read_text(encoding="utf-8", errors="replace")
        mots: list[str] = []
        lignes_mots: list[int] = []
        lignes = texte.split("\n")
        for numero, ligne in enumerate(lignes, start=1):
            for mot in _mots(ligne):
                mots.append(mot)
                lignes_mots.append(numero)
        nb_lignes = len(lignes) - 1 if texte.endswith("\n") else len(lignes)
        graines[code] = Graine(code, nb_lignes, mots, lignes_mots)
    if not graines:
        raise ErreurUtilisateur(
            f"Aucun fichier de graine dans {racine}",
            correctif="Le dossier doit contenir les fichiers " + ", ".join(SEEDS.values()) + ".",
            fichier=str(racine),
        )
    return graines


def _textes(valeur: Any, chemin: tuple[int | str, ...]) -> list[tuple[tuple[int | str, ...], str]]:
    if isinstance(valeur, str):
        return [(chemin, valeur)]
    trouves: list[tuple[tuple[int | str, ...], str]] = []
    if isinstance(valeur, dict):
        for cle, sous in valeur.items():
            if cle not in CHAMPS_NON_VERIFIES:
                trouves.extend(_textes(sous, (*chemin, cle)))
    elif isinstance(valeur, list):
        for rang, sous in enumerate(valeur):
            trouves.extend(_textes(sous, (*chemin, rang)))
    return trouves


def verifier_graines(lecture: Lecture, dossier: Path | str) -> list[Probleme]:
    """Line ranges that exceed their seed (errors) and passages copied from a seed (warnings)."""
    graines = lire_graines(dossier)
    index: dict[tuple[str, ...], tuple[str, int]] = {}
    for graine in graines.values():
        for debut in range(len(graine.mots) - MOTS_COPIE + 1):
            cle = tuple(graine.mots[debut : debut + MOTS_COPIE])
            index.setdefault(cle, (graine.code, graine.ligne_du_mot[debut]))

    problemes: list[Probleme] = []
    for lue in lecture.entrees:
        entree = lue.entree
        if entree is None:
            continue
        problemes.extend(_verifier_lignes(lue.fichier, lue.noeud, entree, graines))
        for chemin, texte in _textes(entree.model_dump(mode="json"), ()):
            mots = _mots(texte)
            debut = 0
            while debut <= len(mots) - MOTS_COPIE:
                trouve = index.get(tuple(mots[debut : debut + MOTS_COPIE]))
                if trouve is None:
                    debut += 1
                    continue
                fin = debut + MOTS_COPIE
                while fin < len(mots) and tuple(mots[fin - MOTS_COPIE + 1 : fin + 1]) in index:
                    fin += 1
                code, ligne = trouve
                passage = " ".join(mots[debut:fin])
                problemes.append(
                    Probleme(
                        lue.fichier,
                        _ligne(lue.noeud, chemin),
                        entree.id,
                        _chemin(chemin),
                        f"{fin - debut} mots repris tels quels de la graine {code} (vers la ligne "
                        f"{ligne}) : « {passage} »",
                        "Reformuler dans vos propres mots : les noms, chiffres, lieux et textes "
                        "de loi se reprennent, pas les phrases des documents.",
                        gravite="avertissement",
                    )
                )
                debut = fin
    return problemes


def _verifier_lignes(
    fichier: str, noeud: Any, entree: Entree, graines: dict[str, Graine]
) -> list[Probleme]:
    problemes: list[Probleme] = []
    listes: list[tuple[tuple[int | str, ...], list[Any]]] = [(("sources",), entree.sources)]
    for rang, divergence in enumerate(entree.divergences):
        listes.append((("divergences", rang, "sources"), divergence.sources))
    for prefixe, sources in listes:
        for rang, source in enumerate(sources):
            code = GRAINE_DU_FICHIER.get(source.document)
            if code is None or code not in graines or not source.lignes:
                continue
            nombres = [int(n) for n in re.findall(r"\d+", source.lignes)]
            depasse = [n for n in nombres if n < 1 or n > graines[code].lignes]
            if depasse:
                chemin = (*prefixe, rang, "lignes")
                problemes.append(
                    Probleme(
                        fichier,
                        _ligne(noeud, chemin),
                        entree.id,
                        _chemin(chemin),
                        f"ligne {depasse[0]} hors du fichier de la graine {code} "
                        f"({graines[code].lignes} lignes)",
                        "Vérifier le numéro de ligne dans le fichier de la graine (et non dans "
                        "un extrait ou une pagination du PDF).",
                    )
                )
    return problemes
