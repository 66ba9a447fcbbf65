"""The document schema: a unique, stable `id` and a `text` column; other columns pass through."""
from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc

from kopile.core.errors import InputError


class SchemaError(InputError):
    """Input that does not fit the document schema; the message names the file and column."""


def _texty(kind: pa.DataType) -> bool:
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind))


def require_text_column(schema: pa.Schema, text_column: str, source: str) -> None:
    if text_column not in schema.names:
        raise SchemaError(f"{source}: no text column {text_column!r}; the file has columns {schema.names}")
    kind = schema.field(text_column).type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type  # a dictionary-encoded string column is a string column
    if not _texty(kind):
        raise SchemaError(f"{source}: text column {text_column!r} has type {kind}, expected string")


def text_values(table: pa.Table, text_column: str) -> tuple[list[str | None], int]:
    """The texts as Python strings, and how many needed their invalid UTF-8 replaced.

    Parquet writers do not all validate UTF-8, and a binary column is common in dumps;
    undecodable bytes become U+FFFD rather than failing the shard.
    """
    column = table.column(text_column)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        try:
            column.validate(full=True)
            return column.to_pylist(), 0
        except pa.ArrowInvalid:
            binary = pa.large_binary() if pa.types.is_large_string(column.type) else pa.binary()
            column = pa.chunked_array([chunk.view(binary) for chunk in column.chunks], binary)
    values, repaired = [], 0
    for raw in column.to_pylist():
        if raw is None:
            values.append(None)
            continue
        try:
            values.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            values.append(raw.decode("utf-8", "replace"))
            repaired += 1
    return values, repaired


def document_id(source: str, row: int) -> str:
    return hashlib.blake2b(f"{source}\x00{row}".encode(), digest_size=8).hexdigest()


def ensure_ids(table: pa.Table, id_column: str, source: str, first_row: int,
               renames: dict[int, str] | None = None) -> pa.Table:
    """Give rows without an id one derived from (source shard, row number): stable across runs.
    `renames` (shard row -> id) replaces ids that repeat another shard's, where the run asks."""
    generated = [document_id(source, first_row + i) for i in range(table.num_rows)]
    if id_column not in table.schema.names:
        return table.append_column(id_column, pa.array(generated, pa.string()))
    column = table.column(id_column)
    if not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())
    if column.null_count:
        column = pc.if_else(pc.is_null(column), pa.array(generated, pa.string()), column)
    if renames:
        values = column.to_pylist()
        for i in range(table.num_rows):
            if first_row + i in renames:
                values[i] = renames[first_row + i]
        column = pa.array(values, pa.string())
    index = table.schema.get_field_index(id_column)
    return table.set_column(index, pa.field(id_column, pa.string()), column)
