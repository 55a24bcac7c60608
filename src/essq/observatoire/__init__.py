"""The ESS key figures for every QPV and territory, over time.

Belongs here: the warehouse build (DuckDB, atomic, with provenance), the indicators by
territory and perimeter (ensemble, en_qpv, hors_qpv), evolutions between stock dates and
the analysts' exports. Depends on territoires and sirene.

Modules:

- ``construction``: ``construire(etablissements, unites_legales, *, date_stock, home)`` runs the
  sirene qualification then ``construire_depuis_qualifie(qualifie, *, date_stock, home)``, which
  aggregates in DuckDB into ``$ESSQ_HOME/entrepot/essq.duckdb``. The build works on a temporary
  copy of the warehouse and swaps it in with ``os.replace`` only on success (one build at a
  time, file lock); several stock dates live in one warehouse.
- ``entrepot``: ``Entrepot.ouvrir(home=None, lecture_seule=True)`` serves ``indicateurs``,
  ``evolution``, ``etablissements``, ``territoires``, ``dates_stock``, ``provenance`` and the
  whole table of a level (``table_niveau``) from precomputed tables.
- ``lecture``: the indicator look-ups shared by both stores (``LectureIndicateurs``) and the
  helpers every interface uses (territory parsing, sources, attribution); no DuckDB import.
- ``consultation``: the SQLite consultation index each build writes next to the warehouse
  (``entrepot/consultation.sqlite``), sealed to the warehouse file it copies;
  ``Consultation.ouvrir(home)`` returns None when it does not match the warehouse in place.
- ``exports``: CSV, Parquet, XLSX and GeoJSON exports, each with the Licence Ouverte
  attribution of its sources.
- ``schema``: required qualified columns and the French definition of every indicator.

Warehouse tables: ``indicateurs`` (date_stock, millesime, niveau, code, perimetre, one column
per additive measure), ``repartitions`` (same keys + dimension, modalite), ``etablissements_ess``
(ESS establishments of each stock, masked fields removed), ``territoires``, ``contours_qpv``,
``provenance``, ``meta``.
"""

from typing import TYPE_CHECKING

from essq.paresseux import attributs_paresseux

__all__ = ["Entrepot", "RapportConstruction", "construire", "construire_depuis_qualifie"]

if TYPE_CHECKING:
    from essq.observatoire.construction import (
        RapportConstruction,
        construire,
        construire_depuis_qualifie,
    )
    from essq.observatoire.entrepot import Entrepot

__getattr__ = attributs_paresseux(
    __name__,
    {
        "Entrepot": "essq.observatoire.entrepot",
        "RapportConstruction": "essq.observatoire.construction",
        "construire": "essq.observatoire.construction",
        "construire_depuis_qualifie": "essq.observatoire.construction",
    },
)
