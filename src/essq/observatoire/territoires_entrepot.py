"""Read the imported territories (contract with essq.territoires) straight from their Parquet files.

The build joins them in DuckDB: reading the Parquet files directly is faster than going
through Python objects and keeps the build in one engine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from essq.config import emplacements
from essq.erreurs import DonneesAbsentes

FICHIERS_TERRITOIRES = (
    "qpv.parquet",
    "communes.parquet",
    "epci.parquet",
    "departements.parquet",
    "regions.parquet",
)


def dossier_territoires(home: Path | str | None) -> Path:
    """The imported territories folder; raises DonneesAbsentes (with the command) when missing."""
    dossier = emplacements(home).territoires
    manquants = [f for f in FICHIERS_TERRITOIRES if not (dossier / f).is_file()]
    if manquants:
        try:  # the territoires package knows the exact import commands: let it explain
            from essq.territoires import Territoires  # type: ignore[attr-defined]

            Territoires.charger(home)
        except ImportError:
            pass
        except DonneesAbsentes:
            raise
        raise DonneesAbsentes(
            f"Les territoires ne sont pas importés dans {dossier} "
            f"(fichiers manquants : {', '.join(manquants)}).",
            correctif="importer d'abord le code officiel géographique et les QPV avec le même "
            "--home : « essq territoires importer-cog DOSSIER_COG » puis « essq territoires "
            "importer-qpv FICHIER_QPV --millesime 2024 » (voir « essq territoires --help »), puis relancer "
            "« essq construire ».",
        )
    return dossier


def manifeste_territoires(dossier: Path) -> dict[str, Any]:
    chemin = dossier / "manifeste.json"
    if not chemin.is_file():
        return {}
    try:
        contenu = json.loads(chemin.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return contenu if isinstance(contenu, dict) else {}


def sql_territoires(dossier: Path) -> str:
    """SQL creating the temp tables ``cmap`` (any COG code → current commune and its parents)
    and ``ref_territoires`` (every territory with its label and parents)."""

    def p(nom: str) -> str:
        return "'" + str(dossier / nom).replace("'", "''") + "'"

    return f"""
CREATE OR REPLACE TEMP TABLE cog AS
    SELECT code::VARCHAR AS code, nom::VARCHAR AS nom, type::VARCHAR AS type,
           coalesce(commune_parente, code)::VARCHAR AS commune_parente,
           departement::VARCHAR AS departement, region::VARCHAR AS region, epci::VARCHAR AS epci
    FROM read_parquet({p("communes.parquet")});
-- One row per code: a commune déléguée may share its code with its commune nouvelle (the
-- current commune wins), and parents are always looked up among current communes.
CREATE OR REPLACE TEMP TABLE cmap AS
    SELECT DISTINCT ON (c.code) c.code, p.code AS commune, p.epci, p.departement, p.region
    FROM cog c JOIN cog p ON p.code = c.commune_parente AND p.type = 'commune-actuelle'
    ORDER BY c.code, c.type <> 'commune-actuelle';
CREATE OR REPLACE TEMP TABLE ref_territoires AS
    SELECT 'commune' AS niveau, code, nom AS libelle, NULL::VARCHAR AS millesime,
           epci, departement, region
    FROM cog WHERE type = 'commune-actuelle'
    UNION ALL
    SELECT 'epci', code::VARCHAR, nom::VARCHAR, NULL, code::VARCHAR, NULL, NULL
    FROM read_parquet({p("epci.parquet")})
    UNION ALL
    SELECT 'departement', code::VARCHAR, nom::VARCHAR, NULL, NULL, code::VARCHAR, region::VARCHAR
    FROM read_parquet({p("departements.parquet")})
    UNION ALL
    SELECT 'region', code::VARCHAR, nom::VARCHAR, NULL, NULL, NULL, code::VARCHAR
    FROM read_parquet({p("regions.parquet")})
    UNION ALL
    SELECT 'france', 'FR', 'France', NULL, NULL, NULL, NULL
    UNION ALL
    SELECT 'qpv', q.code_qp::VARCHAR, q.lib_qp::VARCHAR, q.millesime::VARCHAR,
           m.epci, coalesce(q.departement::VARCHAR, m.departement), m.region
    FROM read_parquet({p("qpv.parquet")}) q
    LEFT JOIN cmap m ON m.code = q.communes[1];
CREATE OR REPLACE TEMP TABLE ref_contours AS
    SELECT millesime::VARCHAR AS millesime, code_qp::VARCHAR AS code, geometrie::BLOB AS geometrie
    FROM read_parquet({p("qpv.parquet")});
"""
