"""The fictional demo territory and synthetic SIRENE stocks for tests and benchmarks.

Belongs here: a deterministic, seeded generator of a fictional agglomération (communes with
codes that cannot collide with INSEE's, QPV polygons in ANCT's schema) and of establishments
and legal units in the exact SIRENE stock schemas, from a thousand to 42 million rows.
No reader of the product depends on it: it writes files the readers treat like INSEE's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ManifesteDemo", "generer_demo", "generer_stock"]

if TYPE_CHECKING:
    from essq.generateur.demo import ManifesteDemo, generer_demo
    from essq.generateur.stock import generer_stock


def __getattr__(nom: str) -> Any:
    # Lazy imports keep ``essq --help`` fast (shapely, pyproj and pyarrow load on first use).
    if nom in ("generer_demo", "ManifesteDemo"):
        from essq.generateur import demo

        return getattr(demo, nom)
    if nom == "generer_stock":
        from essq.generateur.stock import generer_stock

        return generer_stock
    raise AttributeError(nom)
