"""Model instances from hand-written queries, for the few rows every request reads.

The session's user (with their unit) and authenticator are loaded on every signed-in page.
Through the ORM, building those SELECTs cost more Python than the queries took at the
database; through RawQuerySet, resolving its columns still cost about 0.3 ms a request
(profiled under the benchmark, docs/performance.md). These helpers select a model's concrete
columns in their declared order and build the instance as the ORM would: converters applied
(the encrypted fields decrypt), `_state` set, no deferred fields."""

import functools

from django.db import connections


def columns(model, alias: str, connection) -> str:
    """`alias."col", …` for every concrete field of `model`, in the order `build` expects."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


@functools.cache
def _converters(model, alias: str):
    """Per field, its column and the converters the ORM would apply to it: the backend's own
    (SQLite's datetimes and booleans) and the field's from_db_value (decryption). Keyed by the
    database's alias, not its per-thread connection; each converter is given the caller's."""
    connection = connections[alias]
    result = []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        result.append(
            (
                column,
                connection.ops.get_db_converters(column) + column.get_db_converters(connection),
            )
        )
    return result


def build(model, values, using: str):
    """An instance of `model` from `values`, one per concrete field in declared order."""
    connection = connections[using]
    converted = []
    for value, (column, converters) in zip(values, _converters(model, using), strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(using, None, converted)


def one(model, column: str, value, using: str):
    """The instance of `model` whose `column` (a unique one) holds `value`, or None."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns(model, 't', connection)} FROM {model._meta.db_table} t "
            f"WHERE t.{connection.ops.quote_name(column)} = %s",
            [value],
        )
        row = cursor.fetchone()
    return build(model, row, using) if row else None
