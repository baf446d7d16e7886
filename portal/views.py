from collections import Counter
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, models
from django.db.models import Count
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.models import User
from accounts.permissions import (
    UNIT_NOT_APPROVED,
    is_applicant,
    is_approved_unit_account,
    is_bureau_reviewer,
    is_unit_account,
)
from audit.log import record
from audit.models import AuditEvent
from portal import caching, privacy
from portal.crypto import decrypt, decrypts
from portal.filters import ALL
from portal.triggers import trigger_state
from portal.workdays import calendar_status
from portal.workflow import WorkflowError
from sms import outbox

PAGE_SIZE = 25


def home(request):
    """The landing page for visitors; everyone else goes to their own start page."""
    user = request.user
    if is_bureau_reviewer(user):
        return redirect("experts:bureau_queue")
    if is_unit_account(user):
        return redirect("accounts:unit_home")
    if is_applicant(user):
        return redirect("experts:home")
    return render(request, "home.html")


@require_safe
def privacy_notice(request):
    """个人信息保护说明 (no login): what the portal does with personal information, in this
    deployment's names; linked from every page's footer and from both registrations."""
    return render(request, "privacy.html", {"title": privacy.NOTICE_TITLE, "f": privacy.facts()})


@never_cache
@require_safe
def healthz(request):
    """For a load balancer or monitor: 200 when this node and its database answer, else 503.
    `?details` adds what an operator should know (the working-day calendar's last year, the
    SMS waiting to be sent and the age of the oldest, the SMS that failed in the last day, the
    append-only tables' triggers, the cache, whether a stored number decrypts and whether its
    stored hash is FIELD_HMAC_KEY's), and answers 503 while a trigger is missing or disabled,
    the cache does not answer, the stored numbers cannot be decrypted with
    FIELD_ENCRYPTION_KEYS or their hashes were made under another FIELD_HMAC_KEY."""
    try:
        with connection.cursor() as cursor:
            # A round trip that reads no table: no model query asks only "do you answer?".
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    problem = static_files_problem()
    if problem:
        return HttpResponse(problem, status=503, content_type="text/plain")
    if "details" not in request.GET:
        # Not the cache: pages answer without it (portal.caching), and with one shared cache a
        # balancer routing on this would take every node out at once, serving nothing.
        return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
    # For operators: whether working days beyond the calendar's last year are guesses, whether
    # the SMS worker keeps up, whether the append-only tables' triggers still refuse changes,
    # and whether the cache answers (docs/deployment.md says what to watch). Only here: a
    # catalogue query per trigger is no probe's business.
    triggers = trigger_state()
    cache_answers = caching.reachable()  # one read of one key
    faults = []
    if not triggers.applies and not triggers.ok:
        faults.append("database is not PostgreSQL: no protection triggers")
    elif not triggers.ok:
        faults.append("protection triggers not all installed and enabled")
    if not cache_answers:
        faults.append("cache unavailable")
    keys_fit, keys_message = encryption_status()
    if not keys_fit:
        faults.append("stored personal numbers cannot be decrypted with FIELD_ENCRYPTION_KEYS")
    index_fits, index_message = blind_index_status()
    if not index_fits:
        faults.append("stored blind indexes do not match FIELD_HMAC_KEY")
    body = "\n".join(faults or ["ok"]) + "\n"
    body += f"calendar: {calendar_status(timezone.localdate())['message']}\n"
    body += f"sms: {sms_backlog()}\n"
    body += f"sms-failed-24h: {sms_failures()}\n"
    body += f"encryption: {keys_message}\n"
    body += f"blind-index: {index_message}\n"
    body += f"triggers: {triggers.message}\n"
    body += f"cache: {cache_status(answers=cache_answers)}\n"
    return HttpResponse(
        body, status=503 if faults else 200, content_type="text/plain; charset=utf-8"
    )


def encryption_status() -> tuple[bool, str]:
    """Whether the oldest stored ID number decrypts with FIELD_ENCRYPTION_KEYS, and the line
    saying so. A restore under other keys passes migrate, check and every other line here,
    while each page that reads a number answers 500. The oldest, as the one most likely under
    a key dropped too early after a rotation. One read of one row; the value is never shown."""
    token = (
        User.objects.exclude(id_number="")
        .order_by("pk")
        # The stored token as text: read through the field, it would be decrypted (or raise).
        .annotate(token=Cast("id_number", output_field=models.TextField()))
        .values_list("token", flat=True)
        .first()
    )
    if token is None:
        return True, "尚无加密存储的证件号码"
    if decrypts(token):
        return True, "已存储的证件号码可用 FIELD_ENCRYPTION_KEYS 解密"
    return False, (
        "已存储的证件号码无法用 FIELD_ENCRYPTION_KEYS 解密：密钥与数据库不符"
        "（恢复时用了别的密钥，或轮换后过早删去了旧密钥）"
    )


def blind_index_status() -> tuple[bool, str]:
    """Whether the stored hashes of ID numbers (the blind index that bans, certificates and the
    one-account-per-ID-number rule compare) are the ones FIELD_HMAC_KEY, or a key of
    FIELD_HMAC_OLD_KEYS while a rotation is under way, makes of their numbers. A restore under
    another FIELD_HMAC_KEY passes everything else, while no ban matches, every 入库证明 reads
    已失效 and an ID number registers twice. The oldest and the newest account are read
    (reindex_personal_data goes in key order: a rotation stopped halfway has the oldest on
    the new key and the newest on the old); neither a number nor its hash is shown."""
    accounts = (
        User.objects.exclude(id_number="")
        .exclude(id_number_index="")
        .annotate(token=Cast("id_number", output_field=models.TextField()))
        .values_list("id_type", "token", "id_number_index")
    )
    rows = [accounts.order_by("pk").first(), accounts.order_by("-pk").first()]
    if rows[0] is None:
        return True, "尚无证件号码索引"
    keys = set()
    for id_type, token, stored in rows:
        if not decrypts(token):
            # The encryption line says why; without the number there is nothing to hash.
            return True, "未核对（证件号码无法解密，见 encryption 一行）"
        indexes = User.id_indexes(id_type, decrypt(token))
        keys.add("current" if stored == indexes[0] else "old" if stored in indexes[1:] else "")
    if "" in keys:
        return False, (
            "已存储的证件号码索引与 FIELD_HMAC_KEY 不符：密钥与数据库不符"
            "（恢复时用了别的 FIELD_HMAC_KEY，或轮换时未把原密钥放入 FIELD_HMAC_OLD_KEYS）；"
            "禁入名单、证书查验和证件号码唯一检查都将失效"
        )
    if "old" in keys:
        return True, (
            "已存储的证件号码索引与 FIELD_HMAC_OLD_KEYS 中的旧密钥相符"
            "（密钥轮换未完成：运行 reindex_personal_data）"
        )
    return True, "已存储的证件号码索引与 FIELD_HMAC_KEY 相符"


def cache_status(answers: bool) -> str:
    """The default cache's backend, where it is (without a password) and whether it answers."""
    config = settings.CACHES["default"]
    where = []
    for location in str(config.get("LOCATION", "")).split(","):
        parts = urlsplit(location.strip())
        host = parts.netloc.rpartition("@")[2]  # user:password@ left out
        where.append(f"{parts.scheme}://{host}{parts.path}" if host else location.strip())
    backend = config["BACKEND"].rsplit(".", 1)[-1]
    return f"{backend} {' '.join(filter(None, where))}".strip() + ("" if answers else " 未响应")


# Linked from every page (jinja/base.html).
PAGE_STYLESHEET = "css/portal.css"


def static_files_problem() -> str:
    """With a manifest storage (the default with DEBUG off), every page's static() looks its
    files up in the manifest `collectstatic` writes, as this process loaded it: without one,
    every page is a 500 while the database answers. A lookup is a dictionary read."""
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return ""
    try:
        staticfiles_storage.url(PAGE_STYLESHEET)
    except ValueError as error:
        return (
            f"static files not collected ({error}): run manage.py collectstatic,"
            " then restart the portal\n"
        )
    return ""


def sms_backlog() -> str:
    count, oldest = outbox.backlog()
    if not count:
        return "没有待发送的短信"
    minutes = int((timezone.now() - oldest).total_seconds() // 60)
    line = f"待发送{count}条，最早一条已等待{minutes}分钟"
    reason = outbox.waiting_reason()
    return line + (f"；最近一次未发出：{reason}" if reason else "")


def sms_failures() -> str:
    """`N` first, for a monitor to alert on (`^sms-failed-24h: [1-9]`), then what failed."""
    failures = outbox.recent_failures()
    if not failures["count"]:
        return "0"
    line = f"{failures['count']}（最近24小时发送失败{failures['count']}条"
    if failures["to_check"]:
        line += f"，其中{failures['to_check']}条是否已送达待核实"
    reason = failures["latest_reason"] or "原因未记录"
    return line + f"；最近一次：{reason}）"


def role_required(predicate):
    """Let through users for whom predicate(user) holds; send visitors to log in first."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.method != "GET":
                    # A form posted after the session ended: nothing is done, and after the
                    # login the person goes back to the page they posted from, not to a URL
                    # that only takes a POST (405).
                    messages.warning(request, "登录已超时，刚才的操作未执行。请重新登录后再试。")
                    return redirect_to_login(_page_posted_from(request))
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                if predicate is is_approved_unit_account and is_unit_account(request.user):
                    raise PermissionDenied(UNIT_NOT_APPROVED)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _page_posted_from(request) -> str:
    """The page of this site a form was posted from (its Referer), or the start page."""
    referer = request.headers.get("referer", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        page = urlsplit(referer)
        return page.path + (f"?{page.query}" if page.query else "")
    return "/"


def safe_next(request) -> str:
    """The page a step was asked to return to (`next`, posted or in the query), when it is one
    of this site's; else "" (an address elsewhere is never followed: an open redirect)."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


def posted(request) -> tuple:
    """A form's data: bound on every POST (even an empty one), unbound on GET."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def search_term(request, limit: int = 100) -> str:
    """The ?q= search text, without NUL characters (PostgreSQL refuses them in a query)."""
    return request.GET.get("q", "").replace("\x00", "").strip()[:limit]


def perform(request, action, *args, success: str, **kwargs) -> bool:
    """Run a service; tell the person what happened, or why it could not happen."""
    try:
        action(*args, **kwargs)
    except WorkflowError as error:
        messages.error(request, str(error))
        subject = args[0] if args and isinstance(args[0], models.Model) else None
        record(
            AuditEvent.Action.TRANSITION,
            request=request,
            obj=subject,
            result=AuditEvent.Result.FAILURE,
            detail=str(error),
        )
        return False
    messages.success(request, success)
    return True


# A search counts its results up to this many; past it, the page says "1000+" and lists the
# first 1,000: finding that there are more reads a fraction of what counting them all would
# (docs/performance.md).
SEARCH_COUNT_LIMIT = 1000


def list_page(
    request,
    queryset,
    filters,
    *,
    default_status,
    order_by,
    shown,
    counts=None,
    narrowed_counts=None,
    overdue_counts=None,
):
    """A list page's context: scope → filter → count → paginate.

    `queryset` is the user's scope (applications_for, units_for); `filters` a
    portal.filters.ListFilterSet; `shown(queryset)` the rows as the page prints them (.only(),
    annotate), in `order_by`, the order of the list's index. The tabs count per status: from
    `counts()`, kept counts of exactly `queryset`, when no filter but the status is set;
    otherwise from the filtered rows, a search up to SEARCH_COUNT_LIMIT, or, without a search,
    from `narrowed_counts(filterset)` when given (专家库's facets have counted them already).

    A queue (a FilterSet with WAITING statuses) also counts the overdue rows of each waiting tab
    (`overdue`): from `overdue_counts()`, kept counts of exactly `queryset`, under the same
    condition as `counts()`; otherwise among the filtered rows, in one grouped query; not at all
    beside a search's sampled counts, which the tabs do not show either. On a tab that carries
    a 截止日期 it may be sorted by it (?sort=due) instead of `order_by`."""
    data = request.GET.copy()
    data["q"] = search_term(request)
    data.setdefault("status", default_status)
    filterset = filters(data, queryset=queryset)
    narrowed = filterset.narrowed()
    order_by = filterset.ordering(order_by)
    term, status = filterset.term(), filterset.status_chosen()
    valid = [value for value, _ in filterset.STATUSES]
    if term:
        first = narrowed.order_by(*order_by) if filterset.count_in_order else narrowed.order_by()
        counted = Counter(first.values_list("status", flat=True)[: SEARCH_COUNT_LIMIT + 1])
    elif counts is not None and not filterset.narrowing():
        counted = counts()
    elif narrowed_counts is not None:
        counted = narrowed_counts(filterset)
    else:
        counted = dict(narrowed.order_by().values_list("status").annotate(n=Count("*")))
    # Past the limit, the counts are of a sample: only their sum, "more than the limit", holds.
    sampled = bool(term) and sum(counted.values()) > SEARCH_COUNT_LIMIT
    rows = filterset.by_status(narrowed)
    if not sampled:
        total = sum(counted.get(value, 0) for value in (valid if status == ALL else [status]))
    elif status == ALL or len(valid) == 1:
        total = SEARCH_COUNT_LIMIT + 1
    else:
        total = rows.order_by()[: SEARCH_COUNT_LIMIT + 1].count()
    more = bool(term) and total > SEARCH_COUNT_LIMIT  # a capped search, not a long list
    paginator = CountedPaginator(
        shown(rows).order_by(*order_by),
        PAGE_SIZE,
        count=min(total, SEARCH_COUNT_LIMIT) if term else total,
    )
    page = paginator.get_page(request.GET.get("page"))

    def tab_count(n: int) -> int | None:
        return None if sampled else n  # a sample's counts are not shown

    # status → how many of its rows are overdue, for the waiting tabs (portal.filters).
    if sampled:
        overdue = {}  # a tab whose own count is hidden hides its overdue part too
    elif overdue_counts is not None and not filterset.narrowing():
        overdue = overdue_counts()
    else:
        overdue = filterset.overdue_counts(narrowed)

    return {
        "page": page,
        "rows": page.object_list,
        "status": status,
        "q": term,
        "more": more,
        "limit": SEARCH_COUNT_LIMIT,
        "filter": filterset,
        "overdue": overdue,
        "deadlines": bool(filterset.WAITING),
        # The tab carries a 截止日期 (a waiting status, or 全部): 按截止日期 is offered there only.
        "dated": filterset.dated(),
        "overdue_only": filterset.overdue_only(),
        "sort": filterset.sort_chosen(),
        "tabs": [(ALL, "全部", tab_count(sum(counted.get(value, 0) for value in valid)))]
        + [(value, label, tab_count(counted.get(value, 0))) for value, label in filterset.STATUSES],
    }


class CountedPaginator(Paginator):
    """A Paginator told the number of rows: the tabs have counted them already."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        # Instead of Paginator's own, a COUNT(*) query.
        return self.known_count
