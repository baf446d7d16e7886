"""The reviewers' search box over 100,000 applications: 姓名, 工作单位, 职称, 现从事专业, 专业领域.

Those live in four tables, and a LIKE over a join of them scans every row (docs/performance.md).
So each application carries `search_text`: the five, normalised and joined into one column,
rewritten whenever one of them changes (the callers of `refresh`). Nothing found is kept:
every search asks the database (experts.filters).

On PostgreSQL the column has a GIN index on its single characters and character pairs
(migration experts 0003). A trigram index cannot serve most Chinese searches: a name or a
term such as 光电 is two characters, with no complete trigram in it. Pairs and single
characters cover every length; the LIKE that follows drops rows whose pairs match in another
order. A search of several words, separated by spaces, finds the rows with every word
(`words`). A term that many approved experts have is instead searched along 专家库's order index,
which carries the text too (`is_common`, migration experts 0008). docs/performance.md has the
EXPLAINs behind this. SQLite scans the one column.
"""

from typing import NamedTuple

from django.contrib.postgres.fields import ArrayField
from django.db import connections, models, transaction
from django.db.models import Func, Prefetch, QuerySet, Value
from django.db.models.functions import StrIndex

from experts import counts
from experts.models import Discipline
from portal.caching import cache
from portal.words import normalise, words

# The SQL function behind the index; `grams` below is its twin in Python.
GRAMS_FUNCTION = "expert_search_grams"


def grams(text: str) -> list[str]:
    """What the index must hold for `text` to be found: its character pairs, or the one
    character of a one-character search."""
    if len(text) == 1:
        return [text]
    return sorted({text[i : i + 2] for i in range(len(text) - 1)})


# 专家库's order index carries search_text (migration experts 0008), and a B-tree entry holds at
# most 2,704 bytes: 650 characters are 2,600 bytes at most in UTF-8, with room for the index's
# other columns. Today's longest text is about 430 characters (50 + 100 + 100 + 100 and every
# 专业领域); only 专业领域 an operator might add could run past the cut, and they come last.
SEARCH_TEXT_LIMIT = 650


def discipline_words(discipline) -> list[str]:
    """What the search text says of one 专业领域 picked: a sub-field with its field before it
    (电子信息 软件), so that searching a field finds the experts of its sub-fields too, as the
    专业领域 filter does (experts.selectors.in_discipline). Reads `discipline.parent`: load it
    with the discipline (select_related, or `with_fields` in a prefetch)."""
    if discipline.parent_id is None:
        return [discipline.name]
    return [discipline.parent.name, discipline.name]


def with_fields():
    """The picks of applications, each with its field: Prefetch for search_text_for."""
    return Prefetch("disciplines", queryset=Discipline.objects.select_related("parent"))


def search_text_for(application) -> str:
    """The search text of `application`, whose 专业领域 are prefetched with their fields
    (`with_fields`: else each sub-field's field is a query)."""
    user = application.user
    parts = [
        user.real_name,
        user.unit.name if user.unit_id else "",
        application.title,
        application.current_specialty,
        *(
            word
            for discipline in application.disciplines.all()
            for word in discipline_words(discipline)
        ),
    ]
    return normalise(" ".join(part for part in parts if part))[:SEARCH_TEXT_LIMIT]


def refresh(applications: QuerySet) -> int:
    """Rewrite `search_text` (and the denormalised unit) of these applications; returns how
    many changed. Call it in the transaction that changed a name, unit, 职称, 专业 or 专业领域."""
    changed = []
    moved: dict[tuple, int] = {}
    rows = (
        applications.select_related("user__unit")
        .prefetch_related(with_fields())
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
    """The applications whose search text contains each word of `term` (`words`; case and
    width ignored).

    `common`: PostgreSQL's statistics say (`is_common`) that many of the rows it will order
    match. Then the gram index, which finds every match before any is sorted, is not offered
    to the planner: walking the list's own ordered index and keeping matching rows finds a page
    sooner than the index and a sort (docs/performance.md). For a rare term that walk would
    read the whole index, so it is never the default. It looks for each word with STRPOS,
    which no index serves, so that the planner keeps to the order's index."""
    wanted = words(term)
    if not wanted:
        return queryset
    if common:
        for n, word in enumerate(wanted):
            at = f"search_at_{n}"
            queryset = queryset.alias(**{at: StrIndex("search_text", Value(word))})
            queryset = queryset.filter(**{f"{at}__gt": 0})
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        # The index finds the candidates: rows with every pair of every word.
        every = sorted({gram for word in wanted for gram in grams(word)})
        queryset = queryset.alias(search_grams=Grams("search_text")).filter(
            search_grams__contains=every
        )
    # The LIKEs keep the rows with each word in one piece.
    for word in wanted:
        queryset = queryset.filter(search_text__contains=word)
    return queryset


# A term is common (searched along the list's order) if the statistics put each of its pairs
# in at least this share of approved applications: then the walk along the order reaches the
# count's limit sooner than the gram index finds every candidate (docs/performance.md). A
# rarer term would make the walk longer (`is_common`).
COMMON_SHARE = 0.067
# A term each of whose pairs is in at least this share of approved applications is looked for
# word by word in every list and count (`matching`, common): the gram index would find nearly
# every row, and each row's grams are computed again to check it (docs/performance.md).
MOSTLY_SHARE = 0.5
# PostgreSQL renews the statistics when it analyses the table; they are read again this often
# (kept in Django's cache, under STATISTICS_KEY and the database's alias).
STATISTICS_SECONDS = 600
STATISTICS_KEY = "experts:search-statistics"


class Statistics(NamedTuple):
    shares: dict[str, float]  # the commonest characters and pairs: the share of rows with each
    least: float  # the least of those shares: more than any character or pair not among them
    rows: float  # approved applications, when the table was last analysed


def is_common(term: str, using: str, share: float | None = None) -> bool:
    """Whether PostgreSQL's statistics of 专家库's gram index (migration experts 0006) put
    `term` in at least `share` (COMMON_SHARE unless given) of approved applications: from
    each word's rarest pair, which holds at least as many rows as the word itself. False when
    not known (no statistics, or not PostgreSQL).

    It chooses how to search, never what is found: both ways find the same rows. A pair is
    only an upper bound for the term (光电 and 电路 can be common and 光电路 in no one's text);
    a common-looking term that is not makes the walk read the whole order, still finding every
    match."""
    wanted = words(term)
    if not wanted or connections[using].vendor != "postgresql":
        return False
    known = statistics(using)
    if known is None:
        return False
    # Words of several kinds (a surname and a field) are taken to be independent: the share
    # with all of them is the product of each word's share.
    found = 1.0
    for word in wanted:
        found *= min(known.shares.get(gram, known.least) for gram in grams(word))
    return found >= (COMMON_SHARE if share is None else share)


def forget_statistics(using: str) -> None:
    """Read the statistics afresh next time (after an ANALYZE), in this process's cache, or in
    every process's when CACHE_URL names a shared one."""
    cache.delete(f"{STATISTICS_KEY}:{using}")


def statistics(using: str) -> Statistics | None:
    """PostgreSQL's statistics of the pool's gram index (pg_stats, renewed by ANALYZE); None
    before the first ANALYZE, and for a role that does not own the table (PostgreSQL shows an
    index's statistics to its owner only): then every term is searched through the gram index,
    as rightly but slower for a common term (docs/deployment.md)."""
    key = f"{STATISTICS_KEY}:{using}"
    kept = cache.get(key)
    if kept is not None:
        return kept[0]  # kept as a 1-tuple: "no statistics" is an answer too
    # Raw SQL: pg_stats is a system view with no model, so the ORM cannot read it.
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples"
            " FROM pg_stats s JOIN pg_class c ON c.oid = to_regclass(s.tablename)"
            " WHERE s.schemaname = current_schema()"
            " AND s.tablename = 'experts_application_pool_search_grams'"
        )
        row = cursor.fetchone()
    known = None
    if row and row[0] and row[2] > 0:
        # The frequencies end with three summary figures (the least, the most, the nulls').
        shares = dict(zip(row[0], row[1], strict=False))
        known = Statistics(shares, min(shares.values()), row[2])
    cache.set(key, (known,), STATISTICS_SECONDS)
    return known
