"""Lazy package attributes: a package exposes its public names without importing heavy
modules (numpy, DuckDB, pydantic schemas, WeasyPrint) until one is first used, so that
``essq --help`` and light commands start fast."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def attributs_paresseux(paquet: str, origines: dict[str, str]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` resolving each public name from its module on first use.

    ``origines`` maps a public name to the module that defines it.
    """

    def __getattr__(nom: str) -> Any:
        module = origines.get(nom)
        if module is None:
            raise AttributeError(f"le module {paquet!r} n'a pas d'attribut {nom!r}")
        return getattr(importlib.import_module(module), nom)

    return __getattr__
