"""专家入库公示: what the public page lists, and the bureau's view of one application's notice.

The public list is the experts approved on or after notice.periods.first_decision_day(today),
newest first: name, unit, 专业领域, 专业技术职称 and their 公示期, nothing else. A page is read
with one count, one query for its rows and one for their 专业领域 (the (status, decided_at, id)
index gives the range in order), then kept in Django's cache for CACHE_SECONDS under the day
and a version that every approval or reversal renews once committed (notice.receivers): a
visitor reloading the page, or many visitors, cost no query.
"""

import uuid

from django.db.models import Prefetch

from experts.choices import join_disciplines
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from experts.selectors import with_columns
from notice import periods
from notice.models import NoticeObjection
from portal.caching import cache

CACHE_SECONDS = 300
VERSION_KEY = "notice:version"
# What a row of the public page reads; nothing else of the application is loaded.
PUBLIC_COLUMNS = ("decided_at", "title", "real_name", "unit_name")
OBJECTION_COLUMNS = (
    "objector",
    "channel",
    "content",
    "created_at",
    "created_by__real_name",
    "created_by__username",
)


def version() -> str:
    """The current version of the list: a random token, so that an evicted one never brings
    back rows cached under an older one."""
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None, if_unreachable=False)
        current = cache.get(VERSION_KEY)
    # A cache that does not answer has no version: a fresh one, under which nothing is kept
    # (a page cached under it as the cache comes back is never read again).
    return current if current is not None else uuid.uuid4().hex


def forget_rows() -> None:
    """Leave every cached page behind (they expire on their own)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def on_notice(today):
    """The approvals on notice `today`, newest first (the public scope: no user's)."""
    first = periods.first_decision_day(today)
    return ExpertApplication.objects.filter(
        status=ApplicationStatus.APPROVED, decided_at__gte=periods.start_of(first)
    ).order_by("-decided_at", "-pk")


def public_rows(today):
    """on_notice(today) as the page prints it: its columns and 专业领域 (one query a page)."""
    disciplines = Prefetch("disciplines", queryset=Discipline.objects.order_by("code").only("name"))
    return with_columns(on_notice(today), *PUBLIC_COLUMNS).prefetch_related(disciplines)


def count_on_notice(today) -> int:
    key = f"notice:count:{version()}:{today.isoformat()}"
    count = cache.get(key)
    if count is None:
        count = on_notice(today).count()
        cache.set(key, count, CACHE_SECONDS)
    return count


def page_rows(today, page) -> list[dict]:
    """The rows of `page` (a Paginator page over public_rows(today)) as plain values, cached
    under the page's number (the paginator has brought it within the real range)."""
    key = f"notice:page:{version()}:{today.isoformat()}:{page.number}"
    rows = cache.get(key)
    if rows is None:
        rows = [public_row(application, today) for application in page.object_list]
        cache.set(key, rows, CACHE_SECONDS)
    return rows


def public_row(application: ExpertApplication, today) -> dict:
    period = periods.period_of(application.decided_at, today)
    return {
        "name": application.real_name,
        "unit": application.unit_name or "",
        "disciplines": join_disciplines(d.name for d in application.disciplines.all()),
        "title": application.title,
        "starts": period.starts,
        "ends": period.ends,
    }


def notice_panel(application: ExpertApplication, today) -> dict:
    """The bureau detail page's 公示与异议: the 公示期 of an approved application, whether it
    still runs, and the objections recorded on it (any state: a revoked one keeps them)."""
    # An expert imported from the previous system was never on 公示 here: no period to show.
    approved = application.status == ApplicationStatus.APPROVED and not application.imported_at
    period = periods.period_of(application.decided_at, today) if approved else None
    return {
        "enabled": periods.enabled(),
        "period": period,
        "objections": list(
            NoticeObjection.objects.filter(application=application)
            .select_related("created_by")
            # The reviewer's name, not their password hash or ID number.
            .only(*OBJECTION_COLUMNS)
            .order_by("-created_at", "-pk")
        ),
        "open": periods.enabled() and period is not None and period.running,
    }
