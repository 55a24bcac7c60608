"""Property tests: codes survive reading as text; département derivation; NAF normalisation."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essq.sirene import qualifier
from essq.sirene.qualification import _departement

CODES_CJ = ["1000", "5499", "5710", "9220", "9300", "8210", "5458", "7210"]
TRANCHES = [
    "",
    "NN",
    "00",
    "01",
    "02",
    "03",
    "11",
    "12",
    "21",
    "22",
    "31",
    "32",
    "41",
    "42",
    "51",
    "52",
    "53",
]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[0-9]{9}", fullmatch=True),
            st.sampled_from(CODES_CJ),
            st.sampled_from(TRANCHES),
            st.sampled_from(["O", "N", ""]),
        ),
        min_size=1,
        max_size=30,
        unique_by=lambda t: t[0],
    )
)
def test_codes_lus_comme_texte_et_familles_stables(aides, lignes) -> None:
    with tempfile.TemporaryDirectory() as d:
        dossier = Path(d)
        unites = [
            aides.ul(
                siren, cj, trancheEffectifsUniteLegale=tr, economieSocialeSolidaireUniteLegale=f
            )
            for siren, cj, tr, f in lignes
        ]
        chemin = aides.ecrire_csv(dossier / "ul.csv", aides.EN_TETE_UL, unites)
        qualifier(chemin, None, dossier / "s.parquet", afficher_progression=False)
        sortie = {
            r[0]: r[1:]
            for r in duckdb.sql(
                f"SELECT siren, categorieJuridiqueUniteLegale, tranche_effectif, ess, famille_ess "
                f"FROM '{dossier / 's.parquet'}'"
            ).fetchall()
        }
    assert set(sortie) == {siren for siren, *_ in lignes}
    for siren, cj, tr, flag in lignes:
        cj_lu, tr_lu, ess, famille = sortie[siren]
        assert cj_lu == cj and tr_lu == (tr or None)
        statutaire = cj in ("9220", "9300", "8210", "5458")
        assert ess is (statutaire or flag == "O")
        assert (famille == "hors_ess") is (not ess)


@given(
    st.one_of(
        st.from_regex(r"(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B)[0-9]{3}", fullmatch=True),
        st.from_regex(r"97[1-6][0-9]{2}", fullmatch=True),
    )
)
def test_departement_du_code_commune(code: str) -> None:
    dep = _departement(pa.array([code, None], pa.string())).to_pylist()
    assert dep[1] is None
    assert dep[0] == (code[:3] if code.startswith("97") else code[:2])


@given(
    lots=st.lists(st.lists(st.integers(0, 50), max_size=30), max_size=8),
    capacite=st.integers(1, 100),
)
def test_doublons_detectes_quelle_que_soit_la_capacite(
    lots: list[list[int]], capacite: int
) -> None:
    """Duplicated identifiers are found whatever the batch sizes and the initial capacity."""
    from essq.sirene.qualification import _Identifiants

    ids = _Identifiants(capacite)
    for lot in lots:
        ids.ajouter(np.array(lot, dtype=np.int64))
    tous = [v for lot in lots for v in lot]
    assert ids.en_double() == (len(set(tous)) != len(tous))
