"""Charts and maps as inline SVG, drawn on the server (readable without JavaScript, offline).

Each graphic carries a ``<title>`` and ``<desc>`` and the page shows the same figures in a
table, so screen readers get the data, not the drawing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import shapely

BLEU = "#000091"
ROUGE = "#c9191e"
GRIS = "#666666"
COULEURS_FAMILLES = {
    "association": "#000091",
    "cooperative": "#18753c",
    "mutuelle": "#b34000",
    "fondation": "#6e445a",
    "societe_commerciale_ess": "#0063cb",
}
LIBELLES_FAMILLES = {
    "association": "Associations",
    "cooperative": "Coopératives",
    "mutuelle": "Mutuelles",
    "fondation": "Fondations",
    "societe_commerciale_ess": "Sociétés commerciales de l'ESS",
    "hors_ess": "Hors ESS",
}


def nombre(x: float | int | None, decimales: int = 0) -> str:
    """French number formatting: 12 345,6 (narrow no-break space as thousands separator)."""
    if x is None:
        return "—"
    texte = f"{round(float(x)):,}" if decimales == 0 else f"{float(x):,.{decimales}f}"
    return texte.replace(",", "\u202f").replace(".", ",")


def pourcent(x: float | None, decimales: int = 1) -> str:
    if x is None:
        return "—"
    return nombre(100 * x, decimales) + "\u00a0%"


def barres(
    titre: str,
    series: Sequence[tuple[str, float]],
    *,
    unite: str = "",
    couleur: str = BLEU,
    format_valeur: str = "nombre",
) -> str:
    """A horizontal bar chart; labels on the left, values at the end of each bar."""
    largeur, h_barre, marge_g, marge_d = 640, 26, 230, 90
    hauteur = max(1, len(series)) * (h_barre + 8) + 16
    maxi = max((v for _, v in series), default=0) or 1
    lignes = [
        f'<svg class="essq-graphique" viewBox="0 0 {largeur} {hauteur}" role="img" '
        f'aria-labelledby="g-{id(series)}-t" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="g-{id(series)}-t">{escape(titre)}</title>',
        "<desc>"
        + escape("; ".join(f"{lib} : {_val(v, format_valeur, unite)}" for lib, v in series))
        + "</desc>",
    ]
    for i, (lib, v) in enumerate(series):
        y = 8 + i * (h_barre + 8)
        w = (largeur - marge_g - marge_d) * (v / maxi if maxi else 0)
        court = lib if len(lib) <= 32 else lib[:31] + "…"
        lignes.append(
            f'<text x="{marge_g - 8}" y="{y + h_barre * 0.68:.1f}" text-anchor="end" '
            f'font-size="13" fill="#161616">{escape(court)}</text>'
        )
        lignes.append(
            f'<rect x="{marge_g}" y="{y}" width="{max(w, 1):.1f}" height="{h_barre}" fill="{couleur}"/>'
        )
        lignes.append(
            f'<text x="{marge_g + max(w, 1) + 6:.1f}" y="{y + h_barre * 0.68:.1f}" font-size="13" '
            f'fill="#161616">{escape(_val(v, format_valeur, unite))}</text>'
        )
    lignes.append("</svg>")
    return "\n".join(lignes)


def _val(v: float, format_valeur: str, unite: str) -> str:
    if format_valeur == "pourcent":
        return pourcent(v)
    return nombre(v, 0 if float(v).is_integer() else 1) + (f" {unite}" if unite else "")


def barres_comparees(
    titre: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]]
) -> str:
    """Grouped horizontal bars (one group per category, one bar per series), in percent."""
    largeur, h_barre, marge_g, marge_d = 640, 14, 230, 70
    n = max(1, len(series))
    h_groupe = n * (h_barre + 2) + 10
    hauteur = len(categories) * h_groupe + 30 + 18 * n
    maxi = max((v for _, vals, _ in series for v in vals), default=0) or 1
    out = [
        f'<svg class="essq-graphique" viewBox="0 0 {largeur} {hauteur}" role="img" '
        f'aria-labelledby="gc-{id(categories)}-t" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="gc-{id(categories)}-t">{escape(titre)}</title>',
    ]
    desc = []
    for i, cat in enumerate(categories):
        y0 = 8 + i * h_groupe
        court = cat if len(cat) <= 32 else cat[:31] + "…"
        out.append(
            f'<text x="{marge_g - 8}" y="{y0 + h_groupe / 2:.1f}" text-anchor="end" font-size="13" '
            f'fill="#161616">{escape(court)}</text>'
        )
        for j, (nom, vals, couleur) in enumerate(series):
            v = vals[i]
            y = y0 + j * (h_barre + 2)
            w = (largeur - marge_g - marge_d) * v / maxi
            out.append(
                f'<rect x="{marge_g}" y="{y}" width="{max(w, 1):.1f}" height="{h_barre}" fill="{couleur}"/>'
            )
            out.append(
                f'<text x="{marge_g + max(w, 1) + 4:.1f}" y="{y + h_barre - 3}" font-size="11" '
                f'fill="#161616">{escape(pourcent(v))}</text>'
            )
            desc.append(f"{cat}, {nom} : {pourcent(v)}")
    y = len(categories) * h_groupe + 16
    for j, (nom, _, couleur) in enumerate(series):
        out.append(
            f'<rect x="{marge_g}" y="{y + j * 18}" width="12" height="12" fill="{couleur}"/>'
        )
        out.append(
            f'<text x="{marge_g + 18}" y="{y + j * 18 + 11}" font-size="12" fill="#161616">{escape(nom)}</text>'
        )
    out.insert(2, "<desc>" + escape("; ".join(desc)) + "</desc>")
    out.append("</svg>")
    return "\n".join(out)


def _echelle_metres(largeur_m: float) -> float:
    """A round scale-bar length close to a fifth of the map width."""
    cible = largeur_m / 5
    puissance = 10 ** math.floor(math.log10(cible)) if cible > 0 else 1
    for facteur in (5, 2, 1):
        if facteur * puissance <= cible:
            return facteur * puissance
    return puissance


def carte(
    titre: str,
    qpv: Sequence[tuple[str, str, shapely.Geometry]],
    points: Sequence[dict],
    *,
    largeur: int = 640,
    hauteur: int = 480,
) -> str:
    """QPV contours and establishments in a local equirectangular projection, with a scale
    bar, a north arrow and a legend; no base layer is needed to read it."""
    xs: list[float] = []
    ys: list[float] = []
    for _, _, g in qpv:
        minx, miny, maxx, maxy = g.bounds
        xs += [minx, maxx]
        ys += [miny, maxy]
    for p in points:
        xs.append(p["lon"])
        ys.append(p["lat"])
    if not xs:
        return (
            f'<p class="fr-text--sm">{escape(titre)} : aucun contour ni établissement localisé à '
            "afficher.</p>"
        )
    minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
    lat0 = math.radians((miny + maxy) / 2)
    kx = math.cos(lat0)
    marge, bas_legende = 16, 70
    w_m = max((maxx - minx) * kx, 1e-4)
    h_m = max(maxy - miny, 1e-4)
    echelle = min((largeur - 2 * marge) / w_m, (hauteur - 2 * marge - bas_legende) / h_m)
    ox = marge + ((largeur - 2 * marge) - w_m * echelle) / 2
    oy = marge + ((hauteur - 2 * marge - bas_legende) - h_m * echelle) / 2

    def px(lon: float, lat: float) -> tuple[float, float]:
        return ox + (lon - minx) * kx * echelle, oy + (maxy - lat) * echelle

    out = [
        f'<svg class="essq-carte" viewBox="0 0 {largeur} {hauteur}" role="img" '
        f'aria-labelledby="carte-t carte-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="carte-t">{escape(titre)}</title>',
        f'<desc id="carte-d">{len(qpv)} contour(s) de QPV et {len(points)} établissement(s) ESS '
        "localisé(s). La liste des établissements figure dans l'annuaire.</desc>",
        f'<rect x="0" y="0" width="{largeur}" height="{hauteur}" fill="#f6f6f6"/>',
    ]
    for code, lib, g in qpv:
        polys = getattr(g, "geoms", [g])
        chemin = []
        for poly in polys:
            if not hasattr(poly, "exterior"):
                continue
            for anneau in [poly.exterior, *poly.interiors]:
                coords = list(anneau.coords)
                pas = max(1, len(coords) // 400)
                pts = [px(x, y) for x, y in coords[::pas]]
                chemin.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in pts) + "Z")
        out.append(
            f'<path d="{" ".join(chemin)}" fill="{BLEU}" fill-opacity="0.12" stroke="{BLEU}" '
            f'stroke-width="1.5" fill-rule="evenodd"><title>{escape(lib)} ({escape(code)})</title></path>'
        )
    for p in points:
        x, y = px(p["lon"], p["lat"])
        couleur = COULEURS_FAMILLES.get(p.get("famille") or "", GRIS)
        nom = p.get("nom") or "Établissement non diffusible"
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{couleur}" stroke="#fff" stroke-width="0.6">'
            f"<title>{escape(nom)}</title></circle>"
        )
    # scale bar (metres: one degree of latitude ≈ 111.32 km)
    largeur_m = w_m * 111_320
    longueur = _echelle_metres(largeur_m)
    l_px = longueur / 111_320 * echelle
    yb = hauteur - bas_legende + 12
    texte_echelle = f"{nombre(longueur / 1000)} km" if longueur >= 1000 else f"{nombre(longueur)} m"
    out.append(
        f'<g aria-hidden="true"><rect x="{marge}" y="{yb}" width="{l_px:.1f}" height="5" fill="#161616"/>'
        f'<text x="{marge}" y="{yb + 20}" font-size="12" fill="#161616">{texte_echelle}</text>'
        f'<path d="M{largeur - 24},{marge + 22} l8,-20 l8,20 l-8,-6 z" fill="#161616"/>'
        f'<text x="{largeur - 20}" y="{marge + 36}" font-size="12" fill="#161616">N</text></g>'
    )
    xl = marge + 140
    out.append(
        f'<rect x="{xl}" y="{yb - 4}" width="14" height="12" fill="{BLEU}" fill-opacity="0.12" stroke="{BLEU}"/>'
        f'<text x="{xl + 20}" y="{yb + 7}" font-size="12" fill="#161616">Contour de QPV</text>'
    )
    familles_presentes: list[str] = sorted({str(p["famille"]) for p in points if p.get("famille")})
    for k, fam in enumerate(familles_presentes):
        cx = xl + (k % 3) * 160
        cy = yb + 26 + (k // 3) * 18
        out.append(
            f'<circle cx="{cx + 7}" cy="{cy - 4}" r="4" fill="{COULEURS_FAMILLES.get(fam, GRIS)}"/>'
            f'<text x="{cx + 16}" y="{cy}" font-size="12" fill="#161616">'
            f"{escape(LIBELLES_FAMILLES.get(fam, fam))}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
