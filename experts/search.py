"""The reviewers' search box over 100,000 applications: 姓名, 工作单位, 职称, 现从事专业, 专业领域.

Those live in four tables, and a LIKE over a join of them scans every row (476 ms at 100,000
applicants). So each application carries `search_text`: the five, normalised and joined into
one column, rewritten whenever one of them changes (the callers of `refresh`).

On PostgreSQL the column has a GIN index on its single characters and character pairs
(migration experts 0003). A trigram index cannot serve most Chinese searches: a name or a
term such as 光电 is two characters, with no complete trigram in it. Pairs and single
characters cover every length; the LIKE that follows drops rows whose pairs match in another
order. A term that many approved experts have is instead searched along 专家库's order index,
which carries the text too (`how_common`, migration experts 0008). docs/performance.md has the
EXPLAINs behind this. SQLite scans the one column.
"""

import threading
import time
import unicodedata
from array import array
from collections.abc import Sequence
from typing import NamedTuple

from django.contrib.postgres.fields import ArrayField
from django.db import connections, models, transaction
from django.db.models import Func, QuerySet, Value
from django.db.models.expressions import Col
from django.db.models.functions import StrIndex
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND

from experts import counts
from experts.models import ApplicationStatus, ExpertApplication, PoolVersion
from portal.listing import plain_filters

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


# 专家库's order index carries search_text (migration experts 0008), and a B-tree entry holds at
# most 2,704 bytes: 650 characters are 2,600 bytes at most in UTF-8, with room for the index's
# other columns. Today's longest text is about 430 characters (50 + 100 + 100 + 100 and every
# 专业领域); only 专业领域 an operator might add could run past the cut, and they come last.
SEARCH_TEXT_LIMIT = 650


def search_text_for(application) -> str:
    user = application.user
    parts = [
        user.real_name,
        user.unit.name if user.unit_id else "",
        application.title,
        application.current_specialty,
        *(discipline.name for discipline in application.disciplines.all()),
    ]
    return normalise(" ".join(part for part in parts if part))[:SEARCH_TEXT_LIMIT]


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

    `common`: the caller knows, or PostgreSQL's statistics say (`how_common`), that many of the
    rows it will order match. Then the gram index, which finds every match before any is
    sorted, is not offered to the planner: walking the list's own ordered index and keeping
    matching rows finds a page in 1.7 ms where the index and a sort took 14 ms (集成电路, one
    applicant in ten; docs/performance.md). For a rare term that walk would read the whole
    index (85 ms for 张伟), so it is never the default. Its plan does not depend on the term,
    so it looks for the term with STRPOS, which PostgreSQL may prepare and plan once, instead
    of a LIKE, which portal.postgresql plans for each term."""
    term = normalise(term)
    if not term:
        return queryset
    if common:
        return queryset.alias(search_at=StrIndex("search_text", Value(term))).filter(
            search_at__gt=0
        )
    if connections[queryset.db].vendor == "postgresql":
        # The index finds the candidates; the LIKE keeps those with the term in one piece.
        queryset = queryset.alias(search_grams=Grams("search_text")).filter(
            search_grams__contains=grams(term)
        )
    return queryset.filter(search_text__contains=term)


# A term is common (searched along the list's order) if the statistics put each of its pairs
# in at least this share of approved applications: if the term is as common as its rarest
# pair, the walk finds 1,001 matches within about 15,000 index entries (about 2.5 ms), and the
# gram index, which reads every candidate whatever the LIMIT, costs more (2.6-3.4 ms for
# 集成电路, in 10 % of them). A rarer term makes the walk longer (`how_common`).
COMMON_SHARE = 0.067
# A term is rare if the statistics let no more approved applications than this have it: the
# gram index finds them all, and sorting them costs little more than counting them did.
RARE_MATCHES = 1000
COMMON, RARE = "common", "rare"
# PostgreSQL renews the statistics when it analyses the table; they are read again this often.
STATISTICS_SECONDS = 600
_statistics: dict[str, tuple[float, "Statistics | None"]] = {}


class Statistics(NamedTuple):
    shares: dict[str, float]  # the commonest characters and pairs: the share of rows with each
    least: float  # the least of those shares: more than any character or pair not among them
    rows: float  # approved applications, when the table was last analysed


def how_common(term: str, using: str) -> str | None:
    """COMMON, RARE or None (in between, or not known), as PostgreSQL's statistics of 专家库's
    gram index (migration experts 0006) see `term` among approved applications: from its
    rarest pair, which holds at least as many rows as the term itself.

    It chooses how to search, never what is found: every way finds the same rows. A pair is
    only an upper bound for the term (光电 and 电路 can be common and 光电路 in no one's text);
    a common-looking term that is not makes the walk read all 55,000 entries (about 9 ms), still
    finding every match."""
    term = normalise(term)
    if not term or connections[using].vendor != "postgresql":
        return None
    known = statistics(using)
    if known is None:
        return None
    share = min(known.shares.get(gram, known.least) for gram in grams(term))
    if share >= COMMON_SHARE:
        return COMMON
    if share * known.rows <= RARE_MATCHES:
        return RARE
    return None


def statistics(using: str) -> Statistics | None:
    """PostgreSQL's statistics of the pool's gram index (pg_stats, renewed by ANALYZE); None
    before the first ANALYZE, and for a role that does not own the table (PostgreSQL shows an
    index's statistics to its owner only): then every term is searched through the gram index
    in two queries, as rightly but slower (docs/deployment.md)."""
    now = time.monotonic()
    kept = _statistics.get(using)
    if kept and kept[0] > now:
        return kept[1]
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
    _statistics[using] = (now + STATISTICS_SECONDS, known)
    return known


# 专家库's searches found already, for one state of the pool (experts.PoolVersion): paging
# through 1,000 results of 集成电路, or a second reviewer searching for it, reads the version
# (0.1 ms) instead of walking 9,611 index entries again (1.7 ms at the database, and 1,001 rows
# to read). Per database: the pool's version, and the searches found for it, the oldest
# dropped first past KEPT_SEARCHES (about 8 KB each).
KEPT_SEARCHES = 256
_found: dict[str, tuple[tuple, dict[tuple, array]]] = {}
_found_lock = threading.Lock()  # gunicorn's threads share a worker's searches
_VERSION_TABLE = PoolVersion._meta.db_table
_POOL_VERSION = f"SELECT n, changed_at FROM {_VERSION_TABLE} WHERE id = 1"


def first_matches(
    queryset: QuerySet, term: str, order_by: Sequence[str], limit: int
) -> Sequence[int] | None:
    """The keys of the first `limit` rows of `queryset` in `order_by` whose text has `term`,
    found in one query; or None where how_common does not tell that term common or rare (the
    caller then counts first and finds a page after: portal.views.filtered_page).

    For 专家库, approved applications filtered and ordered on their own columns only, the keys
    are kept for the pool's version and read again until an approved application changes; any
    other queryset is searched every time (the version does not cover it)."""
    using = queryset.db
    kind = how_common(term, using)
    if kind is None:
        return None
    matches = matching(queryset.using(using), term, common=kind == COMMON).order_by(*order_by)
    first = matches.values_list("pk", flat=True)[:limit]
    if not _pool_only(queryset, order_by):
        return list(first)
    key = (str(queryset.query.where), normalise(term), tuple(order_by), limit)
    kept = _found.get(using)
    if kept is not None and kept[0] == pool_version(using):
        keys = kept[1].get(key)  # one read: another thread may drop it meanwhile
        if keys is not None:
            return keys
    # The version with the keys, in one statement: both as of the same moment, on the same
    # server, so that the keys are exactly that version's.
    sql, params = first.query.get_compiler(using).as_sql()
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT n FROM {_VERSION_TABLE} WHERE id = 1),"
            f" (SELECT changed_at FROM {_VERSION_TABLE} WHERE id = 1), ARRAY({sql})",
            params,
        )
        n, changed_at, found = cursor.fetchone()
    keys = array("q", found)
    if n is not None:
        version = (n, changed_at)
        with _found_lock:
            kept = _found.get(using)
            if kept is None or kept[0] != version:
                kept = _found[using] = (version, {})
            if len(kept[1]) >= KEPT_SEARCHES:
                kept[1].pop(next(iter(kept[1])))  # the oldest
            kept[1][key] = keys
    return keys


def pool_version(using: str) -> tuple | None:
    """专家库's version (experts.PoolVersion); None without one (SQLite, or emptied tables)."""
    if connections[using].vendor != "postgresql":
        return None
    with connections[using].cursor() as cursor:
        cursor.execute(_POOL_VERSION)
        return cursor.fetchone()


def _pool_only(queryset: QuerySet, order_by: Sequence[str]) -> bool:
    """Whether `queryset` holds approved applications only, filtered by plain values on their
    own columns, and `order_by` names their own columns: what the pool's version covers."""
    query = queryset.query
    where = query.where
    fields = {field.name: field for field in ExpertApplication._meta.concrete_fields}
    return (
        queryset.model is ExpertApplication
        and len(query.alias_map) <= 1
        and not (query.extra or query.extra_tables or query.annotations or query.combinator)
        and not (query.distinct or query.is_sliced or query._filtered_relations)
        and query.standard_ordering
        and all(
            name == "pk" or (name in fields and not fields[name].is_relation)
            for name in (column.removeprefix("-") for column in order_by)
        )
        and where.connector == AND
        and not where.negated
        and plain_filters(where)
        and any(
            isinstance(child, Exact)
            and isinstance(child.lhs, Col)
            and child.lhs.target.name == "status"
            and child.rhs == ApplicationStatus.APPROVED
            for child in where.children
        )
    )
