"""The ``$ESSQ_HOME/territoires/`` folder: Parquet tables, grid indexes and ``manifeste.json``.

Every import rebuilds the folder aside (the untouched tables are hard-linked, never
modified in place) and swaps it in atomically: a failed import leaves the previous data
exactly as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from essq.config import emplacements
from essq.fichiers import dossier_atomique, sha256

MANIFESTE = "manifeste.json"
DOSSIER_INDEX = "index"

SCHEMAS: dict[str, pa.Schema] = {
    "qpv": pa.schema(
        [
            ("millesime", pa.string()),
            ("code_qp", pa.string()),
            ("lib_qp", pa.string()),
            ("communes", pa.list_(pa.string())),
            ("departement", pa.string()),
            ("epsg_legal", pa.int32()),
            ("geometrie", pa.binary()),
            ("geometrie_legale", pa.binary()),
            ("surface_m2", pa.float64()),
            ("source", pa.string()),
        ]
    ),
    "communes": pa.schema(
        [
            ("code", pa.string()),
            ("nom", pa.string()),
            ("type", pa.string()),
            ("commune_parente", pa.string()),
            ("departement", pa.string()),
            ("region", pa.string()),
            ("epci", pa.string()),
            ("population", pa.int64()),
            ("anciens_codes", pa.list_(pa.string())),
        ]
    ),
    "epci": pa.schema(
        [
            ("code", pa.string()),
            ("nom", pa.string()),
            ("type", pa.string()),
            ("membres", pa.list_(pa.string())),
        ]
    ),
    "departements": pa.schema(
        [("code", pa.string()), ("nom", pa.string()), ("region", pa.string())]
    ),
    "regions": pa.schema([("code", pa.string()), ("nom", pa.string())]),
    "contours_communes": pa.schema(
        [("code", pa.string()), ("nom", pa.string()), ("geometrie", pa.binary())]
    ),
    "zonages": pa.schema(
        [
            ("commune", pa.string()),
            ("zonage", pa.string()),
            ("valeur", pa.string()),
            ("date", pa.date32()),
            ("source", pa.string()),
        ]
    ),
}


def dossier(home: Path | str | None = None) -> Path:
    return emplacements(home).territoires


def lire_manifeste(racine: Path) -> dict[str, Any]:
    chemin = racine / MANIFESTE
    if not chemin.exists():
        return {"version": 1, "tables": {}}
    return json.loads(chemin.read_text(encoding="utf-8"))


def lire_table(racine: Path, nom: str) -> pa.Table | None:
    chemin = racine / f"{nom}.parquet"
    if not chemin.exists():
        return None
    # ParquetFile.read() does not import pandas (pq.read_table does, which costs seconds)
    table = pq.ParquetFile(chemin).read()
    schema = SCHEMAS.get(nom)
    return table.cast(schema) if schema is not None and table.schema != schema else table


class Chantier:
    """A copy of the territoires folder being rebuilt; see :func:`mise_a_jour`."""

    def __init__(self, ancien: Path, nouveau: Path) -> None:
        self.ancien = ancien
        self.racine = nouveau
        self.manifeste = lire_manifeste(ancien)

    def ecrire_table(
        self, nom: str, table: pa.Table, sources: list[dict[str, Any]], **infos: Any
    ) -> None:
        table = table.cast(SCHEMAS[nom]) if nom in SCHEMAS else table
        chemin = self.racine / f"{nom}.parquet"
        if chemin.exists():
            chemin.unlink()  # it may be a hard link to the previous version
        pq.write_table(table, chemin, compression="zstd")
        self.manifeste.setdefault("tables", {})[nom] = {
            "fichier": chemin.name,
            "lignes": table.num_rows,
            "sha256": sha256(chemin),
            "importe_le": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "sources": sources,
            **infos,
        }

    def dossier_index(self) -> Path:
        d = self.racine / DOSSIER_INDEX
        d.mkdir(exist_ok=True)
        return d


@contextlib.contextmanager
def mise_a_jour(home: Path | str | None = None) -> Iterator[Chantier]:
    """Rebuild the territoires folder aside, swap it in only if the block succeeds."""
    racine = dossier(home)
    with dossier_atomique(racine) as tmp:
        if racine.exists():
            for chemin in racine.rglob("*"):
                cible = tmp / chemin.relative_to(racine)
                if chemin.is_dir():
                    cible.mkdir(parents=True, exist_ok=True)
                    continue
                cible.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(chemin, cible)
                except OSError:
                    shutil.copy2(chemin, cible)
        chantier = Chantier(racine, tmp)
        yield chantier
        chantier.manifeste["mis_a_jour_le"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        (tmp / MANIFESTE).unlink(missing_ok=True)
        (tmp / MANIFESTE).write_text(
            json.dumps(chantier.manifeste, indent=2, ensure_ascii=False), encoding="utf-8"
        )
