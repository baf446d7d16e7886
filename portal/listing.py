"""A list page's rows as plain values, read as attributes, instead of model instances.

Building 25 model instances with every column cost a list page more than its queries did
(docs/performance.md). A list asks for the columns it prints (`Rows`) and gets each row as
a `Row`: `row.name` reads a column, `row.get_nature_display()` labels a choice as the model's
method would, and `row.model` tells status_badge whose states these are. A template that reads
a column the row does not carry fails in the tests and in DEBUG (a missing attribute), instead
of costing a query per row.
"""

import datetime
import decimal
import functools
import threading
import uuid

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.query import ValuesIterable
from django.db.models.sql.where import WhereNode


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
    (an F() across a relation); `rows.ordered(…)` is the same query for a paginator, compiled
    once; `rows.by_keys(…)` reads the rows of keys found already."""

    # Compiled page queries kept per Rows (`ordered`), the oldest dropped first: the bureau's
    # lists make a few dozen (statuses, 职称级别, 专业领域); 用户账号管理 one per unit and tab,
    # of which the units in use stay. About 2 KB each.
    KEPT_QUERIES = 512

    def __init__(self, row_class: type[Row], *columns: str, **joined):
        self.row_class, self.columns, self.joined = row_class, columns, joined
        self.iterable = type(
            f"{row_class.__name__}Iterable", (_RowsIterable,), {"row_class": row_class}
        )
        self._compiled: dict[tuple, tuple] = {}
        self._queries: dict[tuple, tuple] = {}
        self._queries_lock = threading.Lock()  # gunicorn's threads share a worker's cache

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
        return self._run(sql, keys, names, converters, using)

    def ordered(self, queryset: QuerySet, order_by: list[str]) -> "Ordered":
        """`self(queryset).order_by(*order_by)`, for a paginator to slice (`Ordered`)."""
        return Ordered(self, queryset, tuple(order_by))

    def _run(self, sql: str, params, names: list, converters: list, using: str) -> list[Row]:
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
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

    def _page_query(self, queryset: QuerySet, order_by: tuple) -> tuple:
        """The SQL (without LIMIT and OFFSET), parameters, names and converters of `queryset`'s
        rows in `order_by`, compiled once for the same filters with the same values."""
        query = queryset.query
        if (
            not plain_filters(query.where)  # a filter whose text may not tell its value
            or not query.standard_ordering  # reverse(): order_by() keeps it, the key would not
            or query._filtered_relations  # a condition in a join, outside the filters' text
        ):
            return self._compile_page(queryset, order_by)
        key = (
            queryset.model,
            queryset.db,
            order_by,
            # The filters with their values, and the joins they made: which table, from where,
            # on which columns, INNER or LEFT OUTER.
            str(query.where),
            tuple(
                (
                    alias,
                    join.table_name,
                    getattr(join, "parent_alias", None),
                    getattr(join, "join_cols", None),
                    getattr(join, "join_type", None),
                )
                for alias, join in query.alias_map.items()
            ),
        )
        compiled = self._queries.get(key)
        if compiled is None:
            compiled = self._compile_page(queryset, order_by)
            with self._queries_lock:
                if len(self._queries) >= self.KEPT_QUERIES:
                    self._queries.pop(next(iter(self._queries)))  # the oldest
                self._queries[key] = compiled
        return compiled

    def _compile_page(self, queryset: QuerySet, order_by: tuple) -> tuple | None:
        """As `_page_query`, compiled now; None for a query that can match nothing."""
        query = self(queryset).order_by(*order_by).query
        compiler = query.get_compiler(queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # `.none()`, `pk__in=[]`: Django runs no query for it either
            return None
        return sql, tuple(params), *_columns(query, compiler)

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
            compiled = self._compiled[key] = (sql, *_columns(query, compiler))
        return compiled


def _columns(query, compiler) -> tuple[list, list]:
    """A compiled values() query's column names, and the converters the ORM would apply."""
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    fields = [column for column, _, _ in compiler.select[: compiler.col_count]]
    return names, list(compiler.get_converters(fields).items())


# Values whose repr() tells them apart: a filter on them can key its compiled SQL by its text.
_PLAIN = (str, int, float, decimal.Decimal, datetime.date, datetime.time, uuid.UUID)


def plain_filters(node) -> bool:
    """Whether the filters are columns compared with plain values (or lists of them)."""
    if isinstance(node, WhereNode):
        return all(plain_filters(child) for child in node.children)
    if not isinstance(node, Lookup) or type(node.lhs) is not Col:
        return False
    values = node.rhs if isinstance(node.rhs, list | tuple | set | frozenset) else [node.rhs]
    return all(isinstance(value, _PLAIN) for value in values)


class Ordered:
    """A list page's rows in order, for a paginator: slicing it reads one page.

    Building and compiling a list's query with Django took about 1 ms of a list page's 5-6
    (docs/performance.md), on every request, for SQL that changes only with the list's
    filters and their values, a handful per list. So the SQL is compiled once for each of
    them (`Rows._page_query`) and run with the page's LIMIT and OFFSET. A queryset with
    anything but filters (annotations, extra, DISTINCT, a slice) is not a list's query, and
    is refused."""

    def __init__(self, rows: Rows, queryset: QuerySet, order_by: tuple):
        query = queryset.query
        if (
            query.annotations
            or query.extra
            or query.extra_tables
            or query.distinct
            or query.combinator
            or query.is_sliced
            or query.select_for_update
        ):
            raise ValueError("a list's rows are a filtered queryset's, in its order")
        self.rows, self.queryset, self.order_by = rows, queryset, order_by

    def __getitem__(self, index: slice) -> list[Row]:
        start, stop = index.start or 0, index.stop
        if index.step is not None or stop is None or not 0 <= start <= stop:
            raise TypeError("a list is read a page at a time: [start:stop]")
        compiled = self.rows._page_query(self.queryset, self.order_by)
        if compiled is None or start == stop:
            return []
        sql, params, names, converters = compiled
        sql = f"{sql} LIMIT {int(stop - start)} OFFSET {int(start)}"
        return self.rows._run(sql, params, names, converters, self.queryset.db)
