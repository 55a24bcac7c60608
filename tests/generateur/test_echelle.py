"""One million establishments in bounded memory (run in a child process, peak RSS measured)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

PROGRAMME = """
import json, resource, sys
from pathlib import Path
from essq.generateur import generer_stock
r = generer_stock(Path(sys.argv[1]), 1_000_000, graine=9, formats=("csv", "parquet"), afficher_progression=False)
r["pic_rss_mo"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(r))
"""


@pytest.mark.lent
def test_un_million_en_memoire_bornee(tmp_path: Path) -> None:
    sortie = subprocess.run(
        [sys.executable, "-c", PROGRAMME, str(tmp_path)], capture_output=True, text=True, check=True
    )
    resume = json.loads(sortie.stdout.strip().splitlines()[-1])
    pic_enfant_mo = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert resume["etablissements"] == 1_000_000
    assert 600_000 <= resume["unites_legales"] <= 750_000
    # Generous bound: a few chunks of 150 000 rows, never the whole table.
    assert resume["pic_rss_mo"] < 1500, resume["pic_rss_mo"]
    assert pic_enfant_mo < 2048
    assert (
        pq.ParquetFile(tmp_path / "StockEtablissement_utf8.parquet").metadata.num_rows == 1_000_000
    )
    with open(tmp_path / "StockEtablissement_utf8.csv", "rb") as f:
        lignes = sum(bloc.count(b"\n") for bloc in iter(lambda: f.read(1 << 24), b""))
    assert lignes == 1_000_001
