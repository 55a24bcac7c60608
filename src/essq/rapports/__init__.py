"""Printable territory portraits (HTML and PDF, WeasyPrint).

Belongs here: the "Portrait ESS" of a territory built from the warehouse and the
référentiel: identity, key figures with comparisons, vector charts, map, directory, levers.
An interface: depends on observatoire, diagnostics and the foundations, never the reverse."""
