"""The seeds' knowledge as validated, linked, searchable data.

Belongs here: the pydantic schema of each collection, the YAML entries written by experts
(donnees/), validation (unique ids, resolvable links, sources), full-text search with French
stemming, and exports (Frictionless Data Package, JSON). Depends on nothing else in essq."""
