"""The versioned HTTP API (FastAPI, /api/v1).

Belongs here: endpoints for QPV localisation, territories and indicators, the establishment
directory, the référentiel and diagnostics, French JSON errors, limits and security headers.
An interface: depends on observatoire, diagnostics and the foundations, never the reverse.

Modules: ``application`` (``creer_api(home, cors=…)``), ``routes`` (the endpoints),
``service`` (shared read-only warehouse, territories; demo detection), ``annuaire`` (the
directory: filters, facets, keyset cursor), ``carte`` (QPV contours and establishments of a
territory), ``erreurs_http`` (error bodies, security headers, body size limit),
``diagnostics_acces`` (the diagnostics engines)."""
