"""Fixtures: a small fictional geography (imported-territories format) and qualified SIRENE tables
written directly in the schema agreed with essq.sirene (docs: /tmp interfaces contract).

The geography is a grid of communes (1° boxes); QPV are small boxes inside some communes. The
qualified rows get their QPV and distances computed here from those boxes, independently of
the observatoire code under test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

# code, nom, type, parent, departement, region, epci, x0 (box lon origin)
COMMUNES = [
    ("93001", "Aubervilliers-fictif", "commune-actuelle", "93001", "93", "11", "200000001", 0),
    ("93002", "Bondy-fictif", "commune-actuelle", "93002", "93", "11", "200000001", 1),
    ("93003", "Clichy-fictif", "commune-actuelle", "93003", "93", "11", "200000002", 2),
    ("93099", "Ancienne-déléguée", "commune-deleguee", "93003", "93", "11", None, None),
    (
        "93003",
        "Clichy-fictif (déléguée chef-lieu)",
        "commune-deleguee",
        "93003",
        "93",
        "11",
        None,
        None,
    ),
    ("94001", "Vitry-fictif", "commune-actuelle", "94001", "94", "11", "200000003", 3),
    ("69001", "Lyon-fictif", "commune-actuelle", "69001", "69", "84", "200000004", 4),
    ("69381", "Lyon-fictif 1er", "arrondissement-municipal", "69001", "69", "84", None, None),
    ("69002", "Rural-fictif", "commune-actuelle", "69002", "69", "84", "200000004", 5),
]
# millesime, code, lib, commune, box (x0, y0, x1, y1)
QPV = [
    ("2024", "QN09301A", "Quartier Nord", "93001", (0.20, 45.20, 0.40, 45.40)),
    ("2024", "QN09301B", "Quartier Sud", "93001", (0.60, 45.60, 0.70, 45.70)),
    ("2024", "QN09302A", "Les Tilleuls", "93002", (1.30, 45.30, 1.50, 45.50)),
    ("2024", "QN09401A", "Centre", "94001", (3.40, 45.40, 3.60, 45.60)),
    ("2024", "QN06901A", "La Duchère", "69001", (4.10, 45.10, 4.30, 45.30)),
    ("2015", "QP093001", "Quartier Nord (2015)", "93001", (0.22, 45.22, 0.45, 45.45)),
    ("2015", "QP093002", "Les Tilleuls (2015)", "93002", (1.30, 45.30, 1.45, 45.45)),
    ("2015", "QP069001", "La Duchère (2015)", "69001", (4.05, 45.05, 4.30, 45.30)),
]
MILLESIMES = ("2015", "2024")
DEG_M = 111_000.0  # fictional flat metric: one degree = 111 km on both axes
TRANCHES = {
    "NN": (0, 0, 0),
    "00": (0, 0, 0),
    "01": (1, 1.5, 2),
    "02": (3, 4, 5),
    "03": (6, 7.5, 9),
    "11": (10, 14.5, 19),
    "12": (20, 34.5, 49),
    "21": (50, 74.5, 99),
    "22": (100, 149.5, 199),
    "32": (250, 374.5, 499),
}
FAMILLES = {
    "9220": "association",
    "5458": "cooperative",
    "8210": "mutuelle",
    "9300": "fondation",
    "5710": "societe_commerciale_ess",
    "5499": "hors_ess",
    "1000": "hors_ess",
    "7210": "hors_ess",
}
NAF = {
    "88.10A": "action_sociale",
    "87.10A": "action_sociale",
    "94.99Z": "activites_associatives",
    "85.59A": "enseignement",
    "93.12Z": "sport_loisirs",
    "47.11D": "commerce",
    "84.11Z": "administration",
}


def ecrire_territoires(home: Path, *, millesimes: tuple[str, ...] = MILLESIMES) -> Path:
    dossier = home / "territoires"
    dossier.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "code": [c[0] for c in COMMUNES],
                "nom": [c[1] for c in COMMUNES],
                "type": [c[2] for c in COMMUNES],
                "commune_parente": [c[3] for c in COMMUNES],
                "departement": [c[4] for c in COMMUNES],
                "region": [c[5] for c in COMMUNES],
                "epci": [c[6] for c in COMMUNES],
                "population": [10_000] * len(COMMUNES),
            }
        ),
        dossier / "communes.parquet",
    )
    qpv = [q for q in QPV if q[0] in millesimes]
    pq.write_table(
        pa.table(
            {
                "millesime": [q[0] for q in qpv],
                "code_qp": [q[1] for q in qpv],
                "lib_qp": [q[2] for q in qpv],
                "communes": [[q[3]] for q in qpv],
                "departement": [q[3][:2] for q in qpv],
                "geometrie": [shapely.to_wkb(shapely.box(*q[4])) for q in qpv],
                "surface_m2": [1.0e6] * len(qpv),
            }
        ),
        dossier / "qpv.parquet",
    )
    epcis = sorted({c[6] for c in COMMUNES if c[6]})
    pq.write_table(
        pa.table(
            {
                "code": epcis,
                "nom": [f"EPCI fictif {e[-1]}" for e in epcis],
                "type": ["CA"] * len(epcis),
                "membres": [[c[0] for c in COMMUNES if c[6] == e] for e in epcis],
            }
        ),
        dossier / "epci.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "code": ["93", "94", "69"],
                "nom": ["Seine-Saint-Denis", "Val-de-Marne", "Rhône"],
                "region": ["11", "11", "84"],
            }
        ),
        dossier / "departements.parquet",
    )
    pq.write_table(
        pa.table({"code": ["11", "84"], "nom": ["Île-de-France", "Auvergne-Rhône-Alpes"]}),
        dossier / "regions.parquet",
    )
    (dossier / "manifeste.json").write_text('{"date": "2026-01-01", "sources": ["fictif"]}')
    return dossier


def _localiser(lon: np.ndarray, lat: np.ndarray, millesime: str) -> tuple[list, list, list]:
    boites = [q for q in QPV if q[0] == millesime]
    qpv, dist, proche = [], [], []
    for x, y in zip(lon, lat, strict=True):
        if np.isnan(x):
            qpv.append(None)
            dist.append(None)
            proche.append(None)
            continue
        meilleur, dmin, dedans = None, np.inf, None
        for _, code, _, _, (x0, y0, x1, y1) in boites:
            dx = max(x0 - x, 0.0, x - x1)
            dy = max(y0 - y, 0.0, y - y1)
            d = float(np.hypot(dx, dy)) * DEG_M
            if d == 0.0 and dedans is None:
                dedans = code
            if d < dmin:
                meilleur, dmin = code, d
        qpv.append(dedans)
        dist.append(0.0 if dedans else dmin)
        proche.append(dedans or meilleur)
    return qpv, dist, proche


def ecrire_qualifie(
    chemin: Path,
    n: int = 3000,
    *,
    graine: int = 0,
    millesimes: tuple[str, ...] = MILLESIMES,
    sirets: list[str] | None = None,
    modifier: Callable[[dict[str, list]], None] | None = None,
) -> pa.Table:
    """A qualified establishments table as essq.sirene writes it (one row per SIRET)."""
    rng = np.random.default_rng(graine)
    actuelles = [c for c in COMMUNES if c[2] == "commune-actuelle"]
    ic = rng.integers(0, len(actuelles), n)
    commune = [actuelles[i][0] for i in ic]
    x0 = np.array([actuelles[i][7] for i in ic], dtype=float)
    lon = x0 + rng.random(n)
    lat = 45.0 + rng.random(n)
    # a third of the points inside or right next to a QPV box of the commune
    qpv_communes = {}
    for q in QPV:
        qpv_communes.setdefault(q[3], []).append(q[4])
    for i in range(n):
        boites = qpv_communes.get(commune[i])
        if boites and rng.random() < 0.45:
            bx0, by0, bx1, by1 = boites[rng.integers(0, len(boites))]
            marge = 0.015 if rng.random() < 0.5 else 0.0
            lon[i] = rng.uniform(bx0 - marge, bx1 + marge)
            lat[i] = rng.uniform(by0 - marge, by1 + marge)
    sans_pos = rng.random(n) < 0.05
    lon[sans_pos] = np.nan
    lat[sans_pos] = np.nan
    cjs = list(FAMILLES)
    cj = [
        cjs[i] for i in rng.choice(len(cjs), n, p=[0.35, 0.05, 0.03, 0.02, 0.03, 0.32, 0.15, 0.05])
    ]
    famille = [FAMILLES[c] for c in cj]
    nafs = list(NAF)
    naf = [nafs[i] for i in rng.integers(0, len(nafs), n)]
    tranches = [*TRANCHES, None]
    tranche = [tranches[i] for i in rng.integers(0, len(tranches), n)]
    bornes = [TRANCHES.get(t) if t else None for t in tranche]
    diffusion = ["P" if rng.random() < 0.1 else "O" for _ in range(n)]
    ess = [f != "hors_ess" for f in famille]
    sirets = sirets or [f"{100000000 + i:09d}{(i % 90000) + 10000:05d}" for i in range(n)]
    debut = dt.date(1970, 1, 1)
    cols: dict[str, list] = {
        "siret": sirets[:n],
        "siren": [s[:9] for s in sirets[:n]],
        "nic": [s[9:] for s in sirets[:n]],
        "etat": ["A" if rng.random() < 0.8 else "F" for _ in range(n)],
        "date_creation": [
            None if rng.random() < 0.02 else debut + dt.timedelta(days=int(rng.integers(0, 20000)))
            for _ in range(n)
        ],
        "etablissement_siege": [bool(rng.random() < 0.5) for _ in range(n)],
        "statut_diffusion": diffusion,
        "denomination": [
            None if d == "P" or c == "1000" else f"Structure {i}"
            for i, (d, c) in enumerate(zip(diffusion, cj, strict=True))
        ],
        "enseigne": [None] * n,
        "categorie_juridique": cj,
        "famille_ess": famille,
        "ess": ess,
        "sources_ess": ["cj" if e else "" for e in ess],
        "raison_ess": ["forme juridique de l'ESS" if e else "hors ESS" for e in ess],
        "secteur_public": [c == "7210" for c in cj],
        "naf": naf,
        "section_naf": ["Q" if x.startswith("8") else "S" for x in naf],
        "a38": ["QB" for _ in naf],
        "secteur_ess": [NAF[x] for x in naf],
        "tranche_effectif": tranche,
        "annee_effectif": [2023 if t else None for t in tranche],
        "effectif_bas": [float(b[0]) if b else None for b in bornes],
        "effectif_central": [float(b[1]) if b else None for b in bornes],
        "effectif_haut": [float(b[2]) if b else None for b in bornes],
        "employeur": [bool(b and b[0] > 0) for b in bornes],
        "code_commune": commune,
        "commune_origine": commune,
        "departement": [c[:2] for c in commune],
        "lon": [None if np.isnan(v) else float(v) for v in lon],
        "lat": [None if np.isnan(v) else float(v) for v in lat],
        "statut_position": ["inconnue" if s else "coordonnees" for s in sans_pos],
    }
    for m in millesimes:
        q, d, p = _localiser(lon, lat, m)
        cols[f"qpv_{m}"] = q
        cols[f"distance_qpv_{m}_m"] = d
        cols[f"qpv_proche_{m}"] = p
    cols["unite_legale_trouvee"] = [True] * n
    if modifier:
        modifier(cols)
    table = pa.table(cols)
    table = table.set_column(
        table.schema.get_field_index("date_creation"),
        "date_creation",
        table["date_creation"].cast(pa.date32()),
    )
    chemin.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, chemin)
    return table


@pytest.fixture()
def territoires(home: Path) -> Path:
    return ecrire_territoires(home)


@pytest.fixture()
def fabrique() -> dict[str, Callable]:
    """Builders usable from the tests (conftest modules cannot be imported by name)."""
    return {"qualifie": ecrire_qualifie, "territoires": ecrire_territoires}


@pytest.fixture()
def entrepot_construit(home: Path, territoires: Path, tmp_path: Path) -> tuple[Path, pa.Table]:
    from essq.observatoire.construction import construire_depuis_qualifie

    chemin = tmp_path / "qualifie.parquet"
    table = ecrire_qualifie(chemin, 3000, graine=1)
    construire_depuis_qualifie(chemin, date_stock="2025-01-01", home=home, afficher=False)
    return chemin, table
