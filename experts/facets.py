"""专家库's facet counts: beside each option of each filter, how many experts the list would
show with that option chosen and every other filter as it is (standard faceting: the count
beside 正高级 is the number of experts matching all current filters with 职称级别 正高级).
An option no expert matches shows 0.

The counts take two grouped queries, never a query per option: 专业领域 one over the rows
FacetDiscipline keeps (an expert's picks and the field of each sub-field picked, once each, so
that a field counts each expert once, however many of its sub-fields they picked), and one per
unit for every other facet. That one groups the pool, through every
filter but 专家状态, 职称级别, 年龄段, 单位, 单位性质 and 所在区, by unit (with each unit's
nature and district), and counts in each group every option of the first three under the
two others (COUNT … FILTER): each facet is then the sum over the units that pass the unit
filters it does not leave out. A search term is found through the gram index in both
(never the walk along the list's order, which suits a page of rows, not a count), unless most
rows hold it (experts.search.MOSTLY_SHARE): then it is looked for word by word.

Counted over 55,000 approved experts those queries cost tens of milliseconds
(docs/performance.md, issue 22), so the counts are kept in Django's cache for each set of
filters, under a key that names the pool's state: how many experts are approved and frozen
(the kept counts), the newest transition of any application (an approval, a freeze, an exit
and a change request applied, with a new 职称级别, unit or 专业领域, are each one) and the newest
kept 专业领域 row (picks edited in admin). Each of those shows at once on every node; it must,
since the list's total is the facets' count and a stale one would cut the list short. What
the key does not see (an operator moving an expert to another unit in admin, a unit's
单位性质 or 所在区 edited) shows within FACETS_SECONDS, the entries' lifetime; an admitted
expert's 职称级别, 专业领域 and 出生日期 are read-only in admin (experts.admin). Ages are of the
day: the day is in the key. The pool is the bureau reviewers' whole pool (expert_pool is
theirs alone); a pool scoped to one user's view would need that scope in the key.
"""

import hashlib
from typing import NamedTuple

from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.choices import DISTRICT_CHOICES, UnitNature
from experts import counts
from experts.choices import TitleLevel
from experts.filters import AGE_BANDS, PoolFilter, age_condition
from experts.models import IN_POOL, ApplicationTransition, FacetDiscipline
from experts.selectors import discipline_tree
from portal.caching import cache
from portal.filters import ALL

FACETS_SECONDS = 60
FACETS_KEY = "experts:pool-facets"
# 单位 offers the units with the most matching experts (and the one chosen, if another): a
# reviewer looks for a unit by name in the search box; a list of 1,000 helps no one.
TOP_UNITS = 20


class Option(NamedTuple):
    value: str
    label: str
    n: int


def pool_facets(filterset: PoolFilter, kept: dict[str, int] | None = None) -> dict:
    """Each filter's options with their counts, from the cache when the pool has not changed
    since they were counted: {"title_level": [Option], "unit", "nature", "district", "age":
    the same, "discipline": [(field's Option, [its sub-fields' Options])], "total": how many
    experts every filter keeps}. `kept`: the kept status counts, if the caller has read them
    (counts.current) for its tabs."""
    filterset.is_valid()
    today = timezone.localdate()
    chosen = sorted(
        (name, str(getattr(value, "pk", value)))
        for name, value in filterset.form.cleaned_data.items()
        if value not in (None, "") and name != "status"
    )
    chosen.append(("status", filterset.status_chosen()))
    state = _pool_state(filterset.queryset.db, counts.current() if kept is None else kept)
    # The classification too: a sub-field added shows at once (where its cache is cleared).
    seen = (state, today.isoformat(), chosen, discipline_tree())
    digest = hashlib.sha256(repr(seen).encode()).hexdigest()
    key = f"{FACETS_KEY}:{digest}"
    facets = cache.get(key)
    if facets is None:
        facets = count_facets(filterset, today)
        cache.set(key, facets, FACETS_SECONDS)
    return facets


def _pool_state(using: str, kept: dict[str, int]) -> tuple:
    """What changes whenever an expert joins or leaves the pool, is frozen, has a change
    applied, or has their picks edited: the kept counts of approved and frozen experts, the
    newest transition (an approval, a freeze, an exit and a change applied are each one) and
    the newest kept 专业领域 row (each the last entry of its primary key's index)."""
    approved, frozen = (kept.get(status, 0) for status in IN_POOL)
    transition = ApplicationTransition.objects.using(using).aggregate(last=Max("pk"))["last"]
    picks = FacetDiscipline.objects.using(using).aggregate(last=Max("pk"))["last"]
    return approved, frozen, transition, picks


# Counted together by one grouped query (per unit), the other filters' conditions inside each
# count (count_facets); 专业领域 is counted over FacetDiscipline (one query).
BY_UNIT = ("status", "title_level", "age", "unit", "nature", "district")


def _counting(filterset: PoolFilter) -> PoolFilter:
    """`filterset` again, for counting: a common term is found through the gram index, never by
    walking the list's order (experts.search.matching): the walk finds the first page of rows
    sooner, the index every match sooner (docs/performance.md). A term most rows hold is still
    looked for word by word (experts.search.MOSTLY_SHARE): the index would narrow nothing."""
    counting = PoolFilter(filterset.data, queryset=filterset.queryset)
    counting.WALK_COMMON_TERMS = False
    return counting


def _conditions(filterset: PoolFilter, today) -> dict[str, Q]:
    """The condition each of 专家状态, 职称级别 and 年龄段 sets, as chosen (Q(): none)."""
    data = filterset.form.cleaned_data
    status = filterset.status_chosen()
    band = next((band for band in AGE_BANDS if band.value == data.get("age")), None)
    return {
        "status": Q() if status == ALL else Q(status=status),  # ALL: IN_POOL, the scope
        "title_level": Q(title_level=data["title_level"]) if data.get("title_level") else Q(),
        "age": age_condition(band, today) if band else Q(),
    }


def _count(*conditions: Q) -> Count:
    condition = Q()
    for each in conditions:
        condition &= each
    return Count("pk", filter=condition) if condition else Count("pk")


def facet_queries(filterset: PoolFilter, today) -> dict:
    """The facets' two grouped queries, as count_facets runs them (bench/explain.py shows
    their plans): one over the FacetDiscipline rows of the pool through every filter but
    专业领域, and one per unit over the pool through every filter but those of BY_UNIT, each
    of whose options is a count filtered by the two others of 专家状态, 职称级别 and 年龄段."""
    filterset = _counting(filterset)
    filterset.is_valid()
    narrowed = filterset.narrowed
    chosen = _conditions(filterset, today)

    def but(name: str) -> list[Q]:
        return [condition for other, condition in chosen.items() if other != name]

    options = {
        "status": [Q(status=value) for value, _ in filterset.STATUSES],
        "title_level": [Q(title_level=value) for value in TitleLevel.values],
        "age": [age_condition(band, today) for band in AGE_BANDS],
    }
    counts = {"kept": _count(*chosen.values())}
    for name, conditions in options.items():
        for i, condition in enumerate(conditions):
            counts[f"{name}_{i}"] = _count(condition, *but(name))
    return {
        # 专业领域: per sub-field picked, and per field, each expert once however many of its
        # sub-fields they picked: the rows FacetDiscipline keeps say so already.
        "discipline": FacetDiscipline.objects.filter(
            application_id__in=narrowed(leave_out={"discipline"}).order_by().values("pk")
        )
        .order_by()
        .values_list("discipline_id")
        .annotate(n=Count("*")),
        # Every other facet: one row per unit (None: an expert of no unit).
        "units": narrowed(leave_out=set(BY_UNIT))
        .order_by()
        .values("unit_id", "unit__name", "unit__nature", "unit__district")
        .annotate(**counts),
    }


def count_facets(filterset: PoolFilter, today) -> dict:
    """The counts, from the database: two grouped queries (facet_queries)."""
    data = filterset.form.cleaned_data
    queries = facet_queries(filterset, today)
    per_discipline = dict(queries["discipline"])
    facets = {
        "discipline": [
            (
                Option(str(field.pk), field.name, per_discipline.get(field.pk, 0)),
                [Option(str(pk), name, per_discipline.get(pk, 0)) for pk, name in field.children],
            )
            for field in discipline_tree()
        ]
    }

    unit, nature, district = data.get("unit"), data.get("nature"), data.get("district")
    sums: dict[str, int] = {}
    by_nature: dict[str, int] = {}
    by_district: dict[str, int] = {}
    by_unit = []
    for row in queries["units"]:
        right_unit = unit is None or unit.pk == row["unit_id"]
        right_nature = nature in (None, "", row["unit__nature"])
        right_district = district in (None, "", row["unit__district"])
        kept = row["kept"]
        if right_unit and right_nature and right_district:
            # 专家状态, 职称级别 and 年龄段: the units every filter of a unit keeps.
            for key, n in row.items():
                if key.startswith(("status_", "title_level_", "age_")) or key == "kept":
                    sums[key] = sums.get(key, 0) + n
        if right_unit and right_district:
            by_nature[row["unit__nature"]] = by_nature.get(row["unit__nature"], 0) + kept
        if right_unit and right_nature:
            by_district[row["unit__district"]] = by_district.get(row["unit__district"], 0) + kept
        if right_nature and right_district and row["unit_id"] is not None and kept:
            by_unit.append(Option(str(row["unit_id"]), row["unit__name"], kept))

    # How many experts every filter keeps: the list's own count (experts.views.expert_pool).
    facets["total"] = sums.get("kept", 0)
    facets["status"] = [
        Option(value, label, sums.get(f"status_{i}", 0))
        for i, (value, label) in enumerate(filterset.STATUSES)
    ]
    facets["title_level"] = [
        Option(value, label, sums.get(f"title_level_{i}", 0))
        for i, (value, label) in enumerate(TitleLevel.choices)
    ]
    facets["age"] = [
        Option(band.value, band.label, sums.get(f"age_{i}", 0)) for i, band in enumerate(AGE_BANDS)
    ]
    facets["nature"] = [
        Option(value, label, by_nature.get(value, 0)) for value, label in UnitNature.choices
    ]
    facets["district"] = [
        Option(value, label, by_district.get(value, 0)) for value, label in DISTRICT_CHOICES
    ]
    by_unit.sort(key=lambda option: (-option.n, option.label))
    top = by_unit[:TOP_UNITS]
    if unit is not None and all(option.value != str(unit.pk) for option in top):
        n = next((option.n for option in by_unit if option.value == str(unit.pk)), 0)
        top.append(Option(str(unit.pk), unit.name, n))
    facets["unit"] = top
    return facets
