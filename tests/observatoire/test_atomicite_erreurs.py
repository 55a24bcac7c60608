"""Atomic builds (killed, failing) and clear French errors on bad inputs."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.observatoire import Entrepot, construire_depuis_qualifie
from essq.observatoire.consultation import Consultation


def _empreinte(home: Path) -> str:
    return hashlib.sha256((home / "entrepot" / "essq.duckdb").read_bytes()).hexdigest()


def _grossir(source: Path, cible: Path, facteur: int) -> None:
    """A big qualified file: the small one repeated with fresh SIRETs."""
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * REPLACE (lpad((CAST(q.siret AS HUGEINT) * {facteur} + r.range)::VARCHAR, 14, '0') AS siret)
            FROM read_parquet('{source}') q, range({facteur}) r)
            TO '{cible}' (FORMAT parquet)"""
    )
    con.close()


@pytest.mark.lent
def test_construction_tuee_laisse_l_entrepot_precedent_intact(
    entrepot_construit, home: Path, tmp_path: Path
) -> None:
    chemin, _ = entrepot_construit
    with Entrepot.ouvrir(home) as e:
        avant = e.indicateurs("departement:93")
    empreinte = _empreinte(home)
    gros = tmp_path / "gros.parquet"
    _grossir(chemin, gros, 600)  # 1.8 M rows: the build lasts several seconds
    script = (
        "from essq.observatoire import construire_depuis_qualifie; "
        f"construire_depuis_qualifie({str(gros)!r}, date_stock='2025-06-01', home={str(home)!r}, afficher=False)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], env={**os.environ, "ESSQ_HOME": str(home)}
    )
    dossier = home / "entrepot"
    limite = time.monotonic() + 60
    while not list(dossier.glob(".essq.duckdb.*.partiel")) and time.monotonic() < limite:
        assert proc.poll() is None, (
            "la construction s'est terminée avant d'avoir pu être interrompue"
        )
        time.sleep(0.02)
    time.sleep(0.5)  # well inside the aggregation
    assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert list(dossier.glob(".essq.duckdb.*")), (
        "the killed build left its temporary file (expected)"
    )
    assert _empreinte(home) == empreinte
    with Entrepot.ouvrir(home) as e:
        assert e.indicateurs("departement:93") == avant
        assert e.dates_stock() == ["2025-01-01"]
    consultation = Consultation.ouvrir(home)  # the index still belongs to that warehouse
    assert consultation is not None
    with consultation:
        assert consultation.indicateurs("departement:93") == avant
    # the next build cleans the leftovers and succeeds
    construire_depuis_qualifie(chemin, date_stock="2025-06-01", home=home, afficher=False)
    assert not list(dossier.glob(".essq.duckdb.*"))
    with Entrepot.ouvrir(home) as e:
        assert e.dates_stock() == ["2025-01-01", "2025-06-01"]


def test_construction_en_echec_sur_fichier_invalide_laisse_l_entrepot_intact(
    entrepot_construit, home: Path, tmp_path: Path
) -> None:
    chemin, table = entrepot_construit
    empreinte = _empreinte(home)
    # 1. a truncated Parquet file
    tronque = tmp_path / "tronque.parquet"
    tronque.write_bytes(chemin.read_bytes()[:5000])
    with pytest.raises(ErreurUtilisateur) as exc:
        construire_depuis_qualifie(tronque, date_stock="2025-01-01", home=home, afficher=False)
    assert "illisible" in exc.value.message
    # 2. a well-formed file whose values break the aggregation half-way
    mauvais = tmp_path / "mauvais.parquet"
    t = table.set_column(
        table.schema.get_field_index("effectif_central"),
        "effectif_central",
        pa.array(["beaucoup"] * table.num_rows),
    )
    pq.write_table(t, mauvais)
    with pytest.raises(ErreurUtilisateur) as exc:
        construire_depuis_qualifie(mauvais, date_stock="2025-01-01", home=home, afficher=False)
    assert "mauvais.parquet" in exc.value.texte()
    assert _empreinte(home) == empreinte
    assert not list((home / "entrepot").glob(".essq.duckdb.*"))
    assert Consultation.ouvrir(home) is not None
    with Entrepot.ouvrir(home) as e:
        assert e.indicateurs("france")["ensemble"]["etablissements_actifs"] == sum(
            1 for r in table.to_pylist() if r["etat"] == "A"
        )


def test_nouvelle_date_ajoutee_sans_perdre_les_anciennes(
    entrepot_construit, home: Path, tmp_path: Path, fabrique
) -> None:
    chemin2 = tmp_path / "q2.parquet"
    fabrique["qualifie"](chemin2, 1000, graine=9)
    construire_depuis_qualifie(chemin2, date_stock="2025-07-01", home=home, afficher=False)
    with Entrepot.ouvrir(home) as e:
        assert e.dates_stock() == ["2025-01-01", "2025-07-01"]
        assert (
            e.indicateurs("france", date_stock="2025-01-01")["ensemble"]["etablissements_actifs"]
            > (e.indicateurs("france")["ensemble"]["etablissements_actifs"])
        )
    # rebuilding a date replaces it, never duplicates
    construire_depuis_qualifie(chemin2, date_stock="2025-07-01", home=home, afficher=False)
    con = duckdb.connect(str(home / "entrepot" / "essq.duckdb"), read_only=True)
    n = con.execute(
        "SELECT count(*) FROM indicateurs WHERE date_stock = '2025-07-01' AND niveau = 'france' AND perimetre = 'ensemble'"
    ).fetchone()
    con.close()
    assert n == (2,)  # one per millésime


def test_lectures_simultanees_en_lecture_seule(entrepot_construit, home: Path) -> None:
    e1 = Entrepot.ouvrir(home)
    e2 = Entrepot.ouvrir(home)
    try:
        assert e1.indicateurs("commune:93001") == e2.indicateurs("commune:93001")
        with pytest.raises(duckdb.Error):
            e1.con.execute("DELETE FROM indicateurs")
    finally:
        e1.fermer()
        e2.fermer()


def test_territoires_non_importes(home: Path, tmp_path: Path, fabrique) -> None:
    chemin = tmp_path / "q.parquet"
    fabrique["qualifie"](chemin, 50)
    with pytest.raises(DonneesAbsentes) as exc:
        construire_depuis_qualifie(chemin, date_stock="2025-01-01", home=home, afficher=False)
    assert "territoires" in exc.value.texte()
    assert "essq territoires" in (exc.value.correctif or "")
    assert not (home / "entrepot" / "essq.duckdb").exists()


def test_stock_vide(home: Path, territoires: Path, tmp_path: Path, fabrique) -> None:
    chemin = tmp_path / "q.parquet"
    table = fabrique["qualifie"](chemin, 50)
    pq.write_table(table.slice(0, 0), chemin)
    with pytest.raises(ErreurUtilisateur) as exc:
        construire_depuis_qualifie(chemin, date_stock="2025-01-01", home=home, afficher=False)
    assert "vide" in exc.value.message
    assert "essq construire" in (exc.value.correctif or "")


def test_stock_d_une_autre_version_de_schema(
    home: Path, territoires: Path, tmp_path: Path, fabrique
) -> None:
    chemin = tmp_path / "q.parquet"
    table = fabrique["qualifie"](chemin, 50)
    ancien = table.drop_columns(
        ["famille_ess", "qpv_2024", "distance_qpv_2024_m", "qpv_proche_2024"]
    )
    pq.write_table(ancien, chemin)
    with pytest.raises(ErreurUtilisateur) as exc:
        construire_depuis_qualifie(chemin, date_stock="2025-01-01", home=home, afficher=False)
    texte = exc.value.texte()
    assert "famille_ess" in texte and "qpv_2024" in texte
    assert "essq construire" in texte


def test_date_de_stock_invalide(home: Path, territoires: Path, tmp_path: Path, fabrique) -> None:
    chemin = tmp_path / "q.parquet"
    fabrique["qualifie"](chemin, 50)
    with pytest.raises(ErreurUtilisateur) as exc:
        construire_depuis_qualifie(chemin, date_stock="01/01/2025", home=home, afficher=False)
    assert exc.value.champ == "--date-stock"


def test_entrepot_absent_et_territoire_inconnu(home: Path, entrepot_construit) -> None:
    with pytest.raises(DonneesAbsentes) as exc:
        Entrepot.ouvrir(home / "ailleurs")
    assert "essq construire" in (exc.value.correctif or "")
    with Entrepot.ouvrir(home) as e:
        for mauvais in ("qpv:QN99999Z", "canton:12", "departement:", "commune:00000"):
            with pytest.raises(ErreurUtilisateur):
                e.indicateurs(mauvais)
        with pytest.raises(ErreurUtilisateur) as exc2:
            e.indicateurs("france", date_stock="1999-01-01")
        assert "2025-01-01" in (exc2.value.correctif or "")


def test_cli_erreur_en_francais_code_2(home: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "essq.cli", "indicateurs", "france", "--home", str(home)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert "Aucun entrepôt construit" in res.stderr and "essq construire" in res.stderr
    assert "Traceback" not in res.stderr


def test_cli_construire_sans_territoires(home: Path, tmp_path: Path) -> None:
    etab = tmp_path / "StockEtablissement.csv"
    ul = tmp_path / "StockUniteLegale.csv"
    etab.write_text("siret\n", encoding="utf-8")
    ul.write_text("siren\n", encoding="utf-8")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "essq.cli",
            "construire",
            "--etablissements",
            str(etab),
            "--unites-legales",
            str(ul),
            "--date-stock",
            "2025-01-01",
            "--home",
            str(home),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert "territoires" in res.stderr and "Comment corriger" in res.stderr
    assert not (home / "entrepot" / "essq.duckdb").exists()


def test_entrepot_d_une_autre_version(entrepot_construit, home: Path) -> None:
    con = duckdb.connect(str(home / "entrepot" / "essq.duckdb"))
    con.execute("UPDATE meta SET valeur = '0' WHERE cle = 'version_schema'")
    con.close()
    with pytest.raises(ErreurUtilisateur) as exc:
        Entrepot.ouvrir(home)
    assert "essq construire" in (exc.value.correctif or "")


def test_un_lecteur_ouvert_pendant_une_construction_garde_sa_version(
    entrepot_construit, home: Path, tmp_path: Path, fabrique
) -> None:
    lecteur = Entrepot.ouvrir(home)
    try:
        avant = lecteur.indicateurs("france")
        chemin = tmp_path / "q3.parquet"
        fabrique["qualifie"](chemin, 500, graine=11)
        construire_depuis_qualifie(chemin, date_stock="2025-09-01", home=home, afficher=False)
        assert lecteur.dates_stock() == ["2025-01-01"]
        assert lecteur.indicateurs("france") == avant
    finally:
        lecteur.fermer()
    with Entrepot.ouvrir(home) as e:
        assert e.dates_stock() == ["2025-01-01", "2025-09-01"]
