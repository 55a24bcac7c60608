"""INSEE's SIRENE stock files, read and qualified.

Belongs here: streaming readers of StockUniteLegale and StockEtablissement (CSV, zipped CSV,
Parquet), the ESS perimeter (families from the catégorie juridique, INSEE's ESS flag, user
lists) with its reasons, sectors from NAF rév. 2, job estimates from headcount brackets, the
placement of establishments (via territoires), and privacy rules for non-diffusible rows.
Depends on territoires only."""
