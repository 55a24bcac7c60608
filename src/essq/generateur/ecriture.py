"""Writers of the SIRENE stock files: CSV exactly like INSEE's, and Parquet, chunk by chunk."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from essq.fichiers import ecriture_atomique

FORMATS = ("csv", "parquet")


def colonne_csv(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One column as CSV text: dates YYYY-MM-DD, times YYYY-MM-DDTHH:MM:SS, booleans
    true/false, empty for null, quoted (with doubled quotes) only when needed."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if col.null_count == len(col):
        return pc.fill_null(pc.cast(col, pa.string()), "")
    t = col.type
    if pa.types.is_timestamp(t):
        s = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
    elif pa.types.is_boolean(t):
        s = pc.if_else(col, pa.scalar("true"), pa.scalar("false"))
    elif pa.types.is_string(t):
        # Only free text can hold separators or quotes: quote it (doubling quotes) when needed.
        besoin = pc.match_substring_regex(col, '[,"\r\n]')
        s = col
        if pc.any(besoin).as_py():
            cite = pc.binary_join_element_wise(
                pa.scalar('"'), pc.replace_substring(col, '"', '""'), pa.scalar('"'), ""
            )
            s = pc.if_else(besoin, cite, col)
    else:
        s = pc.cast(col, pa.string())
    return pc.fill_null(s, "")


def table_vers_csv(table: pa.Table) -> bytes:
    """The data lines of ``table`` (no header), each ending with a newline."""
    if table.num_rows == 0:
        return b""
    colonnes = [colonne_csv(c) for c in table.columns]
    lignes = pc.binary_join_element_wise(*colonnes, ",")
    lignes = pc.binary_join_element_wise(lignes, pa.scalar(""), "\n")
    if isinstance(lignes, pa.ChunkedArray):
        lignes = lignes.combine_chunks()
    lignes = lignes.cast(pa.large_string())
    _, offsets, donnees = lignes.buffers()
    o = np.frombuffer(offsets, dtype=np.int64)[lignes.offset : lignes.offset + len(lignes) + 1]
    return memoryview(donnees)[int(o[0]) : int(o[-1])].tobytes()


class EcrivainStock:
    """Writes one stock file (CSV and/or Parquet) atomically, chunk after chunk."""

    def __init__(
        self,
        pile: contextlib.ExitStack,
        dossier: Path,
        nom: str,
        schema: pa.Schema,
        formats: tuple[str, ...],
    ) -> None:
        self.chemins: dict[str, Path] = {}
        self._csv: BinaryIO | None = None
        self._parquet: pq.ParquetWriter | None = None
        if "csv" in formats:
            destination = dossier / f"{nom}.csv"
            tmp = pile.enter_context(ecriture_atomique(destination))
            self._csv = pile.enter_context(open(tmp, "wb"))  # noqa: SIM115
            self._csv.write((",".join(schema.names) + "\n").encode("utf-8"))
            self.chemins["csv"] = destination
        if "parquet" in formats:
            destination = dossier / f"{nom}.parquet"
            tmp = pile.enter_context(ecriture_atomique(destination))
            self._parquet = pq.ParquetWriter(tmp, schema, compression="zstd")
            pile.callback(self._parquet.close)
            self.chemins["parquet"] = destination

    def ecrire(self, table: pa.Table) -> None:
        if self._csv is not None:
            self._csv.write(table_vers_csv(table))
        if self._parquet is not None:
            self._parquet.write_table(table, row_group_size=max(table.num_rows, 1))
