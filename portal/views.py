from collections.abc import Callable, Sequence
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, connections, models
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.permissions import is_applicant, is_bureau_reviewer, is_unit_account
from audit.log import record
from audit.models import AuditEvent
from portal.listing import Rows
from portal.workflow import WorkflowError

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


@never_cache
@require_safe
def healthz(request):
    """For a load balancer or monitor: 200 when this node and its database answer, else 503."""
    try:
        with connection.cursor() as cursor:
            # A round trip that reads no table: no model query asks only "do you answer?".
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def role_required(predicate):
    """Let through users for whom predicate(user) holds; send visitors to log in first."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


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


def icontains_any(*fields: str) -> Callable[..., QuerySet]:
    """A list page's search: rows with the term in any of `fields` (a scan, for short lists)."""

    def search(queryset: QuerySet, term: str, *, common: bool = False) -> QuerySet:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": term})
        return queryset.filter(condition)

    return search


# A search counts its results up to this many; past it, the page says "1000+" and lists the
# first 1,000. Counting all 10,000 applicants who have 集成电路 read 6,000 table pages (16 ms);
# finding that there are more than 1,000 reads a sixth of them (docs/performance.md).
SEARCH_COUNT_LIMIT = 1000


def capped_counts(queryset: QuerySet) -> dict[str, int]:
    """Per-status counts of the first SEARCH_COUNT_LIMIT + 1 rows of `queryset`: exact if they
    add up to the limit or fewer; otherwise all that is known is that there are more."""
    first = queryset.order_by().values("status")[: SEARCH_COUNT_LIMIT + 1]
    sql, params = first.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT status, COUNT(*) FROM ({sql}) found GROUP BY status", params)
        return dict(cursor.fetchall())


def filtered_page(
    request,
    queryset,
    *,
    choices,
    default_status,
    search: Callable[..., QuerySet],
    order_by,
    counts: Callable[[], dict[str, int]] | None = None,
    rows: Rows,
    first_matches: Callable[..., Sequence[int] | None] | None = None,
):
    """A list page's context: per-status counts, status filter, search, and one page of
    PAGE_SIZE rows.

    The counts come from one aggregate query, or from `counts()` when the view has them kept
    already (they must then count exactly `queryset`). A search counts its results up to
    SEARCH_COUNT_LIMIT; `search(queryset, term, common=True)` is asked for the page's rows of
    a status with more matches than that (see experts.search.matching). `rows(queryset)` is
    the page's own query, with what its rows show (experts.selectors.listed): the counts and
    the search leave out its joins.

    `first_matches(queryset, term, order_by, limit)`, for a page of one status, gives the keys
    of the first `limit` matches in the list's order, found in one query, or None where it
    cannot (experts.search.first_matches). The page asks it for SEARCH_COUNT_LIMIT + 1: they
    give both the count and every page's keys."""
    query = search_term(request)
    unfiltered = queryset
    valid = [value for value, _ in choices]
    # The keys of the first matches in the list's order, when the search found them so.
    found = None
    if query and first_matches and len(valid) == 1:
        found = first_matches(queryset, query, order_by, SEARCH_COUNT_LIMIT + 1)
    if found is not None:
        counted = {valid[0]: len(found)}
    elif query:
        queryset = search(queryset, query)
        counted = capped_counts(queryset)
    elif counts is None:
        counted = dict(queryset.order_by().values_list("status").annotate(n=Count("*")))
    else:
        counted = counts()
    # Past the limit, the counts are of a sample: only their sum, "more than the limit", holds.
    sampled = bool(query) and sum(counted.values()) > SEARCH_COUNT_LIMIT
    status = str(request.GET.get("status", default_status))  # a plain str, as when asked for
    if status not in valid:
        status = "all"
    if status != "all":
        queryset = queryset.filter(status=status)
    if not sampled:
        total = sum(counted.get(value, 0) for value in (valid if status == "all" else [status]))
    elif status == "all" or len(valid) == 1:
        total = SEARCH_COUNT_LIMIT + 1
    else:
        total = sum(capped_counts(queryset).values())
    more = bool(query) and total > SEARCH_COUNT_LIMIT  # a capped search, not a long list
    number = request.GET.get("page")
    if not query:
        # An index gives the order: the database reads and joins the page's 25 rows only.
        ordered = rows.ordered(queryset, order_by)
        page = CountedPaginator(ordered, PAGE_SIZE, count=total).get_page(number)
    else:
        # A search term may match thousands of rows, each to be sorted: the page's keys are
        # found from narrow rows, and only those 25 are joined, in the same query (27 ms
        # instead of 45 ms for a term matching 5,500 applicants). A term that common in one
        # status is searched for along that status's index instead (`common`).
        if found is not None:
            keys = found[:SEARCH_COUNT_LIMIT]
        else:
            if more and status != "all":
                queryset = search(unfiltered, query, common=True).filter(status=status)
            keys = queryset.order_by(*order_by).values_list("pk", flat=True)
        page = CountedPaginator(keys, PAGE_SIZE, count=min(total, SEARCH_COUNT_LIMIT))
        page = page.get_page(number)
        # Only the page's keys come from the search; their rows are read by key.
        keys = list(page.object_list)
        page.object_list = rows.by_keys(queryset.model, keys, order_by, queryset.db)

    def shown(n: int) -> int | None:
        return None if sampled else n  # a sample's counts are not shown

    return {
        "page": page,
        "rows": page.object_list,
        "status": status,
        "q": query,
        "more": more,
        "limit": SEARCH_COUNT_LIMIT,
        "tabs": [("all", "全部", shown(sum(counted.get(value, 0) for value in valid)))]
        + [(value, label, shown(counted.get(value, 0))) for value, label in choices],
    }


class CountedPaginator(Paginator):
    """A Paginator told the number of rows: the tabs have counted them already."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count  # instead of the cached_property's COUNT(*) query
