"""The ESS key figures for every QPV and territory, over time.

Belongs here: the warehouse build (DuckDB, atomic, with provenance), the indicators by
territory and perimeter (ensemble, en_qpv, hors_qpv), evolutions between stock dates and
the analysts' exports. Depends on territoires and sirene."""
