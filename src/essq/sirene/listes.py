"""User-supplied lists of legal units (ESS France, ESUS agreement, SIAE/EA/ESAT, fonds de dotation).

Each list is a CSV (``,`` or ``;``) or Parquet file with a ``siren`` column (or ``siret``, whose
first 9 digits are taken). ``importer_liste`` stores it, normalised, in
``$ESSQ_HOME/sirene/listes/<type>.parquet`` with a ``<type>.json`` provenance file; ``qualifier``
then uses every imported list automatically, each one as its own column.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from essq.config import emplacements
from essq.erreurs import ErreurUtilisateur
from essq.fichiers import ecriture_atomique, sha256
from essq.sirene.lecture import ouvrir_source

# type -> (French label, does being on the list make a unit ESS?)
TYPES_LISTE: dict[str, tuple[str, bool]] = {
    "ess_france": ("liste des entreprises de l'ESS publiée par ESS France", True),
    "esus": ("liste des entreprises agréées ESUS", True),
    "siae": ("liste des SIAE, EA et ESAT (inclusion)", False),
    "fonds_dotation": ("liste des fonds de dotation (registre des fonds et fondations)", False),
}


@dataclass(frozen=True)
class ListeImportee:
    type: str
    fichier: str
    sha256: str
    lignes_lues: int
    siren_valides: int
    lignes_rejetees: int
    date_import: str


def _verifier_type(type_liste: str) -> None:
    if type_liste not in TYPES_LISTE:
        raise ErreurUtilisateur(
            f"Type de liste inconnu : « {type_liste} »",
            correctif="Choisir parmi : " + ", ".join(TYPES_LISTE) + ".",
        )


def lire_liste(con: duckdb.DuckDBPyConnection, fichier: Path | str, table: str) -> tuple[int, int]:
    """Create ``table(siren)`` (distinct, valid 9-digit SIREN) from a list file.

    Returns (rows read, rows rejected).
    """
    fichier = Path(fichier)
    with ouvrir_source(fichier, dossier_temp=None) as source:
        par_minuscule = {c.lower(): c for c in source.colonnes}
        colonne = par_minuscule.get("siren") or par_minuscule.get("siret")
        if colonne is None:
            raise ErreurUtilisateur(
                "Colonne « siren » (ou « siret ») absente de la liste",
                fichier=str(fichier),
                champ="siren",
                correctif="Ajouter une colonne nommée siren (9 chiffres) ou siret (14 chiffres).",
            )
        expr = source.expression(colonne)
        nettoye = f"regexp_replace(coalesce({expr}, ''), '[^0-9]', '', 'g')"
        try:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {table}_brut AS
                SELECT CASE WHEN length({nettoye}) IN (9, 14) THEN substr({nettoye}, 1, 9) END AS siren
                FROM {source.sql_table()}"""
            )
        except duckdb.Error as exc:
            raise ErreurUtilisateur(
                f"Liste illisible : {str(exc).splitlines()[0]}",
                fichier=str(fichier),
                correctif="Fournir un CSV (séparateur , ou ;) ou un Parquet avec une colonne siren.",
            ) from exc
    lues, rejetees = con.execute(
        f"SELECT count(*), count(*) - count(siren) FROM {table}_brut"
    ).fetchone()  # type: ignore[misc]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT DISTINCT siren FROM {table}_brut "
        "WHERE siren IS NOT NULL"
    )
    con.execute(f"DROP TABLE {table}_brut")
    return int(lues), int(rejetees)


def importer_liste(
    type_liste: str, fichier: Path | str, *, home: Path | str | None = None
) -> ListeImportee:
    """Store a user list under ``$ESSQ_HOME/sirene/listes`` (atomic); return its provenance."""
    _verifier_type(type_liste)
    fichier = Path(fichier)
    dossier = emplacements(home).sirene / "listes"
    con = duckdb.connect()
    lues, rejetees = lire_liste(con, fichier, "liste")
    valides = con.execute("SELECT count(*) FROM liste").fetchone()[0]  # type: ignore[index]
    if valides == 0:
        raise ErreurUtilisateur(
            "Aucun SIREN valide dans la liste",
            fichier=str(fichier),
            champ="siren",
            correctif="Vérifier que la colonne siren contient des numéros à 9 chiffres.",
        )
    info = ListeImportee(
        type=type_liste,
        fichier=str(fichier.resolve()),
        sha256=sha256(fichier),
        lignes_lues=lues,
        siren_valides=int(valides),
        lignes_rejetees=rejetees,
        date_import=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    with ecriture_atomique(dossier / f"{type_liste}.parquet") as tmp:
        con.execute(f"COPY (SELECT siren FROM liste ORDER BY siren) TO '{tmp}' (FORMAT parquet)")
    with ecriture_atomique(dossier / f"{type_liste}.json") as tmp:
        tmp.write_text(json.dumps(asdict(info), ensure_ascii=False, indent=2), encoding="utf-8")
    con.close()
    return info


def listes_importees(home: Path | str | None = None) -> dict[str, Path]:
    """Type -> Parquet file of every list imported under ``home``."""
    dossier = emplacements(home).sirene / "listes"
    return {
        t: dossier / f"{t}.parquet" for t in TYPES_LISTE if (dossier / f"{t}.parquet").is_file()
    }


def provenance_listes(home: Path | str | None = None) -> dict[str, dict]:
    dossier = emplacements(home).sirene / "listes"
    resultat = {}
    for t in listes_importees(home):
        meta = dossier / f"{t}.json"
        resultat[t] = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
    return resultat


def verifier_listes(listes: Mapping[str, Path | str] | None) -> dict[str, Path]:
    resultat: dict[str, Path] = {}
    for type_liste, chemin in (listes or {}).items():
        _verifier_type(type_liste)
        resultat[type_liste] = Path(chemin)
    return resultat
