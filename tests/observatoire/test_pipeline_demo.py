"""End to end on the fictional demo territory: generated official files → territories import →
``essq construire`` (sirene qualification + warehouse) for two stocks → indicators checked
against the generator's ground truth, read independently from the raw files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from essq.cli import app
from essq.erreurs import ErreurUtilisateur
from essq.observatoire import Entrepot

runner = CliRunner()
DATES = ("2026-09-30", "2026-10-31")


def construire_cli(stock: Path, home: Path, *options: str) -> list[str]:
    """``essq construire`` on a demo stock folder (Parquet files), with extra options."""
    return [
        "construire",
        "--etablissements",
        str(stock / "StockEtablissement_utf8.parquet"),
        "--unites-legales",
        str(stock / "StockUniteLegale_utf8.parquet"),
        "--home",
        str(home),
        *options,
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    generateur = pytest.importorskip("essq.generateur.demo")
    cog = pytest.importorskip("essq.territoires.cog")
    qpv = pytest.importorskip("essq.territoires.qpv")
    racine = tmp_path_factory.mktemp("demo")
    donnees, home = racine / "demo", racine / "home"
    generateur.generer_demo(donnees)
    cog.importer_cog(donnees / "cog", home=home)
    qpv.importer_qpv([donnees / "qpv" / "qpv2024_demo_wgs84.geojson"], "2024", home=home)
    qpv.importer_qpv([donnees / "qpv" / "qpv2015_demo_wgs84.geojson"], "2015", home=home)
    for date in DATES:
        stock = donnees / "sirene" / date
        r = runner.invoke(app, construire_cli(stock, home, "--date-stock", date))
        assert r.exit_code == 0, (r.output, r.exception)
    return donnees, home


def test_chiffres_qpv_egaux_a_la_verite_du_generateur(demo: tuple[Path, Path]) -> None:
    donnees, home = demo
    date = DATES[-1]
    stock = donnees / "sirene" / date / "StockEtablissement_utf8.parquet"
    verite = donnees / "verite" / f"placement_{date}.csv"
    con = duckdb.connect()
    attendu = dict(
        con.execute(
            f"""SELECT v.qpv_2024, count(*) FROM read_parquet('{stock}') s
                JOIN read_csv('{verite}', all_varchar = true) v ON v.siret = s.siret
                WHERE s.etatAdministratifEtablissement = 'A' AND v.qpv_2024 IS NOT NULL
                GROUP BY 1"""
        ).fetchall()
    )
    actifs = con.execute(
        f"SELECT count(*) FROM read_parquet('{stock}') WHERE etatAdministratifEtablissement = 'A'"
    ).fetchone()
    con.close()
    assert attendu, "the demo places establishments in its QPV"
    with Entrepot.ouvrir(home) as e:
        for code, n in attendu.items():
            assert (
                e.indicateurs(f"qpv:{code}", date_stock=date)["ensemble"]["etablissements_actifs"]
                == n
            ), code
        fr = e.indicateurs("france", date_stock=date)
        assert actifs is not None and fr["ensemble"]["etablissements_actifs"] == actifs[0]
        assert fr["en_qpv"]["etablissements_actifs"] == sum(attendu.values())
        assert fr["ensemble"]["etablissements_ess"] > 0
        prov = e.provenance(date)
        assert [Path(f["chemin"]).name for f in prov["fichiers"]] == [
            "StockEtablissement_utf8.parquet",
            "StockUniteLegale_utf8.parquet",
        ]
        assert prov["duree_secondes"] > 0 and prov["millesimes_qpv"] == ["2015", "2024"]


def test_deux_stocks_et_evolution(demo: tuple[Path, Path]) -> None:
    _, home = demo
    r = runner.invoke(app, ["evolution", "france", "--home", str(home)])
    assert r.exit_code == 0, r.output
    evo = json.loads(r.stdout)
    assert (evo["date_debut"], evo["date_fin"]) == DATES
    ens = evo["perimetres"]["ensemble"]["etablissements_ess"]
    m = evo["mouvements_etablissements_ess"]
    # every change of the active ESS count is explained by a movement
    assert ens["variation"] == m["crees"] + m["apparus"] - m["fermes"] - m["sortis_du_champ"]


def test_stock_brut_d_un_autre_schema_refuse(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """Raw files with another schema (old SIRENE v2 headers) are refused with a French error;
    the warehouse already built is unchanged."""
    from essq.observatoire import construire

    _, home = demo
    entrepot = home / "entrepot" / "essq.duckdb"
    avant = entrepot.read_bytes()
    etab = tmp_path / "StockEtablissement.csv"
    ul = tmp_path / "StockUniteLegale.csv"
    etab.write_text(
        "SIRET;NIC;L1_NORMALISEE;APEN700\n12345678900011;00011;ASSO;9499Z\n", encoding="utf-8"
    )
    ul.write_text("SIREN;NJ;APEN700\n123456789;9220;9499Z\n", encoding="utf-8")
    with pytest.raises(ErreurUtilisateur) as exc:
        construire(etab, ul, date_stock="2026-11-30", home=home, afficher=False)
    assert exc.value.correctif
    assert entrepot.read_bytes() == avant


def test_stock_reconstitue_par_l_historique_egal_au_stock_d_alors(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    """The September stock rebuilt from the October stock and INSEE's historical stocks gives
    the September figures: every count is equal; jobs differ only where INSEE does not
    historise (the headcount bracket of the 25 transferred establishments, emptied when they
    closed), by exactly their September estimate."""
    import shutil

    from essq.observatoire import construire
    from essq.sirene.nomenclatures import table_tranches

    donnees, home = demo
    avant, apres = DATES
    copie = tmp_path / "home"
    shutil.copytree(home, copie)
    stock = donnees / "sirene" / apres
    r = runner.invoke(
        app,
        construire_cli(
            stock,
            copie,
            "--historique-etablissements",
            str(stock / "StockEtablissementHistorique_utf8.csv"),
            "--historique-unites-legales",
            str(stock / "StockUniteLegaleHistorique_utf8.parquet"),
            "--date-stock",
            avant,
        ),
    )
    assert r.exit_code == 0, (r.output, r.exception)
    con = duckdb.connect()
    con.execute(f"ATTACH '{home / 'entrepot' / 'essq.duckdb'}' AS direct (READ_ONLY)")
    con.execute(f"ATTACH '{copie / 'entrepot' / 'essq.duckdb'}' AS rec (READ_ONLY)")
    cles = ["date_stock", "millesime", "niveau", "code", "perimetre"]

    def colonnes(table: str) -> list[str]:
        return [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                f"WHERE table_catalog = 'direct' AND table_name = '{table}'"
            ).fetchall()
        ]

    emplois_totaux = [
        c for c in colonnes("indicateurs") if c.startswith(("effectif_total", "effectif_prive"))
    ]
    for table in ("indicateurs", "repartitions"):
        cle = cles + (["dimension", "modalite"] if table == "repartitions" else [])
        mesures = [c for c in colonnes(table) if c not in cle and c not in emplois_totaux]
        assert "etablissements_ess" in mesures and "effectif_ess_central" in mesures
        sauf_taille = "AND dimension <> 'taille'" if table == "repartitions" else ""
        for c in mesures:
            ecarts = con.execute(
                f"""SELECT count(*) FROM
                    (SELECT * FROM direct.{table} WHERE date_stock = '{avant}' {sauf_taille}) d
                    FULL JOIN (SELECT * FROM rec.{table} WHERE date_stock = '{avant}' {sauf_taille}) r
                    USING ({", ".join(cle)}) WHERE d.{c} IS DISTINCT FROM r.{c}"""
            ).fetchone()
            assert ecarts == (0,), (table, c)
    # the France job difference is the September estimate of the transferred establishments
    centrales = {t.code: t.central for t in table_tranches().values()}
    mouvements = donnees / "sirene" / f"mouvements_{avant}_{apres}.csv"
    tranches = con.execute(
        f"""SELECT s.trancheEffectifsEtablissement
            FROM read_parquet('{donnees / "sirene" / avant / "StockEtablissement_utf8.parquet"}') s
            JOIN read_csv('{mouvements}', all_varchar = true) m ON m.siret_avant = s.siret
            WHERE m.mouvement = 'transfert' AND s.etatAdministratifEtablissement = 'A'"""
    ).fetchall()
    assert len(tranches) == 25
    attendu = sum(centrales.get(t or "", 0.0) or 0.0 for (t,) in tranches)
    ecart = con.execute(
        f"""SELECT d.effectif_total - r.effectif_total FROM direct.indicateurs d
            JOIN rec.indicateurs r USING ({", ".join(cles)})
            WHERE d.date_stock = '{avant}' AND d.niveau = 'france' AND d.perimetre = 'ensemble'
              AND d.millesime = '2024'"""
    ).fetchone()
    assert ecart is not None and ecart[0] == pytest.approx(attendu)
    con.close()
    with Entrepot.ouvrir(copie) as e:
        sirene = e.indicateurs("france", date_stock=avant)["sources"][0]
        assert "reconstitué" in sirene["attribution"] and sirene["methode"]
        assert sirene["reconstitue"] is True
        assert e.indicateurs("france", date_stock=apres)["sources"][0]["reconstitue"] is False
        # the evolution cites the SIRENE stock of both dates, the rebuilt one as such
        evo = e.evolution("france", date_debut=avant, date_fin=apres)
        sirene_evo = [
            x for x in evo["sources"] if x["producteur"] == "INSEE" and "SIRENE" in x["jeu"]
        ]
        assert [x["date"] for x in sirene_evo] == [avant, apres]
        assert "reconstitué" in sirene_evo[0]["attribution"]
        assert "reconstitué" not in sirene_evo[1]["attribution"]
        roles = [f.get("role") for f in e.provenance(avant)["fichiers"]]
        # files carry the same attribution as the answers
        from essq.observatoire.lecture import attribution_texte

        assert "reconstitué" in attribution_texte(avant, "2024", e.provenance(avant))
        assert "reconstitué" not in attribution_texte(apres, "2024", e.provenance(apres))
        csv_texte = runner.invoke(
            app,
            [
                "indicateurs",
                "france",
                "--date-stock",
                avant,
                "--format",
                "csv",
                "--home",
                str(copie),
            ],
        ).stdout
        assert "reconstitué à partir des stocks historiques" in csv_texte
        assert roles == [
            "etablissements",
            "unites_legales",
            "historique_etablissements",
            "historique_unites_legales",
        ]

    # the web methodology page lists the rebuilt date as such
    from fastapi.testclient import TestClient

    from essq.web.application import creer_application

    with TestClient(creer_application(copie)) as client:
        assert client.get("/api/v1/sante").json()["dates_reconstituees"] == [avant]
        page = client.get("/methodologie").text
        assert f"{avant} : état reconstitué à partir des stocks historiques" in page
        assert f"{apres} : stock SIRENE de cette date" in page
        assert "reconstitué" not in client.get("/territoire/commune/00001").text
    # a warehouse whose latest (and only) date is rebuilt: pages say so next to the date
    seule = tmp_path / "seule"
    shutil.copytree(home, seule)
    shutil.rmtree(seule / "entrepot")
    construire(
        stock / "StockEtablissement_utf8.parquet",
        stock / "StockUniteLegale_utf8.parquet",
        date_stock=avant,
        home=seule,
        afficher=False,
        historique_unites_legales=stock / "StockUniteLegaleHistorique_utf8.parquet",
        historique_etablissements=stock / "StockEtablissementHistorique_utf8.parquet",
    )
    with TestClient(creer_application(seule)) as client:
        for chemin in ("/territoire/commune/00001", "/annuaire?territoire=commune:00001"):
            texte = client.get(chemin).text
            assert "reconstitué à partir des stocks historiques" in texte, chemin
            assert f"stock au {avant}" not in texte and "Stock SIRENE au" not in texte, chemin
    portrait = tmp_path / "portrait.html"
    r = runner.invoke(
        app,
        [
            "portrait",
            "commune:00001",
            "--date-stock",
            avant,
            "--format",
            "html",
            "--sortie",
            str(portrait),
            "--home",
            str(copie),
        ],
    )
    assert r.exit_code == 0, (r.output, r.exception)
    texte = portrait.read_text(encoding="utf-8")
    assert f"état SIRENE au {avant} reconstitué" in texte
    assert f"stock au {avant}" not in texte and f"stock SIRENE au {avant}" not in texte


@pytest.mark.parametrize("jours", [None, 3], ids=["sans-date", "date-future"])
def test_historique_sans_date_passee_refuse(demo: tuple[Path, Path], jours: int | None) -> None:
    """The historical stocks rebuild a past date: without one, or with a future one, the
    build stops with a French error naming --date-stock."""
    import datetime as dt

    from essq.observatoire import construire

    donnees, home = demo
    stock = donnees / "sirene" / DATES[-1]
    date = None if jours is None else (dt.date.today() + dt.timedelta(days=jours)).isoformat()
    with pytest.raises(ErreurUtilisateur) as exc:
        construire(
            stock / "StockEtablissement_utf8.parquet",
            stock / "StockUniteLegale_utf8.parquet",
            date_stock=date,
            home=home,
            afficher=False,
            historique_unites_legales=stock / "StockUniteLegaleHistorique_utf8.parquet",
        )
    assert exc.value.champ == "--date-stock"


def test_commande_indicateurs_sans_imports_inutiles(demo: tuple[Path, Path]) -> None:
    """``essq indicateurs`` loads its own command only, and binds no DuckDB parameter (which
    imports pandas): the answer is the same as through the whole application."""
    import subprocess
    import sys

    _, home = demo
    programme = (
        "import sys\n"
        "from essq import cli\n"
        f"sys.argv = ['essq', 'indicateurs', 'commune:00001', '--home', {str(home)!r}]\n"
        "try:\n    cli.main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "charges = [m for m in ('pandas', 'pyarrow', 'essq.diagnostics', 'essq.referentiel',"
        " 'essq.web', 'essq.territoires.moteur') if m in sys.modules]\n"
        "print('CHARGES', charges, file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", programme], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "CHARGES []" in r.stderr
    complet = runner.invoke(app, ["indicateurs", "commune:00001", "--home", str(home)])
    assert complet.exit_code == 0, complet.output
    assert json.loads(r.stdout) == json.loads(complet.stdout)


def test_serie_de_dates_reconstituees(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """Several --date-stock with the historical stocks build a series in one command, each
    date atomic; several dates for one plain stock are refused."""
    import shutil

    donnees, home = demo
    copie = tmp_path / "home"
    shutil.copytree(home, copie)
    stock = donnees / "sirene" / DATES[-1]
    base = construire_cli(stock, copie)
    r = runner.invoke(
        app,
        [
            *base,
            "--historique-unites-legales",
            str(stock / "StockUniteLegaleHistorique_utf8.parquet"),
            "--historique-etablissements",
            str(stock / "StockEtablissementHistorique_utf8.parquet"),
            "--date-stock",
            "2026-08-31",
            "--date-stock",
            "2026-09-15",
        ],
    )
    assert r.exit_code == 0, (r.output, r.exception)
    assert r.output.count("Entrepôt construit :") == 2
    with Entrepot.ouvrir(copie) as e:
        assert e.dates_stock() == ["2026-08-31", "2026-09-15", *DATES]
        for d in ("2026-08-31", "2026-09-15"):
            assert (
                "reconstitué" in e.indicateurs("france", date_stock=d)["sources"][0]["attribution"]
            )
        actifs = [
            e.indicateurs("france", date_stock=d)["ensemble"]["etablissements_actifs"]
            for d in ("2026-08-31", "2026-09-15", DATES[0])
        ]
    assert actifs[0] <= actifs[1] <= actifs[2]  # establishments created since are left out
    r = runner.invoke(app, [*base, "--date-stock", "2026-08-31", "--date-stock", "2026-09-15"])
    assert isinstance(r.exception, ErreurUtilisateur)
    assert r.exception.champ == "--date-stock"
