"""Streaming localisation of a CSV file: every input column and row kept, fields appended.

The file is read and written in blocks of ``taille_bloc`` rows, so memory stays bounded
whatever the file size (a 2 GB SIRENE extract included).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from essq.console import progression
from essq.erreurs import ErreurUtilisateur
from essq.fichiers import ecriture_atomique
from essq.territoires import projections
from essq.territoires.moteur import Territoires

NOMS_LON = ("lon", "longitude", "lng", "x_wgs84")
NOMS_LAT = ("lat", "latitude", "y_wgs84")
NOMS_X = ("x", "coordonneelambertabscisseetablissement", "x_l93", "abscisse")
NOMS_Y = ("y", "coordonneelambertordonneeetablissement", "y_l93", "ordonnee")
VALEURS_ABSENTES = {"", "[nd]", "nd", "na", "nan", "null", "none", "-"}
MOTIFS = {
    "absentes": "coordonnées absentes",
    "hors_plage": "coordonnées hors des plages valides pour la projection",
    "incoherentes": "point hors du territoire attendu (longitude et latitude inversées, "
    "ou projection ne correspondant pas à la commune)",
}


@dataclass
class RapportCsv:
    entree: str
    sortie: str
    lignes: int = 0
    par_statut: dict[str, int] = field(default_factory=dict)
    dans_qpv: dict[str, int] = field(default_factory=dict)
    epsg: int | None = None

    def en_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _trouver(entete: Sequence[str], noms: Sequence[str]) -> int | None:
    bas = [c.strip().lower() for c in entete]
    for n in noms:
        if n in bas:
            return bas.index(n)
    return None


def _nombres(valeurs: list[str], virgule_decimale: bool) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN when absent) and a mask of non-numeric values."""
    sortie = np.full(len(valeurs), np.nan)
    illisibles = np.zeros(len(valeurs), dtype=bool)
    for i, v in enumerate(valeurs):
        v = v.strip()
        if v.lower() in VALEURS_ABSENTES:
            continue
        if virgule_decimale:
            v = v.replace(",", ".")
        try:
            f = float(v)
        except ValueError:
            illisibles[i] = True
            continue
        if math.isfinite(f):
            sortie[i] = f
        else:
            illisibles[i] = True
    return sortie, illisibles


def _blocs(lecteur: Iterator[list[str]], taille: int) -> Iterator[list[list[str]]]:
    bloc: list[list[str]] = []
    for ligne in lecteur:
        bloc.append(ligne)
        if len(bloc) >= taille:
            yield bloc
            bloc = []
    if bloc:
        yield bloc


def localiser_csv(
    territoires: Territoires,
    entree: Path | str,
    sortie: Path | str,
    *,
    millesimes: Sequence[str] | None = None,
    epsg: int | None = None,
    colonne_x: str | None = None,
    colonne_y: str | None = None,
    colonne_commune: str | None = None,
    rayon_m: float | None = None,
    encodage: str = "utf-8",
    taille_bloc: int = 100_000,
) -> RapportCsv:
    """Append QPV fields to each row of ``entree`` and write ``sortie`` atomically.

    Coordinates: ``lon,lat`` columns (WGS84) by default; ``x,y`` (or named columns) with
    ``epsg``; with ``colonne_commune`` and no ``epsg``, each row's legal projection comes
    from its commune. Rows without usable coordinates are kept and flagged.
    """
    entree, sortie = Path(entree), Path(sortie)
    choisis = territoires._choisir(millesimes)
    if not entree.exists():
        raise ErreurUtilisateur(
            "Fichier introuvable.", fichier=str(entree), correctif="Vérifier le chemin."
        )
    rapport = RapportCsv(entree=str(entree), sortie=str(sortie))
    taille = entree.stat().st_size
    brut = open(entree, "rb")  # noqa: SIM115 - closed in the finally below
    try:
        texte = io.TextIOWrapper(
            brut,
            encoding="utf-8-sig" if encodage.lower() in ("utf-8", "utf8") else encodage,
            newline="",
        )
        try:
            premiere = texte.readline()
        except UnicodeDecodeError as exc:
            raise _erreur_encodage(entree, 1, encodage) from exc
        if not premiere.strip():
            raise ErreurUtilisateur(
                "Le fichier est vide (pas même une ligne d'en-tête).",
                fichier=str(entree),
                correctif="Fournir un CSV avec une ligne d'en-tête (par exemple lon,lat).",
            )
        separateur = max((",", ";", "\t", "|"), key=premiere.count)
        entete = next(csv.reader([premiere], delimiter=separateur))
        ix, iy, e = _colonnes(entete, epsg, colonne_x, colonne_y, entree)
        icom = None
        if colonne_commune:
            icom = _trouver(entete, [colonne_commune.lower()])
            if icom is None:
                raise ErreurUtilisateur(
                    f"Colonne « {colonne_commune} » absente.",
                    fichier=str(entree),
                    ligne=1,
                    correctif="Colonnes présentes : " + ", ".join(entete),
                )
        elif e is None:
            raise ErreurUtilisateur(
                "Projection des colonnes x,y non indiquée.",
                fichier=str(entree),
                correctif="Indiquer --epsg (2154 pour le Lambert-93) ou --colonne-commune pour "
                "prendre la projection légale de chaque commune.",
            )
        rapport.epsg = e
        projete = e != projections.WGS84
        ajout = ["statut_coordonnees", "motif"]
        if projete:
            ajout += ["lon_wgs84", "lat_wgs84"]
        for m in choisis:
            ajout += [
                f"qpv_{m}",
                f"lib_qp_{m}",
                f"distance_qpv_{m}_m",
                f"qpv_proche_{m}",
                f"lib_qp_proche_{m}",
            ]
            if rayon_m is not None:
                ajout.append(f"qpv_{m}_a_moins_de_{int(rayon_m)}_m")
        doublons = set(ajout) & {c.strip() for c in entete}
        if doublons:
            raise ErreurUtilisateur(
                "Le fichier contient déjà des colonnes que la localisation ajoute : "
                + ", ".join(sorted(doublons)),
                fichier=str(entree),
                ligne=1,
                correctif="Renommer ou retirer ces colonnes (fichier déjà localisé ?).",
            )
        virgule = separateur != ","
        lecteur = csv.reader(texte, delimiter=separateur)
        premier_bloc = True
        numero = 1
        with (
            ecriture_atomique(sortie) as tmp,
            open(tmp, "w", encoding="utf-8", newline="") as f,
            progression() as p,
        ):
            tache = p.add_task(f"Localisation de {entree.name} (octets)", total=taille)
            ecrivain = csv.writer(f, delimiter=separateur, lineterminator="\n")
            ecrivain.writerow(entete + ajout)
            try:
                for bloc in _blocs(lecteur, taille_bloc):
                    lignes_ok = [
                        l_ if len(l_) > max(ix, iy) else l_ + [""] * (max(ix, iy) + 1 - len(l_))
                        for l_ in bloc
                    ]
                    x, xill = _nombres([l_[ix] for l_ in lignes_ok], virgule)
                    y, yill = _nombres([l_[iy] for l_ in lignes_ok], virgule)
                    illisibles = xill | yill
                    if premier_bloc:
                        diag = projections.diagnostic_coordonnees(x, y, e)
                        if diag:
                            raise ErreurUtilisateur(
                                f"Coordonnées dans un mauvais système : {diag}.",
                                fichier=str(entree),
                                correctif="Relancer avec la bonne option (--epsg N, ou colonnes lon,lat en degrés WGS84).",
                            )
                        premier_bloc = False
                    communes = None
                    if icom is not None:
                        communes = np.array(
                            [l_[icom].strip() if icom < len(l_) else "" for l_ in bloc],
                            dtype=object,
                        )
                        communes = territoires.normaliser_communes(communes)
                    table = territoires.localiser_lot(
                        x, y, epsg=e, codes_commune=communes, millesimes=choisis, avec_distance=True
                    )
                    colonnes = _colonnes_sortie(
                        territoires, table, choisis, projete, rayon_m, illisibles
                    )
                    for ligne, ajoutees in zip(bloc, zip(*colonnes, strict=True), strict=True):
                        ecrivain.writerow(ligne + list(ajoutees))
                    statuts = table.column("statut_coordonnees").to_pylist()
                    for s in set(statuts):
                        rapport.par_statut[s] = rapport.par_statut.get(s, 0) + statuts.count(s)
                    for m in choisis:
                        dedans = len(bloc) - table.column(f"qpv_{m}").null_count
                        rapport.dans_qpv[m] = rapport.dans_qpv.get(m, 0) + dedans
                    rapport.lignes += len(bloc)
                    numero += len(bloc)
                    p.update(tache, completed=brut.tell())
            except UnicodeDecodeError as exc:
                raise _erreur_encodage(entree, numero + 1, encodage) from exc
            except csv.Error as exc:
                raise ErreurUtilisateur(
                    f"CSV mal formé : {exc}.",
                    fichier=str(entree),
                    ligne=lecteur.line_num,
                    correctif="Vérifier les guillemets et le séparateur du fichier.",
                ) from exc
            p.update(tache, completed=taille)
    finally:
        brut.close()
    return rapport


def _erreur_encodage(entree: Path, ligne: int, encodage: str) -> ErreurUtilisateur:
    return ErreurUtilisateur(
        f"Le fichier n'est pas lisible dans l'encodage {encodage} (vers la ligne {ligne}).",
        fichier=str(entree),
        correctif="Indiquer l'encodage du fichier, par exemple --encodage cp1252 (export Excel), "
        "ou le réenregistrer en UTF-8.",
    )


def _colonnes(
    entete: list[str], epsg: int | None, cx: str | None, cy: str | None, entree: Path
) -> tuple[int, int, int | None]:
    if cx or cy:
        if not (cx and cy):
            raise ErreurUtilisateur(
                "Indiquer les deux colonnes de coordonnées.",
                fichier=str(entree),
                correctif="Utiliser --colonne-x et --colonne-y ensemble.",
            )
        ix, iy = _trouver(entete, [cx.lower()]), _trouver(entete, [cy.lower()])
        if ix is None or iy is None:
            raise ErreurUtilisateur(
                f"Colonne « {cx if ix is None else cy} » absente.",
                fichier=str(entree),
                ligne=1,
                correctif="Colonnes présentes : " + ", ".join(entete),
            )
        return ix, iy, epsg if epsg is not None else None
    if epsg is None or epsg == projections.WGS84:
        ix, iy = _trouver(entete, NOMS_LON), _trouver(entete, NOMS_LAT)
        if ix is not None and iy is not None:
            return ix, iy, projections.WGS84
        if epsg == projections.WGS84:
            raise ErreurUtilisateur(
                "Colonnes lon,lat absentes.",
                fichier=str(entree),
                ligne=1,
                correctif="Nommer les colonnes lon et lat, ou les désigner avec --colonne-x/--colonne-y. "
                "Colonnes présentes : " + ", ".join(entete),
            )
    ix, iy = _trouver(entete, NOMS_X), _trouver(entete, NOMS_Y)
    if ix is None or iy is None:
        raise ErreurUtilisateur(
            "Colonnes de coordonnées introuvables (lon,lat ou x,y attendues).",
            fichier=str(entree),
            ligne=1,
            correctif="Nommer les colonnes lon,lat (degrés WGS84) ou x,y avec --epsg, ou les désigner "
            "avec --colonne-x/--colonne-y. Colonnes présentes : " + ", ".join(entete),
        )
    return ix, iy, epsg


def _texte(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


def _colonnes_sortie(
    territoires: Territoires,
    table: Any,
    choisis: Sequence[str],
    projete: bool,
    rayon_m: float | None,
    illisibles: np.ndarray,
) -> list[list[str]]:
    statuts = table.column("statut_coordonnees").to_pylist()
    motifs = [MOTIFS.get(s, "") for s in statuts]
    for i in np.flatnonzero(illisibles):
        statuts[i] = "hors_plage"
        motifs[i] = "valeur non numérique"
    colonnes = [statuts, motifs]
    if projete:
        colonnes.append(["" if v is None else f"{v:.7f}" for v in table.column("lon").to_pylist()])
        colonnes.append(["" if v is None else f"{v:.7f}" for v in table.column("lat").to_pylist()])
    for m in choisis:
        mil = territoires._millesimes[m]
        codes = table.column(f"qpv_{m}").to_pylist()
        proches = table.column(f"qpv_proche_{m}").to_pylist()
        distances = table.column(f"distance_qpv_{m}_m").to_pylist()
        colonnes.append([c or "" for c in codes])
        colonnes.append([mil.libelles[mil.position[c]] if c else "" for c in codes])
        colonnes.append([_texte(d) for d in distances])
        colonnes.append([c or "" for c in proches])
        colonnes.append([mil.libelles[mil.position[c]] if c else "" for c in proches])
        if rayon_m is not None:
            colonnes.append(
                ["" if d is None else ("oui" if d <= rayon_m else "non") for d in distances]
            )
    return colonnes
