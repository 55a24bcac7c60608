"""``generer_stock``: synthetic SIRENE stocks at any scale, streamed in fixed-size chunks."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from essq.console import progression
from essq.erreurs import ErreurUtilisateur
from essq.fichiers import ecriture_atomique
from essq.generateur.ecriture import FORMATS, EcrivainStock
from essq.generateur.modele import Options, generer_lot
from essq.generateur.nomenclatures import charger
from essq.generateur.placement import Placeur, PlaceurCommunes, PlaceurQPV, lire_qpv
from essq.generateur.schemas import (
    FICHIER_ETABLISSEMENTS,
    FICHIER_UNITES_LEGALES,
    SCHEMA_ETABLISSEMENT,
    SCHEMA_UNITE_LEGALE,
)

# Fixed so that the same arguments always give the same bytes (not "today").
DATE_STOCK_DEFAUT = dt.date(2026, 10, 31)
# Legal units per chunk: fixed (never derived from N) so that outputs are reproducible.
UL_PAR_LOT = 100_000
MAX_ETABLISSEMENTS = 100_000_000
FICHIER_VERITE = "placement_qpv.parquet"


def verifier_formats(formats: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    inconnus = [f for f in formats if f not in FORMATS]
    if inconnus or not formats:
        raise ErreurUtilisateur(
            f"Format de sortie inconnu : {', '.join(inconnus) or '(aucun)'}",
            champ="--format",
            correctif="Choisir csv, parquet ou csv,parquet.",
        )
    return tuple(f for f in FORMATS if f in formats)


def bases_siren(indices: np.ndarray, capacite: int, rng: np.random.Generator) -> np.ndarray:
    """Increasing, distinct 8-digit SIREN bases for global unit indices (sorted like INSEE's)."""
    pas = 100_000_000 / max(capacite, 1)
    decalage = rng.integers(0, max(int(pas), 1), len(indices))
    return (np.floor(indices * pas).astype(np.int64) + decalage).astype(np.int64)


def generer_stock(
    sortie: Path,
    n_etablissements: int,
    *,
    graine: int = 1,
    qpv: Path | None = None,
    formats: Sequence[str] | str = ("parquet",),
    date_stock: dt.date = DATE_STOCK_DEFAUT,
    options: Options | None = None,
    placeur: Placeur | None = None,
    afficher_progression: bool = True,
) -> dict[str, Any]:
    """Write ``StockEtablissement_utf8`` and ``StockUniteLegale_utf8`` (CSV and/or Parquet).

    Returns a summary: counts, paths, seed, stock date. With ``qpv``, also writes
    ``placement_qpv.parquet`` (siret, zone, qpv_reference, distance_m, famille, secteur): the
    ground truth of where each establishment was placed.
    """
    formats = verifier_formats(formats)
    if not 1 <= n_etablissements <= MAX_ETABLISSEMENTS:
        raise ErreurUtilisateur(
            f"Nombre d'établissements hors limites : {n_etablissements}",
            champ="--etablissements",
            correctif=f"Choisir un nombre entre 1 et {MAX_ETABLISSEMENTS:_}".replace("_", " ")
            + ".",
        )
    if isinstance(date_stock, str):
        date_stock = lire_date(date_stock)
    sortie = Path(sortie)
    debut = time.perf_counter()
    nomenclatures = charger()
    if placeur is None:
        placeur = PlaceurQPV(lire_qpv(Path(qpv))) if qpv is not None else PlaceurCommunes()
    options = options or Options(date_stock=date_stock)
    if options.date_stock != date_stock:
        options = Options(**{**options.__dict__, "date_stock": date_stock})

    n_et = 0
    n_ul = 0
    indice_lot = 0
    avec_verite = qpv is not None or bool(placeur.qpv_codes)
    with contextlib.ExitStack() as pile:
        ecr_et = EcrivainStock(pile, sortie, FICHIER_ETABLISSEMENTS, SCHEMA_ETABLISSEMENT, formats)
        ecr_ul = EcrivainStock(pile, sortie, FICHIER_UNITES_LEGALES, SCHEMA_UNITE_LEGALE, formats)
        verite_ecr: pq.ParquetWriter | None = None
        if avec_verite:
            tmp = pile.enter_context(ecriture_atomique(sortie / FICHIER_VERITE))
        barre = pile.enter_context(progression()) if afficher_progression else None
        tache = (
            barre.add_task("Génération des établissements", total=n_etablissements)
            if barre
            else None
        )
        while n_et < n_etablissements:
            rng = np.random.default_rng([graine, indice_lot])
            indices = np.arange(n_ul, n_ul + UL_PAR_LOT, dtype=np.int64)
            bases = bases_siren(indices, n_etablissements, rng)
            lot = generer_lot(
                rng,
                UL_PAR_LOT,
                bases,
                nomenclatures,
                placeur,
                options,
                max_etablissements_lot=n_etablissements - n_et,
            )
            ecr_et.ecrire(lot.etablissements)
            ecr_ul.ecrire(lot.unites_legales)
            if avec_verite:
                if verite_ecr is None:
                    verite_ecr = pq.ParquetWriter(tmp, lot.verite.schema, compression="zstd")
                    pile.callback(verite_ecr.close)
                verite_ecr.write_table(lot.verite)
            n_et += lot.etablissements.num_rows
            n_ul += lot.unites_legales.num_rows
            indice_lot += 1
            if barre is not None and tache is not None:
                barre.update(tache, completed=n_et)
    if not avec_verite and (sortie / FICHIER_VERITE).exists():
        (sortie / FICHIER_VERITE).unlink()  # stale ground truth of an earlier run with --qpv
    fichiers = {f"{FICHIER_ETABLISSEMENTS}.{f}": str(ecr_et.chemins[f]) for f in formats}
    fichiers |= {f"{FICHIER_UNITES_LEGALES}.{f}": str(ecr_ul.chemins[f]) for f in formats}
    if avec_verite:
        fichiers[FICHIER_VERITE] = str(sortie / FICHIER_VERITE)
    return {
        "etablissements": n_et,
        "unites_legales": n_ul,
        "graine": graine,
        "date_stock": date_stock.isoformat(),
        "qpv": str(qpv) if qpv is not None else None,
        "formats": list(formats),
        "fichiers": fichiers,
        "secondes": round(time.perf_counter() - debut, 2),
    }


def lire_date(texte: str) -> dt.date:
    try:
        return dt.date.fromisoformat(texte)
    except ValueError as exc:
        raise ErreurUtilisateur(
            f"Date de stock invalide : « {texte} »",
            champ="--date-stock",
            correctif="Écrire la date au format AAAA-MM-JJ, par exemple 2026-10-31.",
        ) from exc


__all__ = ["DATE_STOCK_DEFAUT", "generer_stock", "pa"]
