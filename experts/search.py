"""The reviewers' search box over 100,000 applications: 姓名, 工作单位, 职称, 现从事专业, 专业领域.

Those live in four tables, and a LIKE over a join of them scans every row (476 ms at 100,000
applicants). So each application carries `search_text`: the five, normalised and joined into
one column, rewritten whenever one of them changes (the callers of `refresh`).

On PostgreSQL the column has a GIN index on its single characters and character pairs
(migration experts 0003). A trigram index cannot serve most Chinese searches: a name or a
term such as 光电 is two characters, with no complete trigram in it. Pairs and single
characters cover every length; the LIKE that follows drops rows whose pairs match in another
order. docs/performance.md has the EXPLAIN behind this. SQLite scans the one column.
"""

import unicodedata

from django.contrib.postgres.fields import ArrayField
from django.db import connections, models, transaction
from django.db.models import Func, QuerySet

from experts import counts

# The SQL function behind the index; `grams` below is its twin in Python.
GRAMS_FUNCTION = "expert_search_grams"


def normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def grams(text: str) -> list[str]:
    """What the index must hold for `text` to be found: its character pairs, or the one
    character of a one-character search."""
    if len(text) == 1:
        return [text]
    return sorted({text[i : i + 2] for i in range(len(text) - 1)})


def search_text_for(application) -> str:
    user = application.user
    parts = [
        user.real_name,
        user.unit.name if user.unit_id else "",
        application.title,
        application.current_specialty,
        *(discipline.name for discipline in application.disciplines.all()),
    ]
    return normalise(" ".join(part for part in parts if part))


def refresh(applications: QuerySet) -> int:
    """Rewrite `search_text` (and the denormalised unit) of these applications; returns how
    many changed. Call it in the transaction that changed a name, unit, 职称, 专业 or 专业领域."""
    changed = []
    moved: dict[tuple, int] = {}
    rows = (
        applications.select_related("user__unit")
        .prefetch_related("disciplines")
        # Locked while read: a draft saved meanwhile waits, and then writes its own text.
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    with transaction.atomic():
        for application in rows.iterator(chunk_size=1000):
            text = search_text_for(application)
            if text != application.search_text or application.unit_id != application.user.unit_id:
                if application.unit_id != application.user.unit_id:
                    key = (application.status, application.unit_id, application.user.unit_id)
                    moved[key] = moved.get(key, 0) + 1
                application.search_text = text
                application.unit_id = application.user.unit_id
                changed.append(application)
        applications.model.objects.bulk_update(changed, ["search_text", "unit"], batch_size=1000)
        for (status, from_unit_id, to_unit_id), n in moved.items():
            counts.move(status, from_unit_id, to_unit_id, n)
    return len(changed)


class Grams(Func):
    function = GRAMS_FUNCTION
    output_field = ArrayField(models.TextField())


def matching(queryset: QuerySet, term: str, *, common: bool = False) -> QuerySet:
    """The applications whose search text contains `term` (case and width ignored).

    `common`: the caller knows that more than a thousand of the rows it will order match
    (portal.views.filtered_page). Then the gram index, which finds every match before any is
    sorted, is not offered to the planner: walking the list's own ordered index and keeping
    matching rows finds a page in 1.7 ms where the index and a sort took 14 ms (集成电路, one
    applicant in ten; docs/performance.md). For a rare term that walk would read the whole
    index (85 ms for 张伟), so it is never the default."""
    term = normalise(term)
    if not term:
        return queryset
    if connections[queryset.db].vendor == "postgresql" and not common:
        # The index finds the candidates; the LIKE keeps those with the term in one piece.
        queryset = queryset.alias(search_grams=Grams("search_text")).filter(
            search_grams__contains=grams(term)
        )
    return queryset.filter(search_text__contains=term)
