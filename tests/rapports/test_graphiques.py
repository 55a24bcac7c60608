"""SVG charts and map: escaping, French numbers, scale bar, empty inputs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import shapely
from hypothesis import given
from hypothesis import strategies as st

from essq.rapports import graphiques as gr


def test_nombres_a_la_francaise() -> None:
    assert gr.nombre_fr(1682.5, 1) == "1\u00a0682,5"
    assert gr.nombre_fr(42.0, 1) == "42"
    assert gr.nombre_fr(1234567) == "1\u00a0234\u00a0567"
    assert gr.pourcent_fr(0.7558) == "75,6\u00a0%"
    assert gr.pourcent_fr(None) == "n.d."
    assert gr.nombre_fr(None) == "n.d."


@given(st.floats(min_value=1, max_value=5_000_000, allow_nan=False))
def test_la_barre_d_echelle_est_ronde_et_ne_depasse_pas(metres: float) -> None:
    e = gr._echelle_ronde(metres)
    assert e <= metres
    assert e > metres / 5.01  # 1-2-5 steps: never less than a fifth of the room
    mantisse = e / 10 ** int(f"{e:e}".split("e")[1])
    assert round(mantisse, 6) in (1.0, 2.0, 5.0)


def test_les_libelles_sont_echappes_et_le_svg_est_valide() -> None:
    svg = gr.barres(
        "essai",
        "Titre <b>&",
        ["<script>alert(1)</script>", "Commerce"],
        [gr.Serie("Série & co", gr.BLEU), gr.Serie("Réf.", gr.ROUGE, reference=True)],
        [[3.0, None], [1.0, 2.0]],
    )
    racine = ET.fromstring(svg)
    assert racine.get("data-graphique") == "essai"
    assert "<script>" not in svg
    # the reference series is drawn as marks, never as bars
    assert svg.count('data-reference="oui"') == 3  # 2 values + legend
    assert "n.d." in svg


def test_carte_vide_et_carte_avec_contours() -> None:
    vide = gr.carte("Vide", [], [], libelles_familles={})
    assert "Aucun contour" in vide
    ET.fromstring(vide)
    carre = shapely.box(2.30, 48.80, 2.32, 48.82)
    svg = gr.carte(
        "Carré",
        [
            ("2024", "QN00001M", shapely.to_wkb(carre)),
            ("2015", "QP000001", shapely.to_wkb(carre.buffer(0.002))),
        ],
        [gr.Point(2.31, 48.81, "association", True), gr.Point(2.35, 48.85, "cooperative", False)],
        libelles_familles={"association": "Associations", "cooperative": "Coopératives"},
    )
    ET.fromstring(svg)
    assert 'data-qpv="QN00001M"' in svg and 'data-qpv="QP000001"' in svg
    assert "stroke-dasharray" in svg  # the older generation is dashed
    assert "Associations" in svg and "Coopératives" in svg
    assert 'data-element="echelle"' in svg and (" km<" in svg or " m<" in svg)
    assert "2 établissements ESS localisés" in svg


def test_la_carte_echantillonne_au_dela_du_maximum() -> None:
    points = [gr.Point(2 + i * 1e-4, 48, "association", False) for i in range(100)]
    svg = gr.carte("Beaucoup", [], points, libelles_familles={}, max_points=10)
    assert svg.count("<circle") <= 10 + 1
    assert "un sur 10 dessiné" in svg


@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-5.0, max_value=9.0, allow_nan=False),
            st.floats(min_value=41.0, max_value=51.0, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_tous_les_points_tombent_dans_le_cadre_de_la_carte(
    coords: list[tuple[float, float]],
) -> None:
    largeur, hauteur, legende = 640.0, 420.0, 46.0
    points = [gr.Point(x, y, "association", False) for x, y in coords]
    svg = gr.carte("Points", [], points, libelles_familles={}, largeur=largeur, hauteur=hauteur)
    racine = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    couche = next(g for g in racine.iter(f"{ns}g") if g.get("data-couche") == "etablissements")
    cercles = list(couche.iter(f"{ns}circle"))
    assert len(cercles) == len(points)
    for c in cercles:
        assert 0 <= float(c.get("cx")) <= largeur
        assert 0 <= float(c.get("cy")) <= hauteur - legende
