"""The consultation index (SQLite copy of the indicator tables): the same answers as the
warehouse, and never used once it no longer belongs to the warehouse in place."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from essq.config import emplacements
from essq.erreurs import ErreurUtilisateur
from essq.observatoire import Entrepot, construire_depuis_qualifie
from essq.observatoire.consultation import Consultation


def _json(res: dict) -> str:
    return json.dumps(res, ensure_ascii=False, indent=2)


def _toutes_les_reponses(lecteur, territoires: list[dict], dates: list[str]) -> list[str]:
    reponses = []
    for t in territoires:
        nom = "france" if t["niveau"] == "france" else f"{t['niveau']}:{t['code']}"
        for date in dates:
            for millesime in ("2024", "2015"):
                try:
                    reponses.append(_json(lecteur.indicateurs(nom, date, millesime)))
                except ErreurUtilisateur as exc:
                    reponses.append("erreur: " + exc.texte())
    return reponses


def test_memes_reponses_que_l_entrepot_pour_chaque_territoire_et_date(
    entrepot_construit, home: Path
) -> None:
    chemin, _ = entrepot_construit
    # a second date rebuilt from INSEE's history: its sources say so, the first date's do not
    construire_depuis_qualifie(
        chemin,
        date_stock="2025-06-01",
        home=home,
        fichiers_source=[("historique_etablissements", chemin)],
        afficher=False,
    )
    consultation = Consultation.ouvrir(home)
    assert consultation is not None, "the build wrote no usable consultation index"
    # rows come back in reverse storage order unless a query sorts them
    consultation.con.execute("PRAGMA reverse_unordered_selects = ON")
    with Entrepot.ouvrir(home) as e, consultation:
        territoires = e.territoires()
        dates = e.dates_stock()
        assert dates == consultation.dates_stock() == ["2025-01-01", "2025-06-01"]
        assert consultation.millesimes() == e.millesimes()
        for date in dates:
            assert consultation.provenance(date) == e.provenance(date)
        niveaux = {t["niveau"] for t in territoires}
        assert niveaux == {"qpv", "commune", "epci", "departement", "region", "france"}
        attendu = _toutes_les_reponses(e, territoires, dates)
        assert _toutes_les_reponses(consultation, territoires, dates) == attendu
        reconstitues = [
            consultation.indicateurs("france", d)["sources"][0]["reconstitue"] for d in dates
        ]
        assert reconstitues == [False, True]
    # QPV answers carry their comparisons
    assert sum('"comparaisons"' in r for r in attendu) >= 2 * len(
        [t for t in territoires if t["niveau"] == "qpv"]
    )


@pytest.mark.parametrize(
    ("territoire", "date", "millesime"),
    [
        ("qpv:QN99999M", None, "2024"),
        ("commune:00000", None, "2024"),
        ("france", "2019-01-01", "2024"),
        ("france", None, "2030"),
        ("pays:FR", None, "2024"),
    ],
)
def test_memes_refus_que_l_entrepot(
    entrepot_construit, home: Path, territoire: str, date: str | None, millesime: str
) -> None:
    consultation = Consultation.ouvrir(home)
    assert consultation is not None
    with Entrepot.ouvrir(home) as e, consultation:
        with pytest.raises(ErreurUtilisateur) as attendu:
            e.indicateurs(territoire, date, millesime)
        with pytest.raises(ErreurUtilisateur) as obtenu:
            consultation.indicateurs(territoire, date, millesime)
    assert obtenu.value.texte() == attendu.value.texte()


def _essq(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``essq`` script; stderr ends with « duckdb:oui » or « duckdb:non », however the
    process exits (the full command line ends with sys.exit)."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write("
        "'duckdb:oui' if 'duckdb' in sys.modules else 'duckdb:non'))\n"
        "from essq.lanceur import main; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ESSQ_HOME": str(home), "NO_COLOR": "1"},
    )


def test_la_commande_lit_l_index_sans_importer_duckdb(entrepot_construit, home: Path) -> None:
    r = _essq(home, "indicateurs", "departement:93")
    assert r.returncode == 0 and r.stderr.endswith("duckdb:non"), r.stderr
    with Entrepot.ouvrir(home) as e:
        assert r.stdout == _json(e.indicateurs("departement:93")) + "\n"


def test_index_d_un_autre_entrepot_ignore(
    entrepot_construit, home: Path, territoires: Path, tmp_path: Path, fabrique
) -> None:
    """A build killed between its two swaps leaves a new warehouse next to the previous
    build's index: the index is ignored and the warehouse answers its own figures."""
    autre_home = tmp_path / "autre"
    shutil.copytree(territoires, autre_home / "territoires")
    autre = tmp_path / "autre.parquet"
    fabrique["qualifie"](autre, 500, graine=7)
    construire_depuis_qualifie(autre, date_stock="2025-01-01", home=autre_home, afficher=False)
    index_precedent = emplacements(home).consultation.read_bytes()
    os.replace(autre_home / "entrepot" / "essq.duckdb", home / "entrepot" / "essq.duckdb")
    assert emplacements(home).consultation.read_bytes() == index_precedent
    assert Consultation.ouvrir(home) is None
    r = _essq(home, "indicateurs", "france")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ensemble"]["etablissements_actifs"] == sum(
        1 for x in _etats(autre) if x == "A"
    )
    # the next build writes an index matching its warehouse again
    construire_depuis_qualifie(autre, date_stock="2025-02-01", home=home, afficher=False)
    assert Consultation.ouvrir(home) is not None


def _etats(chemin: Path) -> list[str]:
    return pq.read_table(chemin, columns=["etat"]).column("etat").to_pylist()


@pytest.mark.parametrize("degat", ["tronque", "absent", "autre_version"])
def test_index_abime_ou_absent_l_entrepot_repond(
    entrepot_construit, home: Path, degat: str
) -> None:
    index = emplacements(home).consultation
    if degat == "tronque":
        index.write_bytes(index.read_bytes()[:3000])
    elif degat == "absent":
        index.unlink()
    else:
        import sqlite3

        with sqlite3.connect(index) as con:
            con.execute("UPDATE meta SET valeur = '0' WHERE cle = 'format_consultation'")
        con.close()
    r = _essq(home, "indicateurs", "france")
    assert r.returncode == 0, r.stderr
    with Entrepot.ouvrir(home) as e:
        assert r.stdout == _json(e.indicateurs("france")) + "\n"
    assert r.stderr.endswith("duckdb:oui")  # answered by the warehouse


def test_copie_de_essq_home_avec_ses_dates_garde_son_index(
    entrepot_construit, home: Path, tmp_path: Path
) -> None:
    copie = tmp_path / "copie"
    shutil.copytree(home, copie)  # copy2: contents and modification times, like cp -a
    consultation = Consultation.ouvrir(copie)
    assert consultation is not None
    with consultation, Entrepot.ouvrir(home) as e:
        assert consultation.indicateurs("france") == e.indicateurs("france")
    # a warehouse rewritten in place (another modification time) no longer matches
    entrepot = copie / "entrepot" / "essq.duckdb"
    st = entrepot.stat()
    os.utime(entrepot, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert Consultation.ouvrir(copie) is None


def test_index_aux_pages_abimees_l_entrepot_repond(entrepot_construit, home: Path) -> None:
    """Its meta table intact (first pages), its data pages zeroed: the query fails inside
    SQLite and the command answers from the warehouse."""
    index = emplacements(home).consultation
    donnees = bytearray(index.read_bytes())
    donnees[16 * 4096 :] = bytes(len(donnees) - 16 * 4096)
    index.write_bytes(bytes(donnees))
    assert Consultation.ouvrir(home) is not None  # the seal still reads
    r = _essq(home, "indicateurs", "france")
    assert r.returncode == 0, r.stderr
    with Entrepot.ouvrir(home) as e:
        assert r.stdout == _json(e.indicateurs("france")) + "\n"
    assert r.stderr.endswith("duckdb:oui")


def test_echec_de_l_index_ne_fait_pas_echouer_la_construction(
    entrepot_construit, home: Path, monkeypatch
) -> None:
    from essq.observatoire import construction

    def disque_plein(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(construction, "ecrire_consultation", disque_plein)
    chemin, _ = entrepot_construit
    rapport = construire_depuis_qualifie(chemin, date_stock="2025-06-01", home=home, afficher=False)
    assert rapport.dates_stock_entrepot == ["2025-01-01", "2025-06-01"]
    assert len(rapport.avertissements) == 1
    assert "Index de consultation non écrit" in rapport.avertissements[0]
    assert "No space left on device" in rapport.avertissements[0]
    assert not emplacements(
        home
    ).consultation.exists()  # the old index is gone with the old warehouse
    assert not list((home / "entrepot").glob(".essq.duckdb.*"))
    r = _essq(home, "indicateurs", "france", "--date-stock", "2025-06-01")
    assert r.returncode == 0 and r.stderr.endswith("duckdb:oui"), r.stderr


def test_construction_interrompue_entre_les_remplacements(
    entrepot_construit, home: Path, monkeypatch
) -> None:
    """Stopped after swapping the warehouse in, before its index: no index is left, so no
    reader can pair the new warehouse with the old index."""
    from essq.observatoire import construction

    vrai_replace = os.replace
    appels = []

    def replace(src, dst):
        appels.append(dst)
        if len(appels) == 2:
            raise KeyboardInterrupt
        vrai_replace(src, dst)

    monkeypatch.setattr(construction.os, "replace", replace)
    chemin, _ = entrepot_construit
    with pytest.raises(KeyboardInterrupt):
        construire_depuis_qualifie(chemin, date_stock="2025-06-01", home=home, afficher=False)
    monkeypatch.undo()
    assert Path(appels[1]) == emplacements(home).consultation
    assert not emplacements(home).consultation.exists()
    assert not list((home / "entrepot").glob(".essq.duckdb.*"))
    with Entrepot.ouvrir(home) as e:
        assert e.dates_stock() == ["2025-01-01", "2025-06-01"]
    r = _essq(home, "indicateurs", "france", "--date-stock", "2025-06-01")
    assert r.returncode == 0 and r.stderr.endswith("duckdb:oui"), r.stderr
