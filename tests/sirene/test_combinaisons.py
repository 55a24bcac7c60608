"""The ESS verdict joined from the combinations table equals the rules applied row by row.

Qualification evaluates the ESS rules once per combination of what they depend on (legal unit
found, CJ, INSEE flag, NAF exclusion, lists) and joins the result to every row. This checks,
on random rows (known and unknown CJ, odd flags, excluded NAF codes, lists), that the join
gives exactly what the rules give when evaluated directly on each row.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essq.sirene import nomenclatures as nom
from essq.sirene import qualification as q

CJ_CONNUES = sorted(nom.table_cj().famille)[:: max(1, len(nom.table_cj().famille) // 40)]
EXCLUES = [p for p, _ in nom.table_cj().exclusions_naf] or ["84.11Z"]

ligne = st.fixed_dictionaries(
    {
        "trouvee": st.booleans(),
        "cj": st.one_of(st.none(), st.sampled_from(CJ_CONNUES), st.sampled_from(["1234", "9999"])),
        "flag": st.sampled_from([None, "O", "N", "X"]),
        "naf": st.one_of(st.none(), st.sampled_from(["94.99Z", "88.10A", "64.19Z", *EXCLUES])),
        "esus": st.booleans(),
        "fdd": st.booleans(),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lignes=st.lists(ligne, min_size=1, max_size=40), exclure_fdd=st.booleans())
def test_verdict_par_combinaison_egal_verdict_ligne_a_ligne(
    lignes: list[dict], exclure_fdd: bool
) -> None:
    con = q._preparer_connexion("1GB", Path(tempfile.gettempdir()))
    try:
        listes = {"esus": "liste_esus", "fonds_dotation": "liste_fonds_dotation"}
        con.execute(
            "CREATE TEMP TABLE lignes (i INTEGER, trouvee BOOLEAN, cj VARCHAR, flag_insee VARCHAR, "
            "naf VARCHAR, l_esus BOOLEAN, l_fonds_dotation BOOLEAN)"
        )
        con.executemany(
            "INSERT INTO lignes VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    i,
                    r["trouvee"],
                    r["cj"] if r["trouvee"] else None,
                    r["flag"] if r["trouvee"] else None,
                    r["naf"],
                    r["esus"],
                    r["fdd"],
                ]
                for i, r in enumerate(lignes)
            ],
        )
        con.execute("CREATE TEMP VIEW ul_src AS SELECT cj FROM lignes")
        q._creer_combinaisons(con, listes, True, exclure_fdd)
        exclusion = q._exclusion_naf("naf", True)
        jointe = con.execute(
            f"""WITH q AS (SELECT *, {exclusion} AS exclusion_naf FROM lignes)
            SELECT i, k.famille_ess, k.ess, k.sources_ess, k.raison_ess, k.conflit_cj_insee
            FROM q {q._jointure_combinaisons(listes, "q.trouvee")} ORDER BY i"""
        ).fetchall()
        r = q._expr_qualification(
            cj="cj",
            flag="flag_insee",
            listes=listes,
            exclure_fonds_dotation=exclure_fdd,
            ul_trouvee="trouvee",
        )
        directe = con.execute(
            f"""WITH q AS (
                SELECT l.*, f.famille AS famille_cj, {exclusion} AS exclusion_naf
                FROM lignes l LEFT JOIN cj_famille f ON f.code = l.cj)
            SELECT i, {r["famille"]}, {r["ess"]}, {r["sources"]}, {r["raison"]}, {r["conflit"]}
            FROM q ORDER BY i"""
        ).fetchall()
    finally:
        con.close()
    assert jointe == directe
    assert all(row[1] is not None for row in jointe)  # every row found its combination


def test_verdict_explique_un_cj_inconnu() -> None:
    """An unknown CJ still gets its own reason, naming the code."""
    con = q._preparer_connexion("1GB", Path(tempfile.gettempdir()))
    try:
        con.execute("CREATE TEMP VIEW ul_src AS SELECT '1234' AS cj")
        q._creer_combinaisons(con, {}, True, False)
        raison = con.execute(
            "SELECT raison_ess FROM qualif_combo WHERE k_cj = '1234' AND k_flag IS NULL "
            "AND k_excl IS NULL AND k_trouvee"
        ).fetchone()
    finally:
        con.close()
    assert raison == ("hors ESS : catégorie juridique 1234 hors familles statutaires",)
