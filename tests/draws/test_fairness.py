"""The draw is uniform, and no avoided expert is ever drawn.

- Uniformity: 10,000 draws of 5 from a pool of 50, each with a fresh seed from `secrets`; each
  expert's count is compared with the 1,000 expected by a chi-square test, which must not
  reject uniformity at p < 0.001.
- Avoidance: a property test (hypothesis) over generated pools and rules, through the same
  query and service the portal uses.
"""

import datetime
import math
import statistics
from collections import Counter

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import UnitStatus
from draws import fairness, services
from draws.models import Pick
from draws.rules import Criteria
from experts.choices import TitleLevel, levels_at_least
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from tests import factories

DRAWS, PICKED, POOL = 10_000, 5, 50


def chi_square_critical(df: int, p: float) -> float:
    """The chi-square value exceeded with probability `p` (Wilson–Hilferty's approximation,
    within 0.2 % of the tables at these sizes)."""
    z = statistics.NormalDist().inv_cdf(1 - p)
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def test_chi_square_critical_value_matches_the_tables():
    # Published: chi2.ppf(0.999, 49) = 85.351; chi2.ppf(0.95, 10) = 18.307.
    assert chi_square_critical(49, 0.001) == pytest.approx(85.351, rel=0.005)
    assert chi_square_critical(10, 0.05) == pytest.approx(18.307, rel=0.005)


def test_each_expert_is_equally_likely():
    ids = list(range(1001, 1001 + POOL))
    counts = Counter()
    for _ in range(DRAWS):
        counts.update(fairness.select(fairness.new_seed(), ids, PICKED))
    expected = DRAWS * PICKED / POOL
    chi_square = sum((counts[pk] - expected) ** 2 / expected for pk in ids)
    assert chi_square < chi_square_critical(POOL - 1, 0.001), (chi_square, counts)
    assert sum(counts.values()) == DRAWS * PICKED


def test_the_test_would_see_a_biased_draw():
    # The same statistic on a draw that favours low ids rejects uniformity.
    ids = list(range(POOL))
    counts = Counter()
    for n in range(DRAWS):
        seed = fairness.new_seed()
        chosen = fairness.select(seed, ids, PICKED)
        if n % 4 == 0:
            chosen = ids[:PICKED]
        counts.update(chosen)
    expected = DRAWS * PICKED / POOL
    chi_square = sum((counts[pk] - expected) ** 2 / expected for pk in ids)
    assert chi_square > chi_square_critical(POOL - 1, 0.001)


# A generated pool: each expert's unit (0–2), 职称级别, 专家状态 (only 审核通过 may be drawn:
# not the frozen, those leaving or gone, nor the rest), whether drawn recently; and a rule:
# avoided units, avoided experts, the lowest level, a cool-down.
STATUSES = [
    ApplicationStatus.APPROVED,
    ApplicationStatus.APPROVED,  # twice: most generated experts are drawable
    ApplicationStatus.REJECTED,
    ApplicationStatus.PENDING_BUREAU,
    ApplicationStatus.FROZEN,
    ApplicationStatus.EXIT_PENDING,
    ApplicationStatus.EXITED,
]
experts_strategy = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(TitleLevel.values),
        st.sampled_from(STATUSES),
        st.booleans(),  # drawn 10 days ago
    ),
    min_size=1,
    max_size=8,
)
rules_strategy = st.fixed_dictionaries(
    {
        "units": st.sets(st.integers(0, 2), max_size=2),
        "experts": st.sets(st.integers(0, 7), max_size=3),
        "level": st.sampled_from(["", *TitleLevel.values]),
        "cooldown": st.sampled_from([0, 30]),
        "cap": st.sampled_from([0, 1, 2]),  # 每人每年最多抽中次数 (the past draw was this year)
        "count": st.integers(1, 4),
    }
)


class AvoidanceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.units = [factories.make_unit(UnitStatus.APPROVED) for _ in range(3)]
        cls.reviewer = factories.make_reviewer()
        cls.field = Discipline.objects.get(code="01")

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(experts_strategy, rules_strategy)
    def test_no_avoided_expert_is_ever_drawn(self, pool, rule):
        applications, recent = [], set()
        for unit_no, level, status, drawn_recently in pool:
            approved = status == ApplicationStatus.APPROVED
            application = factories.make_applicant(self.units[unit_no], status).application
            application.disciplines.set([self.field])
            ExpertApplication.objects.filter(pk=application.pk).update(title_level=level)
            applications.append((application, unit_no, level, approved))
            if drawn_recently and approved:
                recent.add(application.pk)
        if recent:
            # A draw made now that chose exactly `recent`: within any cool-down.
            others = tuple(a.pk for a, *_ in applications if a.pk not in recent)
            past = services.make_draw(
                self.reviewer,
                project_name="以往",
                review_at=timezone.now(),
                review_place="x",
                criteria=Criteria(avoid_expert_ids=others),
                asks=[services.QuotaAsk(self.field, len(recent), 0)],
            )
            assert set(Pick.objects.filter(draw=past).values_list("application_id", flat=True)) == (
                recent
            )
        avoided_experts = {applications[i][0].pk for i in rule["experts"] if i < len(applications)}
        criteria = Criteria(
            avoid_unit_ids=tuple(self.units[u].pk for u in rule["units"]),
            avoid_expert_ids=tuple(sorted(avoided_experts)),
            min_title_level=rule["level"],
            cooldown_days=rule["cooldown"],
            yearly_cap=rule["cap"],
        )
        allowed = {
            a.pk
            for a, unit_no, level, approved in applications
            if approved
            and unit_no not in rule["units"]
            and a.pk not in avoided_experts
            and (not rule["level"] or level in levels_at_least(rule["level"]))
            and not (rule["cooldown"] and a.pk in recent)
            and not (rule["cap"] == 1 and a.pk in recent)  # drawn once this year: at the cap
        }
        try:
            draw = services.make_draw(
                self.reviewer,
                project_name="本次",
                # Another day than the past draw's: one review a day is not the rule tried here.
                review_at=timezone.now() + datetime.timedelta(days=1),
                review_place="x",
                criteria=criteria,
                asks=[services.QuotaAsk(self.field, rule["count"], 0)],
            )
        except services.NotEnough as refused:
            assert refused.eligible == len(allowed) < rule["count"]
            return
        drawn = set(Pick.objects.filter(draw=draw).values_list("application_id", flat=True))
        assert drawn <= allowed
        assert len(drawn) == rule["count"]
