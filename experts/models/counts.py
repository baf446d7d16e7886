"""Kept counts and the rows 专家库's facets count, changed in the transaction that changes what
they count (experts.counts, experts.facets; docs/performance.md)."""

from django.db import models, transaction

from experts.models.application import ExpertApplication
from experts.models.reference import Discipline
from experts.models.states import ApplicationStatus


class StatusCount(models.Model):
    """How many applications are in each 专家状态, changed in the transaction that moves one.

    The bureau's pages show these counts on every request; counting every row each time costs
    more than the rest of the page (docs/performance.md). experts.counts keeps them."""

    status = models.CharField(
        "专家状态", max_length=20, choices=ApplicationStatus.choices, unique=True
    )
    n = models.IntegerField("数量", default=0)
    # Of those, the ones 退回 and not submitted since (returned_at): only drafts have it. 专家审核
    # shows them, not the drafts never submitted, in its 信息未填写 tab (selectors.review_queue).
    returned = models.IntegerField("其中已退回（待修改）", default=0)
    # And the ones revised after 审核不通过 and not submitted since (revising_at): 专家审核's
    # 待申请人修改 tab counts them with the returned ones.
    revising = models.IntegerField("其中修改中（曾审核不通过）", default=0)

    class Meta:
        verbose_name = "专家状态计数"
        verbose_name_plural = "专家状态计数"

    def __str__(self) -> str:
        return f"{self.get_status_display()}：{self.n}"


class UnitStatusCount(models.Model):
    """How many of one unit's applications are in each 专家状态, kept as StatusCount is.

    用户账号管理 shows them on every request; counting a unit's rows costs more the bigger the
    unit (docs/performance.md)."""

    # No index of its own: the unique (unit, status) serves lookups by unit.
    unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name="单位",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    status = models.CharField("专家状态", max_length=20, choices=ApplicationStatus.choices)
    n = models.IntegerField("数量", default=0)

    class Meta:
        verbose_name = "单位专家状态计数"
        verbose_name_plural = "单位专家状态计数"
        constraints = [
            models.UniqueConstraint(fields=["unit", "status"], name="unit_status_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.get_status_display()}：{self.n}"


class DueCount(models.Model):
    """How many applications in each waiting 专家状态 fall due on each day, kept as StatusCount
    is (experts.counts): 专家审核's tabs show how many are overdue on every request, and
    counting the overdue rows reads one index entry per row, 15,000 of them when a year's
    backlog is overdue; summing the days before today reads one row per day
    (docs/performance.md). A day whose count falls to zero is deleted."""

    status = models.CharField("专家状态", max_length=20, choices=ApplicationStatus.choices)
    due_on = models.DateField("截止日期")
    n = models.IntegerField("数量", default=0)

    class Meta:
        verbose_name = "截止日期计数"
        verbose_name_plural = "截止日期计数"
        constraints = [
            models.UniqueConstraint(fields=["status", "due_on"], name="due_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.due_on}：{self.n}"


class FacetDisciplineManager(models.Manager):
    CHUNK = 1000  # applications a round of queries (a query's parameters are limited)

    def rebuild(self, application_ids) -> None:
        """Rewrite the rows of these applications from their picks (four queries for each
        thousand). Called wherever picks or a sub-field's field change (experts.receivers, the
        专业领域 admin), in that change's transaction, and by seed_scale and refresh_search."""
        ids = sorted(set(application_ids))
        for start in range(0, len(ids), self.CHUNK):
            chunk = ids[start : start + self.CHUNK]
            with transaction.atomic():
                # The applications locked first, in the order of their ids: two rebuilds of one
                # application (an admin's edit and a change applied at once) take turns, and
                # the second deletes what the first wrote instead of inserting beside it (the
                # unique constraint would refuse). Delete and insert commit together: no count
                # sees the rows gone.
                list(
                    ExpertApplication.objects.select_for_update()
                    .filter(pk__in=chunk)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                picks = ExpertApplication.disciplines.through.objects.filter(
                    expertapplication_id__in=chunk
                ).values_list("expertapplication_id", "discipline_id", "discipline__parent_id")
                wanted = set()
                for application_id, discipline_id, parent_id in picks:
                    wanted.add((application_id, discipline_id))
                    if parent_id is not None:
                        wanted.add((application_id, parent_id))
                self.filter(application_id__in=chunk).delete()
                self.bulk_create(
                    [self.model(application_id=a, discipline_id=d) for a, d in sorted(wanted)]
                )


class FacetDiscipline(models.Model):
    """The 专业领域 an application is counted under: each it picked, and the field of each
    sub-field it picked, once each. 专家库's 专业领域 facet counts group these rows in one
    query: a field's count is then its rows', with no COUNT(DISTINCT) over the picks of its
    sub-fields and no join to the classification (docs/performance.md). Kept from the picks
    (FacetDisciplineManager.rebuild); `python manage.py refresh_search` rebuilds them all."""

    application = models.ForeignKey(
        ExpertApplication, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    discipline = models.ForeignKey(Discipline, on_delete=models.CASCADE, related_name="+")

    objects = FacetDisciplineManager()

    class Meta:
        verbose_name = "专业领域计数行"
        verbose_name_plural = "专业领域计数行"
        constraints = [
            # Also the index the facet count joins the pool's matches through.
            models.UniqueConstraint(
                fields=["application", "discipline"], name="facet_discipline_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.discipline_id}"
