"""Portraits of the demo territory: text, figures, charts, map, sources, privacy, pages."""

from __future__ import annotations

import json
import re
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from essq.cli import app
from essq.rapports.graphiques import nombre_fr, pourcent_fr

runner = CliRunner()
TYPES = ["qpv", "commune", "epci", "departement", "region"]
CAS = [*TYPES, "qpv_vide", "commune_sans_qpv"]
AVEC_PDF = ["qpv", "commune", "epci", "qpv_vide", "commune_sans_qpv"]


def _texte(portraits: dict, cas: str, lire_pdf) -> str:  # noqa: ANN001
    """The PDF's text (pdftotext) where the case has a PDF, else the HTML's visible text."""
    if "pdf" in portraits[cas]:
        return lire_pdf(portraits[cas]["pdf"])
    html = portraits[cas]["html"].decode()
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    texte = unescape(re.sub(r"<[^>]+>", " ", html))
    return " ".join(texte.replace("\u00a0", " ").replace("\u202f", " ").split())


def _indicateurs_cli(home: Path, territoire: str, millesime: str) -> dict:
    """What `essq indicateurs` prints, through the real command."""
    res = runner.invoke(
        app, ["indicateurs", territoire, "--millesime", millesime, "--home", str(home)]
    )
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize("cas", TYPES)
def test_le_pdf_porte_le_nom_et_les_chiffres_de_essq_indicateurs(
    cas: str, portraits, home_demo: Path, lire_pdf, territoires_demo
) -> None:
    territoire, millesime = territoires_demo[cas]
    ind = _indicateurs_cli(home_demo, territoire, millesime)
    texte = _texte(portraits, cas, lire_pdf)
    assert ind["territoire"]["libelle"] in texte
    assert f"stock SIRENE au {ind['date_stock']}" in texte
    for perimetre in ind["perimetres"]:
        v = ind[perimetre]
        attendus = [
            nombre_fr(v["etablissements_ess"]),
            nombre_fr(v["etablissements_ess_employeurs"]),
            nombre_fr(v["effectif_ess"]["central"], 1),
            f"{nombre_fr(v['effectif_ess']['bas'], 1)} – {nombre_fr(v['effectif_ess']['haut'], 1)}",
            pourcent_fr(v["part_ess_emploi"]),
            pourcent_fr(v["part_ess_emploi_prive"]),
        ]
        for a in attendus:
            assert a.replace("\u00a0", " ") in texte, (perimetre, a)


def test_le_portrait_d_un_qpv_compare_a_son_epci_sa_region_et_la_france(
    portraits, home_demo: Path, lire_pdf
) -> None:
    ind = _indicateurs_cli(home_demo, "qpv:QN00001M", "2024")
    texte = lire_pdf(portraits["qpv"]["pdf"])
    assert set(ind["comparaisons"]) == {"epci", "region", "france"}
    for comp in ind["comparaisons"].values():
        for perimetre in ("en_qpv", "ensemble"):
            part = pourcent_fr(comp[perimetre]["part_ess_emploi"]).replace("\u00a0", " ")
            assert part in texte
    # the 2015 predecessor is named in the identity section
    assert "QP000001" in texte and "succède" in texte


class _Figures(HTMLParser):
    """Collects each <figure> with its svg names and its source caption."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict] = []
        self._pile: list[dict] = []
        self._dans_source = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "figure":
            self._pile.append({"id": a.get("data-figure"), "svg": [], "source": ""})
        elif self._pile and tag == "svg":
            self._pile[-1]["svg"].append(a.get("data-graphique"))
        elif self._pile and tag == "figcaption" and "source" in (a.get("class") or ""):
            self._dans_source += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self._pile:
            self.figures.append(self._pile.pop())
        elif tag == "figcaption" and self._dans_source:
            self._dans_source -= 1

    def handle_data(self, data: str) -> None:
        if self._dans_source and self._pile:
            self._pile[-1]["source"] += data


def _figures(html: bytes) -> list[dict]:
    p = _Figures()
    p.feed(html.decode("utf-8"))
    return p.figures


@pytest.mark.parametrize("cas", CAS)
def test_chaque_figure_a_sa_source_et_sa_date(cas: str, portraits) -> None:
    figures = _figures(portraits[cas]["html"])
    assert len(figures) >= 7
    for f in figures:
        assert f["source"].strip().startswith("Source :"), f["id"]
        # a date (stock date or year) in every source
        assert re.search(r"\b(19|20)\d{2}\b", f["source"]), f


@pytest.mark.parametrize("cas", TYPES)
def test_graphiques_et_carte_presents(cas: str, portraits, lire_pdf) -> None:
    ids = {f["id"] for f in _figures(portraits[cas]["html"])}
    assert {"chiffres", "references", "familles", "secteurs", "taille", "creation", "carte"} <= ids
    # the demo warehouse holds two stock dates: the evolution chart is there
    assert "evolution" in ids
    svg = {s for f in _figures(portraits[cas]["html"]) for s in f["svg"]}
    assert {"familles", "secteurs", "taille", "creation", "evolution", "carte"} <= svg
    texte = _texte(portraits, cas, lire_pdf)
    for titre in (
        "Établissements ESS actifs par famille",
        "Répartition sectorielle des emplois de l'ESS",
        "Établissements ESS actifs par taille",
        "Évolution",
        "4. Carte",
    ):
        assert titre in texte
    assert texte.count("Source :") >= len(ids)


def test_la_carte_dessine_les_contours_et_les_etablissements_du_territoire(
    portraits, home_demo: Path
) -> None:
    from essq.observatoire import Entrepot

    html = portraits["epci"]["html"].decode()
    carte = html[
        html.index('data-graphique="carte"') : html.index(
            "</svg>", html.index('data-graphique="carte"')
        )
    ]
    with Entrepot.ouvrir(home_demo) as e:
        etabs = e.etablissements("epci:200000001", limite=None)
    places = [x for x in etabs if x["lon"] is not None]
    assert carte.count("<circle") - carte.count('data-element="legende"') >= len(places)
    assert len(re.findall(r'data-qpv="QN', carte)) == 5
    assert len(re.findall(r'data-qpv="QP', carte)) == 5
    assert 'data-element="echelle"' in carte and (" km<" in carte or " m<" in carte)
    assert "QPV 2024" in carte and "QPV 2015" in carte


def test_references_publiees_distinguees_des_chiffres_calcules(portraits) -> None:
    html = unescape(portraits["qpv"]["html"].decode())
    assert 'class="etiquette-calc"' in html
    assert html.count('class="etiquette-ref"') >= 2
    # the published national share of ESS in QPV jobs (référentiel cc-000) and Tableau 3 marks
    assert "Part de l'ESS dans l'emploi total des QPV" in html
    assert "17\u00a0%" in html
    secteurs = html[html.index('data-graphique="secteurs"') :]
    secteurs = secteurs[: secteurs.index("</svg>")]
    assert secteurs.count('data-reference="oui"') >= 12 * 2  # QPV and France, 12 sectors


def test_les_etablissements_non_diffusibles_ne_sont_jamais_nommes(
    portraits, home_demo: Path, lire_pdf
) -> None:
    from essq.observatoire import Entrepot

    with Entrepot.ouvrir(home_demo) as e:
        masques = [
            x["siret"]
            for x in e.etablissements("epci:200000001", limite=None)
            if x["denomination"] is None and x["enseigne"] is None
        ]
        noms_masques = e.con.execute(
            "SELECT count(*) FROM etablissements_ess WHERE denomination IS NULL AND lon IS NOT NULL"
        ).fetchone()
    assert masques, "la démonstration doit contenir des établissements non diffusibles"
    assert noms_masques == (0,)
    texte = lire_pdf(portraits["epci"]["pdf"])
    html = portraits["epci"]["html"].decode()
    for siret in masques:
        assert siret not in texte and siret not in html
    assert "non diffusible" in texte


def test_un_territoire_sans_etablissement_ess_donne_un_portrait_sense(portraits, lire_pdf) -> None:
    html = portraits["qpv_vide"]["html"].decode()
    assert 'data-cas="vide"' in html
    texte = lire_pdf(portraits["qpv_vide"]["pdf"])
    assert "Les Prés-Fictifs" in texte
    assert "Aucun établissement actif de l'économie sociale et solidaire" in texte
    assert "Aucun établissement à lister" in texte
    assert "nan" not in texte.lower().split()
    # levers and schemes are still offered
    assert "Leviers pour les collectivités" in texte


def test_un_territoire_sans_qpv_donne_un_portrait_sense(portraits, lire_pdf) -> None:
    html = portraits["commune_sans_qpv"]["html"].decode()
    assert 'data-cas="sans-qpv"' in html
    texte = lire_pdf(portraits["commune_sans_qpv"]["pdf"])
    assert "Essaim-la-Campagne" in texte
    assert "Aucun quartier prioritaire" in texte
    # its rural zoning is shown
    assert "Zone de revitalisation rurale" in texte


def _pages_en_gris(octets: bytes, dossier: Path) -> list[np.ndarray]:
    f = dossier / "rendu.pdf"
    f.write_bytes(octets)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(f), str(dossier / "page")], check=True)
    pages = []
    for chemin in sorted(dossier.glob("page*.pgm")):
        donnees = chemin.read_bytes()
        # binary PGM: "P5\n<w> <h>\n<max>\n" then bytes
        entete = donnees.split(b"\n", 3)
        largeur, hauteur = (int(x) for x in entete[1].split())
        pages.append(np.frombuffer(entete[3], dtype=np.uint8).reshape(hauteur, largeur))
    return pages


@pytest.mark.parametrize("cas", AVEC_PDF)
def test_aucune_page_blanche_ni_debordement(cas: str, portraits, poppler, tmp_path: Path) -> None:
    pages = _pages_en_gris(portraits[cas]["pdf"], tmp_path)
    assert pages
    mm = 40 / 25.4  # pixels per millimetre at 40 dpi
    for n, page in enumerate(pages, 1):
        # the running footer is printed in the bottom margin of every page: a page is blank
        # when the body area (inside the 16 mm top and 18 mm bottom margins) holds no ink
        corps = page[int(16 * mm) + 1 : int((297 - 18) * mm) - 1]
        assert (corps < 128).sum() >= 30, f"page {n} blanche"
        bord = max(2, int(round(5 * mm)))  # 5 mm: well inside the 14-18 mm page margins
        for bande in (page[:bord], page[-bord:], page[:, :bord], page[:, -bord:]):
            assert bande.min() >= 235, f"page {n} : du contenu déborde dans la marge"


def test_html_autonome_sans_script(portraits) -> None:
    html = portraits["commune"]["html"].decode()
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_portrait_a_une_date_de_stock_anterieure(home_demo: Path) -> None:
    from essq.rapports import portrait

    html = portrait("qpv:QN00001M", format="html", home=home_demo, date_stock="2026-09-30")
    texte = html.decode()
    assert "stock SIRENE au 2026-09-30" in texte
    # no stock before the first one: no evolution figure, and the reason is given
    assert 'data-figure="evolution"' not in texte
    assert "Aucune date de stock antérieure" in texte
