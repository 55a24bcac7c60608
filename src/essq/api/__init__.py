"""The versioned HTTP API (FastAPI, /api/v1).

Belongs here: endpoints for QPV localisation, territories and indicators, the establishment
directory, the référentiel and diagnostics, French JSON errors, limits and security headers.
An interface: depends on observatoire, diagnostics and the foundations, never the reverse."""
