"""A list page's rows as plain values, read as attributes, instead of model instances.

Building 25 model instances with every column cost a list page more than its queries did
(docs/performance.md). A list asks for the columns it prints (`rows_of`) and gets each row as
a `Row`: `row.name` reads a column, `row.get_nature_display()` labels a choice as the model's
method would, and `row.model` tells status_badge whose states these are. A template that reads
a column the row does not carry fails in the tests and in DEBUG (a missing attribute), instead
of costing a query per row.
"""

import functools
from collections.abc import Callable

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


def rows_of(row_class: type[Row], *columns: str, **joined) -> Callable[[QuerySet], QuerySet]:
    """A list page's `rows` (portal.views.filtered_page): its queryset's rows as `row_class`,
    with `pk`, `columns` of the model and `joined` expressions (an F() across a relation)."""
    iterable = type(f"{row_class.__name__}Iterable", (_RowsIterable,), {"row_class": row_class})

    def rows(queryset: QuerySet) -> QuerySet:
        values = queryset.select_related(None).values("pk", *columns, **joined)
        values._iterable_class = iterable  # kept by the slicing and filtering that follow
        return values

    return rows
