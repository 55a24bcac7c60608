"""Property tests: no input crashes an engine.

Valid inputs are generated from each diagnostic's own JSON schema (so a new field is covered
without touching this file); arbitrary JSON gets either a complete answer or an
ErreurUtilisateur naming the problem — never another exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essq.diagnostics import ORDRE, executer, schema
from essq.erreurs import ErreurUtilisateur
from essq.referentiel import charger

BESOINS = sorted(e.id for e in charger().collection("besoins"))
REGLAGES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def depuis_schema(
    noeud: dict[str, Any], racine: dict[str, Any], nom: str = ""
) -> st.SearchStrategy[Any]:
    if "$ref" in noeud:
        return depuis_schema(racine["$defs"][noeud["$ref"].split("/")[-1]], racine, nom)
    if "anyOf" in noeud:
        return st.one_of([depuis_schema(n, racine, nom) for n in noeud["anyOf"]])
    if nom == "priorites":
        return st.lists(st.sampled_from(BESOINS), max_size=4)
    if "enum" in noeud:
        return st.sampled_from(noeud["enum"])
    type_ = noeud.get("type")
    if type_ == "null":
        return st.none()
    if type_ == "boolean":
        return st.booleans()
    if type_ == "integer":
        return st.integers(noeud.get("minimum", -10), min(noeud.get("maximum", 10_000), 10_000))
    if type_ == "number":
        bas = noeud.get("minimum", noeud.get("exclusiveMinimum", -1e6))
        haut = min(noeud.get("maximum", 1e9), 1e9)
        entiers = st.integers(max(int(bas), -1000), min(int(haut), 1000))
        return st.one_of(st.floats(bas, haut, allow_nan=False, allow_infinity=False), entiers)
    if type_ == "string":
        if "pattern" in noeud:
            return st.from_regex(noeud["pattern"], fullmatch=True)
        if noeud.get("format") == "date":
            return st.dates().map(str)
        return st.text(
            min_size=noeud.get("minLength", 0), max_size=min(noeud.get("maxLength", 30), 30)
        )
    if type_ == "array":
        return st.lists(
            depuis_schema(noeud["items"], racine, nom), max_size=min(noeud.get("maxItems", 4), 4)
        )
    if type_ == "object" or "properties" in noeud:
        proprietes = noeud.get("properties", {})
        requis = set(noeud.get("required", []))
        return st.fixed_dictionaries(
            {k: depuis_schema(v, racine, k) for k, v in proprietes.items() if k in requis},
            optional={
                k: depuis_schema(v, racine, k) for k, v in proprietes.items() if k not in requis
            },
        )
    return st.none()


@pytest.mark.parametrize("nom", ORDRE)
def test_toute_entree_valide_donne_une_reponse_complete(
    nom: str, verifier_forme: Callable[[dict[str, Any], str], None]
) -> None:
    racine = schema(nom)

    @REGLAGES
    @given(depuis_schema(racine, racine))
    def propriete(entree: dict[str, Any]) -> None:
        verifier_forme(executer(nom, entree), nom)

    propriete()


VALEURS_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda enfants: (
        st.lists(enfants, max_size=3) | st.dictionaries(st.text(max_size=8), enfants, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("nom", ORDRE)
def test_aucune_entree_arbitraire_ne_fait_planter(
    nom: str, verifier_forme: Callable[[dict[str, Any], str], None]
) -> None:
    champs = list(schema(nom)["properties"])

    @REGLAGES
    @given(st.dictionaries(st.sampled_from(champs) | st.text(max_size=6), VALEURS_JSON, max_size=5))
    def propriete(entree: dict[str, Any]) -> None:
        try:
            r = executer(nom, entree)
        except ErreurUtilisateur as exc:
            assert exc.message and exc.correctif
            return
        verifier_forme(r, nom)

    propriete()
