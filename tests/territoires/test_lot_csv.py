"""CSV localisation: every column and row kept, bad rows flagged, wrong systems explained."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essq.erreurs import ErreurUtilisateur
from essq.territoires import Territoires
from essq.territoires.lot_csv import localiser_csv
from essq.territoires.projections import transformer


def _lire(chemin: Path, sep: str = ",") -> list[dict[str, str]]:
    with open(chemin, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=sep))


def test_colonnes_et_ordre_conserves_lignes_signalees(
    home_synthetique: Path, tmp_path: Path
) -> None:
    lon, lat = transformer(
        [650_500.0, 651_500.0, 653_000.0], [6_860_500.0, 6_860_500.0, 6_860_500.0], 2154, 4326
    )
    entree = tmp_path / "points.csv"
    entree.write_text(
        "id,nom,lon,lat,remarque\n"
        f'3,Asso A,{lon[0]},{lat[0]},"virgule, guillemets ""ok"""\n'
        f"1,Asso B,{lon[1]},{lat[1]},\n"
        "7,Sans coordonnées,,,\n"
        f"2,Loin,{lon[2]},{lat[2]},x\n"
        "9,Texte,abc,48.8,\n"
        "8,Hors plage,200,95,\n",
        encoding="utf-8",
    )
    sortie = tmp_path / "sortie.csv"
    rapport = localiser_csv(
        Territoires.charger(home_synthetique), entree, sortie, rayon_m=1500, taille_bloc=2
    )
    lignes = _lire(sortie)
    assert [l_["id"] for l_ in lignes] == ["3", "1", "7", "2", "9", "8"]
    assert lignes[0]["remarque"] == 'virgule, guillemets "ok"'
    assert list(lignes[0])[:5] == ["id", "nom", "lon", "lat", "remarque"]
    assert [l_["qpv_2024"] for l_ in lignes] == ["QN00001M", "QN00002M", "", "", "", ""]
    assert lignes[0]["lib_qp_2024"] == "Les Tilleuls"
    assert [l_["statut_coordonnees"] for l_ in lignes] == [
        "ok",
        "ok",
        "absentes",
        "ok",
        "hors_plage",
        "hors_plage",
    ]
    assert lignes[4]["motif"] == "valeur non numérique"
    assert float(lignes[3]["distance_qpv_2024_m"]) == pytest.approx(500.0, abs=0.5)
    assert lignes[3]["qpv_proche_2024"] == "QN00003N"
    assert lignes[3]["qpv_2024_a_moins_de_1500_m"] == "oui"
    assert rapport.lignes == 6 and rapport.dans_qpv == {"2024": 2}


def test_lambert_x_y_avec_epsg_et_point_virgule(home_synthetique: Path, tmp_path: Path) -> None:
    entree = tmp_path / "l93.csv"
    entree.write_text(
        "siret;x;y\n00000000000011;650500,0;6860500,0\n00000000000029;[ND];[ND]\n", encoding="utf-8"
    )
    sortie = tmp_path / "s.csv"
    localiser_csv(Territoires.charger(home_synthetique), entree, sortie, epsg=2154)
    lignes = _lire(sortie, ";")
    assert lignes[0]["siret"] == "00000000000011" and lignes[0]["qpv_2024"] == "QN00001M"
    assert 2.0 < float(lignes[0]["lon_wgs84"]) < 2.6
    assert lignes[1]["statut_coordonnees"] == "absentes"


def test_projection_par_commune(home_synthetique: Path, tmp_path: Path) -> None:
    entree = tmp_path / "sirene.csv"
    entree.write_text(
        "siret,codeCommuneEtablissement,coordonneeLambertAbscisseEtablissement,coordonneeLambertOrdonneeEtablissement\n"
        "1,00101,650500,6860500\n2,97411,650500,6860500\n",
        encoding="utf-8",
    )
    sortie = tmp_path / "s.csv"
    localiser_csv(
        Territoires.charger(home_synthetique),
        entree,
        sortie,
        colonne_commune="codeCommuneEtablissement",
    )
    lignes = _lire(sortie)
    assert lignes[0]["qpv_2024"] == "QN00001M"
    # Lambert-93 figures for a Réunion commune: read as UTM 40S they fall outside La Réunion
    assert (
        lignes[1]["statut_coordonnees"] in ("incoherentes", "hors_plage")
        and lignes[1]["qpv_2024"] == ""
    )


def test_lambert_passe_pour_wgs84_explique(home_synthetique: Path, tmp_path: Path) -> None:
    entree = tmp_path / "faux.csv"
    entree.write_text("lon,lat\n650500,6860500\n651500,6860700\n", encoding="utf-8")
    with pytest.raises(ErreurUtilisateur) as exc:
        localiser_csv(Territoires.charger(home_synthetique), entree, tmp_path / "s.csv")
    assert "Lambert-93" in exc.value.message and "--epsg 2154" in exc.value.message
    assert not (tmp_path / "s.csv").exists()


def test_lon_lat_inverses_explique(home_synthetique: Path, tmp_path: Path) -> None:
    entree = tmp_path / "inverse.csv"
    entree.write_text("lon,lat\n48.85,2.35\n48.90,2.30\n", encoding="utf-8")
    with pytest.raises(ErreurUtilisateur, match="inversées"):
        localiser_csv(Territoires.charger(home_synthetique), entree, tmp_path / "s.csv")


def test_zero_ligne_et_fichier_vide(home_synthetique: Path, tmp_path: Path) -> None:
    t = Territoires.charger(home_synthetique)
    entree = tmp_path / "vide.csv"
    entree.write_text("id,lon,lat\n", encoding="utf-8")
    rapport = localiser_csv(t, entree, tmp_path / "s.csv")
    assert rapport.lignes == 0
    assert (
        (tmp_path / "s.csv")
        .read_text(encoding="utf-8")
        .startswith("id,lon,lat,statut_coordonnees,motif,qpv_2024")
    )
    (tmp_path / "rien.csv").write_bytes(b"")
    with pytest.raises(ErreurUtilisateur, match="vide"):
        localiser_csv(t, tmp_path / "rien.csv", tmp_path / "s2.csv")


def test_encodage_et_colonnes_manquantes(home_synthetique: Path, tmp_path: Path) -> None:
    t = Territoires.charger(home_synthetique)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("nom,lon,lat\nCréteil,2.45,48.79\n".encode("cp1252"))
    with pytest.raises(ErreurUtilisateur, match="encodage"):
        localiser_csv(t, latin, tmp_path / "s.csv")
    localiser_csv(t, latin, tmp_path / "s.csv", encodage="cp1252")
    assert _lire(tmp_path / "s.csv")[0]["nom"] == "Créteil"
    sans = tmp_path / "sans.csv"
    sans.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ErreurUtilisateur, match="Colonnes de coordonnées introuvables"):
        localiser_csv(t, sans, tmp_path / "s3.csv")


def test_sortie_precedente_intacte_en_cas_d_erreur(home_synthetique: Path, tmp_path: Path) -> None:
    sortie = tmp_path / "s.csv"
    sortie.write_text("ancien contenu\n", encoding="utf-8")
    entree = tmp_path / "casse.csv"
    entree.write_bytes(b"lon,lat\n2.35,48.85\n" + "é".encode("cp1252") + b",1\n")
    with pytest.raises(ErreurUtilisateur):
        localiser_csv(Territoires.charger(home_synthetique), entree, sortie, taille_bloc=1)
    assert sortie.read_text(encoding="utf-8") == "ancien contenu\n"


@pytest.mark.lent
def test_gros_fichier_memoire_bornee(home_synthetique: Path, tmp_path: Path) -> None:
    """A file far larger than one block is streamed: the child's peak memory stays bounded."""
    entree = tmp_path / "gros.csv"
    with open(entree, "w", encoding="utf-8") as f:
        f.write("id,lon,lat,texte\n")
        bourrage = "x" * 200
        for i in range(600_000):  # about 140 MB
            f.write(
                f"{i},{2.30 + (i % 1000) * 1e-4:.5f},{48.85 + (i % 777) * 1e-4:.5f},{bourrage}\n"
            )
    script = textwrap.dedent(f"""
        import resource, sys
        from essq.territoires import Territoires
        from essq.territoires.lot_csv import localiser_csv
        t = Territoires.charger({str(home_synthetique)!r})
        avant = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        r = localiser_csv(t, {str(entree)!r}, {str(tmp_path / "s.csv")!r}, taille_bloc=50_000)
        apres = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(r.lignes, (apres - avant) // 1024)
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    lignes, croissance_mo = map(int, res.stdout.split())
    assert lignes == 600_000
    assert (
        croissance_mo < 100
    )  # the whole file would need ~140 MB as text, several times that parsed
    with open(tmp_path / "s.csv", encoding="utf-8") as f:
        f.readline()
        assert f.readline().startswith("0,")


_TEXTE = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\r\x00"),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lignes=st.lists(
        st.tuples(
            _TEXTE,
            st.one_of(st.none(), st.floats(2.2, 2.6)),
            st.one_of(st.none(), st.floats(48.7, 49.0)),
            _TEXTE,
        ),
        max_size=15,
    )
)
def test_propriete_colonnes_et_lignes_intactes(
    home_synthetique: Path, tmp_path_factory, lignes
) -> None:
    """Whatever the text in the other columns (commas, quotes, line breaks), it comes back unchanged."""
    dossier = tmp_path_factory.mktemp("csv")
    entree, sortie = dossier / "e.csv", dossier / "s.csv"
    with open(entree, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["avant", "lon", "lat", "apres"])
        for a, lon, lat, b in lignes:
            w.writerow([a, "" if lon is None else repr(lon), "" if lat is None else repr(lat), b])
    localiser_csv(
        _TERRITOIRES.setdefault(str(home_synthetique), Territoires.charger(home_synthetique)),
        entree,
        sortie,
        taille_bloc=4,
    )
    with open(sortie, encoding="utf-8", newline="") as f:
        relues = list(csv.reader(f))
    assert relues[0][:4] == ["avant", "lon", "lat", "apres"]
    assert len(relues) == len(lignes) + 1
    for (a, lon, lat, b), r in zip(lignes, relues[1:], strict=True):
        assert r[0] == a and r[3] == b
        attendu = "absentes" if lon is None or lat is None else "ok"
        assert r[4] == attendu


_TERRITOIRES: dict[str, Territoires] = {}
