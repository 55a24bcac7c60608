"""INSEE's SIRENE stock files, read and qualified.

Belongs here: streaming readers of StockUniteLegale and StockEtablissement (CSV, zipped CSV,
Parquet), the ESS perimeter (families from the catégorie juridique, INSEE's ESS flag, user
lists) with its reasons, sectors from NAF rév. 2, job estimates from headcount brackets, the
placement of establishments (via territoires), and privacy rules for non-diffusible rows.
Depends on territoires only.

Public API:
- ``qualifier(unites_legales, etablissements, sortie, *, home=None, listes=None, ...)
  -> RapportQualification`` (essq.sirene.qualification);
- ``importer_liste(type_liste, fichier, *, home=None) -> ListeImportee`` and ``TYPES_LISTE``
  (essq.sirene.listes);
- mapping tables (data files in ``donnees/``): ``nomenclatures.table_cj()``,
  ``table_naf()``, ``table_tranches()``, ``classer_naf(code)``, ``normaliser_naf(code)``.

Modules: ``lecture`` (opening CSV / zip / gzip / Parquet, encoding, columns by name),
``historique`` (the stock at a past date, from INSEE's historical stocks),
``qualification`` (the DuckDB + Arrow pipeline), ``listes`` (user lists), ``rapport`` (the
report), ``nomenclatures`` (mapping tables), ``cli`` (``essq sirene …``).
"""

from typing import TYPE_CHECKING

from essq.paresseux import attributs_paresseux

__all__ = ["ListeImportee", "RapportQualification", "TYPES_LISTE", "importer_liste", "qualifier"]

if TYPE_CHECKING:
    from essq.sirene.listes import TYPES_LISTE, ListeImportee, importer_liste
    from essq.sirene.qualification import qualifier
    from essq.sirene.rapport import RapportQualification

__getattr__ = attributs_paresseux(
    __name__,
    {
        "ListeImportee": "essq.sirene.listes",
        "RapportQualification": "essq.sirene.rapport",
        "TYPES_LISTE": "essq.sirene.listes",
        "importer_liste": "essq.sirene.listes",
        "qualifier": "essq.sirene.qualification",
    },
)
