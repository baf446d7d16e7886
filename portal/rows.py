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


@functools.cache
def _joined(model, related: tuple[str, ...], using: str):
    """The SELECT list and LEFT JOINs of `model` (as t) with the forward foreign keys
    `related` ("user", "user__unit": a path's parent first), and per path how to attach it."""
    connection = connections[using]
    quote = connection.ops.quote_name
    select, joins, steps = [columns(model, "t", connection)], [], []
    aliases = {"": ("t", model)}
    for number, path in enumerate(related, 1):
        parent, _, name = path.rpartition("__")
        parent_alias, parent_model = aliases[parent]
        field = parent_model._meta.get_field(name)
        target, alias = field.related_model, f"r{number}"
        aliases[path] = (alias, target)
        joins.append(
            f"LEFT JOIN {quote(target._meta.db_table)} {alias} ON "
            f"{alias}.{quote(field.target_field.column)} = {parent_alias}.{quote(field.column)}"
        )
        select.append(columns(target, alias, connection))
        pk_position = target._meta.concrete_fields.index(target._meta.pk)
        steps.append((path, parent, field, target, pk_position))
    return ", ".join(select), " ".join(joins), steps


def one(model, column: str, value, using: str, *, related: tuple[str, ...] = ()):
    """The instance of `model` whose `column` (a unique one) holds `value`, or None; with
    `related` loaded in the same query and cached on it, as select_related(*related) would."""
    found = where(model, column, value, using, related=related)
    return found[0] if found else None


def where(
    model,
    column: str,
    value,
    using: str,
    *,
    related: tuple[str, ...] = (),
    order_by: tuple[str, ...] = (),
) -> list:
    """The instances of `model` whose `column` holds `value`, in the order of `order_by`
    (columns, "-" for descending), each with `related` as in one()."""
    connection = connections[using]
    quote = connection.ops.quote_name
    select, joins, steps = _joined(model, related, using)
    order = ", ".join(
        f"t.{quote(name.lstrip('-'))}{' DESC' if name.startswith('-') else ''}" for name in order_by
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM {quote(model._meta.db_table)} t {joins} "
            f"WHERE t.{quote(column)} = %s" + (f" ORDER BY {order}" if order else ""),
            [value],
        )
        found = cursor.fetchall()
    return [_with_related(model, row, steps, using) for row in found]


def _with_related(model, row, steps, using: str):
    width = len(model._meta.concrete_fields)
    instances = {"": build(model, row[:width], using)}
    for path, parent, field, target, pk_position in steps:
        values = row[width : width + len(target._meta.concrete_fields)]
        width += len(values)
        owner = instances[parent]
        missing = owner is None or values[pk_position] is None
        instances[path] = None if missing else build(target, values, using)
        if owner is not None:
            field.set_cached_value(owner, instances[path])
        if field.one_to_one and instances[path] is not None:
            field.remote_field.set_cached_value(instances[path], owner)  # as the ORM does
    return instances[""]
