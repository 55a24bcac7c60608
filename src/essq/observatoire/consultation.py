"""The consultation index: the warehouse's indicator tables in SQLite, for short commands.

``essq indicateurs`` is run in loops by scripts, one territory after another; importing DuckDB
alone costs it 50 to 80 ms. Each build therefore also writes, next to the warehouse,
``$ESSQ_HOME/entrepot/consultation.sqlite`` (``Emplacements.consultation``): a copy of the tables the indicators are read from
(``indicateurs``, ``repartitions``, ``territoires``, one provenance record per stock date),
indexed by territory. SQLite is in Python's standard library and opens in a few milliseconds.

The index is a cache of the warehouse, never a source. It records the identity of the warehouse
file it was copied from (size and modification time in ns) and is only used while that file is
still the warehouse. A build removes the old index, swaps the warehouse in, then
its own index: a build interrupted in between, an index missing, damaged, sealed to another
warehouse file or written in another layout, all lead readers back to the warehouse itself
(``Consultation.ouvrir`` returns None). Writing the index is best effort: if it fails, the
build still succeeds, with a warning. Both stores answer through the same queries
(:mod:`essq.observatoire.lecture`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from essq.config import emplacements
from essq.observatoire.lecture import LectureIndicateurs
from essq.observatoire.schema import MESURES, MESURES_REPARTITION, VERSION_SCHEMA_ENTREPOT

CLES = "date_stock TEXT NOT NULL, millesime TEXT NOT NULL, niveau TEXT NOT NULL, code TEXT NOT NULL, perimetre TEXT NOT NULL"


def _colonnes(mesures: Iterable[str]) -> str:
    return ", ".join(
        f"{m} {'REAL' if m.startswith('effectif') else 'INTEGER'} NOT NULL" for m in mesures
    )


SCHEMA = f"""
CREATE TABLE meta (cle TEXT PRIMARY KEY, valeur TEXT NOT NULL);
CREATE TABLE provenance (date_stock TEXT PRIMARY KEY, fiche TEXT NOT NULL);
CREATE TABLE territoires (
    niveau TEXT, code TEXT, libelle TEXT, millesime TEXT, epci TEXT, departement TEXT, region TEXT);
CREATE TABLE indicateurs ({CLES}, {_colonnes(MESURES)});
CREATE TABLE repartitions ({CLES}, dimension TEXT NOT NULL, modalite TEXT NOT NULL, {_colonnes(MESURES_REPARTITION)});
"""
INDEX = """
CREATE INDEX territoires_cle ON territoires (niveau, code);
CREATE INDEX indicateurs_cle ON indicateurs (niveau, code, date_stock, millesime);
CREATE INDEX repartitions_cle ON repartitions (niveau, code, date_stock, millesime);
"""
# The warehouse's columns, in the order of the tables above (dates as 'YYYY-MM-DD' text).
COPIES = {
    "territoires": "SELECT niveau, code, libelle, millesime, epci, departement, region FROM territoires",
    "indicateurs": "SELECT CAST(date_stock AS VARCHAR) AS date_stock, millesime, niveau, code, perimetre, "
    f"{', '.join(MESURES)} FROM indicateurs",
    "repartitions": "SELECT CAST(date_stock AS VARCHAR) AS date_stock, millesime, niveau, code, perimetre, "
    f"dimension, modalite, {', '.join(MESURES_REPARTITION)} FROM repartitions",
}

# The layout of the index, written in its meta table: any change of tables, indexes or copied
# columns makes older indexes unusable without anyone having to bump a number.
FORMAT_CONSULTATION = hashlib.sha256((SCHEMA + INDEX + repr(COPIES)).encode()).hexdigest()[:16]


def signature(fichier: Path) -> str:
    """The identity of a warehouse file: its size and modification time (ns).

    ``os.replace`` keeps both, so an index sealed against the temporary file of a build
    matches the warehouse that build swaps in, and no later one. Neither device nor inode is
    part of it: ``ESSQ_HOME`` copied with its dates (``cp -a``, ``rsync -a``) keeps its index."""
    st = fichier.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def ecrire_consultation(
    source: Any,
    provenances: Iterable[tuple[str, dict[str, Any]]],
    sortie: Path,
) -> None:
    """Copy the serving tables of an open warehouse connection (``source``, DuckDB) into a new
    SQLite file ``sortie``. ``sortie`` is not yet usable: ``sceller`` records which warehouse
    file it belongs to.

    The rows go from DuckDB to SQLite as streams of Arrow batches, through the ADBC SQLite
    driver's bulk ingestion: no Python object per value (about 0.45 s for the whole index of
    one stock date, 270,000 rows, against 1 s through ``executemany``). The ADBC driver
    bundles its own SQLite library: it and Python's ``sqlite3`` never hold the file open at
    the same time."""
    import adbc_driver_sqlite.dbapi as adbc  # only builds write the index

    sortie.unlink(missing_ok=True)
    con = sqlite3.connect(sortie)
    try:
        con.executescript(SCHEMA)
    finally:
        con.close()
    with adbc.connect(str(sortie)) as ingestion, ingestion.cursor() as cur:
        for table, requete in COPIES.items():
            cur.adbc_ingest(table, source.execute(requete).fetch_record_batch(), mode="append")
        ingestion.commit()
    con = sqlite3.connect(sortie)
    try:
        con.executemany(
            "INSERT INTO provenance VALUES (?, ?)",
            [(date, json.dumps(fiche, ensure_ascii=False)) for date, fiche in provenances],
        )
        con.executescript(INDEX)
        con.execute("ANALYZE")
        con.commit()
    finally:
        con.close()


def sceller(sortie: Path, entrepot: Path) -> None:
    """Record, in the index ``sortie``, the version of essq's formats and the identity of the
    (closed, complete) warehouse file it was copied from, then flush it to disk."""
    con = sqlite3.connect(sortie)
    try:
        con.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [
                ("version_schema", str(VERSION_SCHEMA_ENTREPOT)),
                ("format_consultation", FORMAT_CONSULTATION),
                ("signature_entrepot", signature(entrepot)),
            ],
        )
        con.commit()
    finally:
        con.close()
    with open(sortie, "rb") as f:
        os.fsync(f.fileno())


class Consultation(LectureIndicateurs):
    """The indicators of ``$ESSQ_HOME``'s warehouse, read from its consultation index."""

    con: sqlite3.Connection

    @classmethod
    def ouvrir(cls, home: Path | str | None = None) -> Consultation | None:
        """The index of the current warehouse; None when there is none to trust (no index, an
        index of another warehouse file or in another layout, a damaged file): read the
        warehouse."""
        lieux = emplacements(home)
        chemin = lieux.consultation
        try:
            actuelle = signature(lieux.entrepot)
            if not chemin.is_file():
                return None
            # immutable: the file is only ever replaced, never changed in place
            con = sqlite3.connect(chemin.as_uri() + "?mode=ro&immutable=1", uri=True)
        except (OSError, sqlite3.Error):
            return None
        try:
            meta = dict(con.execute("SELECT cle, valeur FROM meta").fetchall())
        except sqlite3.Error:
            meta = {}
        if meta != {
            "version_schema": str(VERSION_SCHEMA_ENTREPOT),
            "format_consultation": FORMAT_CONSULTATION,
            "signature_entrepot": actuelle,
        }:
            con.close()
            return None
        return cls(con, chemin)

    def _executer(self, requete: str, parametres: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.con.execute(requete, tuple(parametres))

    def _lire_provenance(self, date: str) -> dict[str, Any]:
        ligne = self.con.execute(
            "SELECT fiche FROM provenance WHERE date_stock = ?", (date,)
        ).fetchone()
        return json.loads(ligne[0]) if ligne else {}
