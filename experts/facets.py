"""专家库's facet counts: beside each option of each filter, how many experts the list would
show with that option chosen and every other filter as it is (standard faceting: the count
beside 正高级 is the number of experts matching all current filters with 职称级别 正高级).
An option no expert matches shows 0.

Each facet is one grouped query over the pool through every filter but its own, never a
query per option: 专业领域 two (one per level: a field counts each expert once, however many
of its sub-fields they picked), 职称级别 one, 年龄段 one, and 单位, 单位性质 and 所在区 one
together (grouped by unit, with each unit's nature and district: each of the three facets is
the sum of the units that pass the two other filters).

Counted over 55,000 approved experts those queries cost tens of milliseconds
(docs/performance.md, issue 22), so the counts are kept in Django's cache for each set of
filters, under a key that names the pool's state: how many experts are approved (the kept
count) and the latest decision time, so that an approval, or an expert leaving the pool,
shows at once on every node. Changes that neither add nor remove an approved expert (an
operator's edit, an expert moved to another unit, a unit's 单位性质 or 所在区 edited) show
within FACETS_SECONDS, the entries' lifetime. Ages are of the day: the day is in the key.
The pool is the bureau reviewers' whole pool (expert_pool is theirs alone); a pool scoped to
one user's view would need that scope in the key.
"""

import hashlib
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Case, Count, Max, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.choices import DISTRICT_CHOICES, UnitNature
from experts import counts
from experts.choices import TitleLevel
from experts.filters import AGE_BANDS, PoolFilter, age_condition
from experts.models import IN_POOL, ApplicationStatus, ExpertApplication
from experts.selectors import discipline_tree

FACETS_SECONDS = 60
FACETS_KEY = "experts:pool-facets"
# 单位 offers the units with the most matching experts (and the one chosen, if another): a
# reviewer looks for a unit by name in the search box; a list of 1,000 helps no one.
TOP_UNITS = 20


class Option(NamedTuple):
    value: str
    label: str
    n: int


def pool_facets(filterset: PoolFilter) -> dict:
    """Each filter's options with their counts, from the cache when the pool has not changed
    since they were counted: {"title_level": [Option], "unit", "nature", "district", "age":
    the same, "discipline": [(field's Option, [its sub-fields' Options])], "total": how many
    experts every filter keeps}."""
    filterset.is_valid()
    today = timezone.localdate()
    chosen = sorted(
        (name, str(getattr(value, "pk", value)))
        for name, value in filterset.form.cleaned_data.items()
        if value not in (None, "") and name != "status"
    )
    chosen.append(("status", filterset.status_chosen()))
    state = _pool_state(filterset.queryset.db)
    # The classification too: a sub-field added shows at once (where its cache is cleared).
    seen = (state, today.isoformat(), chosen, discipline_tree())
    digest = hashlib.sha256(repr(seen).encode()).hexdigest()
    key = f"{FACETS_KEY}:{digest}"
    facets = cache.get(key)
    if facets is None:
        facets = count_facets(filterset, today)
        cache.set(key, facets, FACETS_SECONDS)
    return facets


def _pool_state(using: str) -> tuple:
    """What changes whenever an expert joins or leaves the pool, or is frozen: the kept counts
    of approved and frozen experts and the latest decision among the approved (one index
    entry: the pool's order index)."""
    kept = counts.current()
    approved, frozen = (kept.get(status, 0) for status in IN_POOL)
    latest = (
        ExpertApplication.objects.using(using)
        .filter(status=ApplicationStatus.APPROVED)
        .aggregate(latest=Max("decided_at"))["latest"]
    )
    return approved, frozen, latest.isoformat() if latest else ""


def facet_queries(filterset: PoolFilter, today) -> dict:
    """Each facet's grouped query, as count_facets runs it (bench/explain.py shows their plans):
    each over the pool through every filter but its own."""
    narrowed = filterset.narrowed
    picks = ExpertApplication.disciplines.through.objects.filter(
        expertapplication_id__in=narrowed(leave_out={"discipline"}).order_by().values("pk")
    ).order_by()
    band_of = Case(
        *(When(age_condition(band, today), then=Value(band.value)) for band in AGE_BANDS)
    )
    return {
        # 专业领域: per discipline picked, and per field, each expert once however many of
        # its sub-fields they picked.
        "discipline": picks.values_list("discipline_id").annotate(n=Count("*")),
        "field": picks.values_list(Coalesce("discipline__parent_id", "discipline_id")).annotate(
            n=Count("expertapplication_id", distinct=True)
        ),
        # 专家状态: 审核通过 and 已冻结 (the scope, experts.selectors.admitted_for).
        "status": _grouped(narrowed(leave_out={"status"}), "status"),
        "title_level": _grouped(narrowed(leave_out={"title_level"}), "title_level"),
        "age": _grouped(narrowed(leave_out={"age"}), band_of),  # None: no 出生日期
        # 单位, 单位性质, 所在区: one row per unit; count_facets sums each facet over the
        # units that pass the two other filters.
        "units": narrowed(leave_out={"unit", "nature", "district"})
        .filter(unit__isnull=False)
        .order_by()
        .values_list("unit_id", "unit__name", "unit__nature", "unit__district")
        .annotate(n=Count("*")),
    }


def count_facets(filterset: PoolFilter, today) -> dict:
    """The counts, from the database: one grouped query per facet (two for 专业领域)."""
    data = filterset.form.cleaned_data
    queries = facet_queries(filterset, today)
    per_discipline, per_field = dict(queries["discipline"]), dict(queries["field"])
    facets = {
        "discipline": [
            (
                Option(str(field.pk), field.name, per_field.get(field.pk, 0)),
                [Option(str(pk), name, per_discipline.get(pk, 0)) for pk, name in field.children],
            )
            for field in discipline_tree()
        ]
    }

    statuses = dict(queries["status"])
    facets["status"] = [
        Option(value, label, statuses.get(value, 0)) for value, label in filterset.STATUSES
    ]
    levels = dict(queries["title_level"])
    # How many experts every filter keeps: the list's own count (experts.views.expert_pool).
    level = data.get("title_level")
    facets["total"] = levels.get(level, 0) if level else sum(levels.values())
    facets["title_level"] = [
        Option(value, label, levels.get(value, 0)) for value, label in TitleLevel.choices
    ]
    ages = dict(queries["age"])
    facets["age"] = [Option(band.value, band.label, ages.get(band.value, 0)) for band in AGE_BANDS]

    units = queries["units"]
    unit, nature, district = data.get("unit"), data.get("nature"), data.get("district")
    by_nature: dict[str, int] = {}
    by_district: dict[str, int] = {}
    by_unit = []
    for unit_id, name, unit_nature, unit_district, n in units:
        right_unit = unit is None or unit.pk == unit_id
        if right_unit and district in (None, "", unit_district):
            by_nature[unit_nature] = by_nature.get(unit_nature, 0) + n
        if right_unit and nature in (None, "", unit_nature):
            by_district[unit_district] = by_district.get(unit_district, 0) + n
        if nature in (None, "", unit_nature) and district in (None, "", unit_district):
            by_unit.append(Option(str(unit_id), name, n))
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


def _grouped(queryset, column):
    return queryset.order_by().values_list(column).annotate(n=Count("*"))
