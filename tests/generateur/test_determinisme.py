"""Same seed and arguments → byte-identical files; another seed → other data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from essq.cli import app
from essq.generateur import generer_stock
from essq.generateur.stock import UL_PAR_LOT

FICHIERS = (
    "StockEtablissement_utf8.csv",
    "StockEtablissement_utf8.parquet",
    "StockUniteLegale_utf8.csv",
    "StockUniteLegale_utf8.parquet",
)


def _generer(dossier: Path, graine: int, n: int = 4000) -> dict[str, bytes]:
    generer_stock(dossier, n, graine=graine, formats="csv,parquet", afficher_progression=False)
    return {f: (dossier / f).read_bytes() for f in FICHIERS}


def test_meme_graine_memes_octets(tmp_path: Path) -> None:
    a = _generer(tmp_path / "a", 11)
    b = _generer(tmp_path / "b", 11)
    assert a == b


def test_autre_graine_autres_donnees(tmp_path: Path) -> None:
    a = _generer(tmp_path / "a", 11)
    c = _generer(tmp_path / "c", 12)
    assert all(a[f] != c[f] for f in FICHIERS)


@pytest.mark.lent
def test_plusieurs_lots_deterministes_et_compte_exact(tmp_path: Path) -> None:
    """Across several chunks, the run stops at exactly N establishments, reproducibly."""
    n = int(UL_PAR_LOT * 1.6)  # about 1.5 establishments per unit: two chunks
    r1 = generer_stock(
        tmp_path / "a", n, graine=3, formats=("parquet",), afficher_progression=False
    )
    generer_stock(tmp_path / "b", n, graine=3, formats=("parquet",), afficher_progression=False)
    assert r1["etablissements"] == n
    assert (tmp_path / "a" / FICHIERS[1]).read_bytes() == (
        tmp_path / "b" / FICHIERS[1]
    ).read_bytes()


def test_commande_generer(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "generer",
            "--etablissements",
            "1500",
            "--sortie",
            str(tmp_path / "s"),
            "--format",
            "csv",
            "--graine",
            "5",
        ],
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "s" / "StockEtablissement_utf8.csv").read_bytes().count(b"\n") == 1501
    assert not (tmp_path / "s" / "StockEtablissement_utf8.parquet").exists()


def test_commande_generer_refuse_un_format_inconnu(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(
        app, ["generer", "-n", "10", "--sortie", str(tmp_path / "s"), "--format", "xlsx"]
    )
    assert r.exit_code != 0
    assert "Format de sortie inconnu" in str(r.exception or r.output)
    assert not (tmp_path / "s" / "StockEtablissement_utf8.csv").exists()


def test_echec_ne_remplace_rien(tmp_path: Path) -> None:
    """A failed run leaves the previous files untouched (atomic writes)."""
    from essq.erreurs import ErreurUtilisateur

    dossier = tmp_path / "s"
    _generer(dossier, 1, n=500)
    avant = (dossier / FICHIERS[0]).read_bytes()
    with pytest.raises(ErreurUtilisateur):
        generer_stock(
            dossier,
            500,
            graine=2,
            qpv=tmp_path / "absent.geojson",
            formats="csv",
            afficher_progression=False,
        )
    assert (dossier / FICHIERS[0]).read_bytes() == avant
    assert sorted(p.name for p in dossier.iterdir()) == sorted(FICHIERS)


def test_commande_demo_dans_essq_home(tmp_path: Path) -> None:
    """Without --sortie, the demo goes to $ESSQ_HOME/demo (where `essq demo` looks for it)."""
    runner = CliRunner()
    r = runner.invoke(app, ["generer", "demo", "--home", str(tmp_path / "h"), "--graine", "3"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "h" / "demo" / "manifeste.json").is_file()
    assert (
        tmp_path / "h" / "demo" / "sirene" / "2026-10-31" / "StockUniteLegale_utf8.csv"
    ).is_file()


def test_verite_perimee_supprimee(tmp_path: Path, donnees_partagees: Path) -> None:
    qpv = donnees_partagees / "qpv" / "qpv2024_dep93_lambert93.geojson"
    generer_stock(tmp_path, 300, qpv=qpv, afficher_progression=False)
    assert (tmp_path / "placement_qpv.parquet").is_file()
    generer_stock(tmp_path, 300, afficher_progression=False)
    assert not (tmp_path / "placement_qpv.parquet").exists()


def test_fichier_qpv_invalide_message_clair(tmp_path: Path) -> None:
    from essq.erreurs import ErreurUtilisateur

    mauvais = tmp_path / "qpv.geojson"
    mauvais.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": null}]}'
    )
    with pytest.raises(ErreurUtilisateur) as exc:
        generer_stock(tmp_path / "s", 10, qpv=mauvais, afficher_progression=False)
    assert "qpv.geojson" in exc.value.texte() and "code_qp" in exc.value.texte()
    assert exc.value.correctif
