"""A list page's rows as plain values, read as attributes, instead of model instances.

Building 25 model instances with every column cost a list page more than its queries did
(docs/performance.md). A list asks for the columns it prints (`Rows`) and gets each row as
a `Row`: `row.name` reads a column, `row.get_nature_display()` labels a choice as the model's
method would, and `row.model` tells status_badge whose states these are. A template that reads
a column the row does not carry fails in the tests and in DEBUG (a missing attribute), instead
of costing a query per row.
"""

import functools

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesIterable


class Row(dict):
    """One row of a list page; subclasses name their `model`."""

    model = None

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            pass
        field = name.removeprefix("get_").removesuffix("_display")
        if name == f"get_{field}_display" and field in self:
            labels = _labels(self.model, field)
            # As the model's get_FOO_display(): the label, or the stored value if it has none.
            return lambda: labels.get(self[field], self[field])
        raise AttributeError(name)


@functools.cache
def _labels(model, field: str) -> dict:
    return dict(model._meta.get_field(field).flatchoices)


class _RowsIterable(ValuesIterable):
    row_class = Row

    def __iter__(self):
        row_class = self.row_class
        for values in super().__iter__():
            yield row_class(values)


class Rows:
    """A list page's `rows` (portal.views.filtered_page): `rows(queryset)` is the page's
    query, its rows as `row_class` with `pk`, `columns` of the model and `joined` expressions
    (an F() across a relation); `rows.by_keys(…)` reads the rows of keys found already."""

    def __init__(self, row_class: type[Row], *columns: str, **joined):
        self.row_class, self.columns, self.joined = row_class, columns, joined
        self.iterable = type(
            f"{row_class.__name__}Iterable", (_RowsIterable,), {"row_class": row_class}
        )
        self._compiled: dict[tuple, tuple] = {}

    def __call__(self, queryset: QuerySet) -> QuerySet:
        values = queryset.select_related(None).values("pk", *self.columns, **self.joined)
        values._iterable_class = self.iterable  # kept by the slicing and filtering that follow
        return values

    def by_keys(self, model, keys: list, order_by: list[str], using: str) -> list[Row]:
        """The rows of `model` whose pk is in `keys`, ordered by `order_by`.

        A search page finds its 25 keys first (experts.search); building and compiling the
        query that joins their accounts and units took 1.2 ms of Python a page, more than the
        database took for both. Its SQL differs only by how many keys there are, so it is
        compiled once per count and database, and run again with other keys."""
        if not keys:
            return []
        sql, names, converters = self._compile(model, len(keys), tuple(order_by), using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, keys)
            found = cursor.fetchall()
        row_class = self.row_class
        result = []
        for values in found:
            if converters:
                values = list(values)
                for position, (functions, expression) in converters:
                    for convert in functions:
                        values[position] = convert(values[position], expression, connection)
            result.append(row_class(zip(names, values, strict=True)))
        return result

    def _compile(self, model, count: int, order_by: tuple, using: str) -> tuple:
        key = (model, count, order_by, using)
        compiled = self._compiled.get(key)
        if compiled is None:
            sample = list(range(1, count + 1))  # stand-ins, replaced by the real keys
            queryset = self(model._base_manager.using(using).filter(pk__in=sample))
            query = queryset.order_by(*order_by).query
            compiler = query.get_compiler(using)
            sql, params = compiler.as_sql()
            if list(params) != sample:  # the keys must be the query's only parameters
                raise ValueError(f"{model.__name__} rows take parameters besides their keys")
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
            fields = [column for column, _, _ in compiler.select[: compiler.col_count]]
            converters = list(compiler.get_converters(fields).items())
            compiled = self._compiled[key] = (sql, names, converters)
        return compiled
