"""Parquet files beside a pool's CSVs (the optional ``parquet`` extra: pyarrow), typed as the package says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from observer.core.errors import InputError
from observer.interop.pool_schema import PoolTable

INSTALL = "--parquet needs pyarrow, which is not installed: pip install 'observer[parquet]' (the CSVs need nothing)"


def check_parquet() -> None:
    """InputError, before anything is written, when pyarrow is missing."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise InputError(INSTALL) from None


def _arrow_type(pa: Any, frictionless: str) -> Any:
    return {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }[frictionless]


def write_parquet(folder: Path, tables: list[PoolTable]) -> None:
    """``<table>.parquet`` for each ``<table>.csv`` in ``folder``, read and written in batches (flat memory)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    for table in tables:
        types = {f["name"]: _arrow_type(pa, f["type"]) for f in table.fields}
        # An empty field is missing (null), as DuckDB, pandas and R read the CSV: an organisation-only
        # contribution's participant_id, a code not given.
        convert = pacsv.ConvertOptions(
            column_types=types,
            strings_can_be_null=True,
            null_values=[""],
            include_columns=list(types),
        )
        reader = pacsv.open_csv(folder / table.path, convert_options=convert)
        with pq.ParquetWriter(folder / f"{table.name}.parquet", reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
