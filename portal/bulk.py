"""Bulk decisions: one action, one reason, many objects, each through its single-decision service.

The queue's form sends the ticked ids (or "all matching this filter") to a confirmation page:
how many, their names, the reason when the action needs one. Confirming posts the ids back;
each item then goes through the same service as a decision on its detail page, in its own
transaction (its lock, transition, history, audit row and SMS), so a batch never half-applies
an item: one the database refuses part-way is rolled back whole and listed as skipped, and
the others go ahead. An item outside the person's scope, or whose state changed meanwhile, or
that they may not decide (their own application), is skipped with the reason, and the audit
trail has a 失败 row for each skipped item besides the batch's summary row. The result is
a page of its own after a redirect, which a reload shows again without deciding anything. Each
confirmation page carries a one-time token: confirming it again (the browser's back button, a
second click) decides nothing and shows that batch's result. Works without JavaScript. The
actions come from the same tables as the detail pages' (portal.transitions.Action). Each batch
is a row of its own (accounts.models.BulkBatch), not part of the session: two batches run side
by side in two tabs of one login keep each its result and its used token.

A batch the database cuts off (a restart, a lost connection) stops at that item: the rest would
fail the same way. The person is told how many were done and that confirming again does the
rest, with a button that continues the same batch: each item is still decided once, by its own
lock and state check (those done are skipped as decided already).
"""

import datetime
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.contrib import messages
from django.core import signing
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from accounts.models import BulkBatch
from audit import log as audit_log
from audit.models import AuditEvent
from portal.transitions import Action
from portal.views import SEARCH_COUNT_LIMIT, role_required, search_term
from portal.workflow import WorkflowError

# At most this many items in one batch: a confirmation page lists them all, and a batch of 500
# approvals finishes within seconds (bench/).
BATCH_LIMIT = 500
OUT_OF_SCOPE = "不存在或不在您的处理范围内"
ITEM_FAILED = "系统处理此项时出错，此项未作任何更改，请稍后单独处理"

# Each confirmation page has a one-time token (`batch`), in its address and in its form, signed
# for the person it was given to: a page needs no stored state until its batch runs, so any
# number of pages may be open side by side. Confirming a page inserts its batch's row
# (BulkBatch, unique by token) before the first item is decided, and the row keeps the result
# once done: the result page (post/redirect/get) shows it however often it is reloaded, and the
# page opened again (the browser's back button, which may ask the server again or show the page
# as it was) and confirmed again shows that result and decides nothing. Rows are kept
# BulkBatch.KEEP_DAYS, longer than a token is valid.
BATCH_SALT = "portal.bulk.batch"
# Signed as "<user id>.<random>.<time>.<signature>": no character an address escapes.
BATCH_SIGNER = {"salt": BATCH_SALT, "sep": "."}
# A confirmation page older than this is refused (its list has moved on).
BATCH_SECONDS = 12 * 60 * 60
# A batch still running holds its row under its run's random `claim`. A second post of the
# page (a double click, the page in another tab) finds the row running and runs nothing. Two
# runs may take it over:
# - the continue button of the page an interrupted batch answered with, which carries that
#   run's claim: the run that stopped could not mark its row (the database was away), and
#   nothing else holds that claim. The takeover is one conditional update, so a double click
#   on that button runs the rest once;
# - any post of the page once the claim is older than CLAIM_SECONDS: the run whose process was
#   killed (gunicorn's worker timeout, a restart) or that failed otherwise (an error page) left
#   its row running. Much longer than a batch of BATCH_LIMIT runs (docs/performance.md). A
#   claim taken over from a batch still running lets a second run go ahead side by side: each
#   item is still decided once, by its lock and state check.
# Letting a post continue a row that is older than the post's own start would not tell the two
# apart: a double click's second post may start after the first has inserted its row.
CLAIM_SECONDS = 5 * 60
ALREADY_DONE = "该批次已处理，未重复执行。以下是该批次的处理结果。"

logger = logging.getLogger(__name__)


class Item(NamedTuple):
    """One listed item of a batch: its id, its name, and what else tells it apart (`note`)."""

    pk: int
    name: str
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    pk: int
    name: str
    done: bool
    why: str = ""
    url: str = ""  # on the result page: the item's detail page, where the person may open it


class Selection(Exception):
    """The selection cannot be decided on; the message says why, in the person's words."""


class Interrupted(Exception):
    """The database went away part-way through a batch: `outcomes` are the items decided or
    skipped before it; the item it failed on and those after it were not decided."""

    def __init__(self, outcomes: list[Outcome]):
        super().__init__(f"batch interrupted after {len(outcomes)} items")
        self.outcomes = outcomes


class BulkDecisionView(View):
    """GET: the confirmation page for ?action=…&ids=… (or &select=all with the list's filters).
    POST: decide each item, then go to the result page (GET ?action=…&result=…): what was done
    and what was skipped, and why, which a reload shows again without deciding anything.

    Configured through as_view():
    - actions: the actions of the detail page's table a batch may take, {action: Action};
      each needs its label in action_labels, and an action not given answers 404;
    - scope: user → the queryset they may decide from (applications_for, units_for);
    - filters: the list's FilterSet, for "all matching this filter";
    - status: the status tab whose items the action decides (待科技局审核 …): "all matching this
      filter" takes the list's other filters within that tab;
    - names: queryset → its rows (values_list), in the queryset's order: pk, name, and any
      other columns `note` reads;
    - order: the list's own order (its `order_by`): the confirmation page lists the items in
      it, or in the 排序 the list was shown in (按截止日期), as the person chose them;
    - note: the other columns of a row → what the confirmation page adds beside the name
      (the unit, the 资格提示 …); none by default;
    - list_url: the list's URL name;
    - detail_url: the URL name of an item's detail page (its pk the one argument): the result
      page links each name the person may still open (within `scope`) to it;
    - noun: what an item is called (申请), and measure: its measure word after a number (份):
      "请先勾选要处理的申请", "共 3 份申请";
    - action_labels: {action: its button label}; action_styles: {action: its confirm button's
      class}, red for a refusal as on the detail page (default btn-primary);
    - notes: {action: what the result page adds once items are done, e.g. who is told how}.
    """

    http_method_names = ["get", "post"]
    actions: Mapping[str, Action] = {}
    scope: Callable[[Any], QuerySet] | None = None
    filters = None
    status = ""
    names: Callable[[QuerySet], QuerySet] | None = None
    order: Sequence[Any] = ("pk",)
    note: Callable[..., str] | None = None
    list_url = ""
    detail_url = ""
    noun = "项目"
    measure = "个"
    action_labels: Mapping[str, str] = {}
    action_styles: Mapping[str, str] = {}
    notes: Mapping[str, str] = {}

    def dispatch(self, request, *args, **kwargs):
        def may_decide(user) -> bool:
            return any(row.permission(user) for row in self.actions.values())

        return role_required(may_decide)(self.checked_dispatch)(request, *args, **kwargs)

    def checked_dispatch(self, request, *args, **kwargs):
        data = request.POST if request.method == "POST" else request.GET
        self.action = data.get("action", "")
        self.row = self.actions.get(self.action)
        if self.row is None or not self.row.permission(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def list_link(self, query) -> str:
        """The list's URL with its filters and tab (`query`, a QueryDict) as the person left
        it, without the batch's own fields."""
        query = query.copy()
        for key in ("action", "ids", "select", "back", "batch", "csrfmiddlewaretoken"):
            query.pop(key, None)
        url = reverse(self.list_url)
        return f"{url}?{query.urlencode()}" if query else url

    def back_query(self, request):
        """The list's query: the confirmation page's own on GET; on POST, the copy it sent."""
        if request.method == "POST":
            return QueryDict(request.POST.get("back", ""))
        return request.GET

    def back_to_list(self, request):
        return HttpResponseRedirect(self.list_link(self.back_query(request)))

    def selected(self, request, data) -> list[tuple[int, str]]:
        """(pk, name) of the chosen items in the person's scope, or Selection."""
        scope = self.scope(request.user)
        term = ""
        if data.get("select") == "all":
            query = data.copy()
            query["q"] = search_term(request)
            query["status"] = self.status
            filterset = self.filters(query, queryset=scope)
            chosen, term = filterset.by_status(filterset.narrowed()), filterset.term()
        else:
            raw = data.getlist("ids")
            if not raw:
                raise Selection(f"请先勾选要处理的{self.noun}。")
            if len(raw) > BATCH_LIMIT:
                raise Selection(
                    f"每批最多处理{BATCH_LIMIT}{self.counted}，当前选择了{len(raw)}{self.counted}，"
                    "请分批处理。"
                )
            if not all(value.isascii() and value.isdigit() for value in raw):
                raise Selection("所选项目无效，请回到列表重新勾选。")
            chosen = scope.filter(pk__in=[int(value) for value in raw])
        rows = self.names(chosen.order_by(*self.list_order(request)))
        found = [
            Item(pk, name, self.note(*rest) if self.note else "")
            for pk, name, *rest in rows[: BATCH_LIMIT + 1]
        ]
        if len(found) > BATCH_LIMIT:
            raise Selection(
                f"符合条件的{self.noun}{self.matched(chosen, term)}，"
                f"每批最多处理{BATCH_LIMIT}{self.counted}，请缩小筛选范围或分批勾选。"
            )
        if not found:
            raise Selection(f"所选{self.noun}不存在或不在您的处理范围内，请回到列表重新勾选。")
        return found

    def matched(self, chosen: QuerySet, term: str) -> str:
        """How many items "all matching" took, in words: 共7003份. A search counts up to the
        lists' limit, as its list does (portal.views.list_page): 超过1000份."""
        if not term:
            return f"共{chosen.order_by().count()}{self.measure}"
        found = chosen.order_by()[: SEARCH_COUNT_LIMIT + 1].count()
        if found > SEARCH_COUNT_LIMIT:
            return f"超过{SEARCH_COUNT_LIMIT}{self.measure}"
        return f"共{found}{self.measure}"

    def list_order(self, request):
        """The order the list showed its rows in: its 排序 (ListFilterSet.ordering) within the
        batch's tab, from the list's query (back_query), else its own order."""
        query = self.back_query(request).copy()
        query["status"] = self.status
        return self.filters(query, queryset=self.scope(request.user)).ordering(self.order)

    def get(self, request):
        if "result" in request.GET:
            return self.result(request, request.GET["result"])
        batch = request.GET.get("batch", "")
        found = self.batch_of(request, batch)
        if found is not None and found.status == BulkBatch.Status.DONE:
            return self.already_done(request, found)
        if not self.signed_for(request, batch):
            # A new confirmation page: its token goes into its own address, so that the page
            # asked for again is known for the batch it is.
            query = request.GET.copy()
            query["batch"] = self.new_batch(request)
            return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
        try:
            items = self.selected(request, request.GET)
        except Selection as problem:
            messages.error(request, str(problem))
            return self.back_to_list(request)
        return self.confirm(request, items, self.row.form(), batch)

    @staticmethod
    def signed_for(request, batch: str) -> bool:
        """Whether `batch` is a token a confirmation page gave this person within
        BATCH_SECONDS."""
        try:
            owner, _ = (
                signing.TimestampSigner(**BATCH_SIGNER)
                .unsign(batch, max_age=BATCH_SECONDS)
                .split(".", 1)
            )
        except (signing.BadSignature, ValueError):
            return False
        return owner == str(request.user.pk)

    @staticmethod
    def batch_of(request, batch: str) -> BulkBatch | None:
        """This person's batch of token `batch` (running or done), or None: not confirmed yet,
        purged, or not theirs (another person's is never read, let alone shown)."""
        if not batch:
            return None
        return BulkBatch.objects.filter(token=batch, user=request.user).first()

    @staticmethod
    def new_batch(request) -> str:
        """A token for one confirmation page, which its confirmation uses up."""
        token = f"{request.user.pk}.{secrets.token_urlsafe(9)}"
        return signing.TimestampSigner(**BATCH_SIGNER).sign(token)

    def claim(self, request, batch: str) -> str | None:
        """Claims batch `batch` for this run (see CLAIM_SECONDS): inserts its row, committed at
        once, or takes over its running row when this post may continue it. Returns the run's
        claim, or None when another run holds the batch or it is done."""
        mine = secrets.token_urlsafe(18)
        now = timezone.now()
        row, created = BulkBatch.objects.get_or_create(
            token=batch,
            defaults={
                "user": request.user,
                "list_url": self.list_url,
                "action": self.action,
                "claim": mine,
                "claimed_at": now,
                "created_at": now,
            },
        )
        if created:
            return mine
        takeover = Q(claimed_at__lt=now - datetime.timedelta(seconds=CLAIM_SECONDS))
        held = request.POST.get("claim", "")
        if held:
            # The continue button of the interrupted run's page.
            takeover |= Q(claim=held)
        taken = (
            BulkBatch.objects.filter(pk=row.pk, user=request.user, status=BulkBatch.Status.RUNNING)
            .filter(takeover)
            .update(claim=mine, claimed_at=now)
        )
        return mine if taken else None

    def kept_result(self, found: BulkBatch | None) -> dict | None:
        """The result of batch `found` when it is done and of this list and action, or None."""
        if (
            found is None
            or found.status != BulkBatch.Status.DONE
            or (found.list_url, found.action) != (self.list_url, self.action)
        ):
            return None
        return found.result

    def result_link(self, request, batch: str) -> HttpResponseRedirect:
        query = urlencode({"action": self.action, "result": batch})
        return HttpResponseRedirect(f"{request.path}?{query}")

    def already_done(self, request, found: BulkBatch) -> HttpResponseRedirect:
        """A confirmation page whose batch has run, opened or confirmed again: its result, or
        the list when it was of another action (an address edited by hand). Nothing is decided
        or recorded."""
        if self.kept_result(found) is None:
            messages.info(
                request,
                f"该批次已处理，未重复执行。各{self.noun}的当前状态请在列表中查看。",
            )
            return self.back_to_list(request)
        messages.info(request, ALREADY_DONE)
        return self.result_link(request, found.token)

    def confirm(self, request, items, form, batch: str, status=200):
        # Ticked while the list was open, decided since: marked now, skipped when confirmed.
        moved_on = set(
            self.scope(request.user)
            .filter(pk__in=[item.pk for item in items])
            .exclude(status=self.status)
            .values_list("pk", flat=True)
        )
        list_url = self.list_link(self.back_query(request))
        context = {
            "moved_on": moved_on,
            # What 确认 will decide: the button counts these, not the skipped.
            "deciding": len(items) - len(moved_on),
            "action": self.action,
            "label": self.label(),
            "style": self.action_styles.get(self.action, "btn-primary"),
            "items": items,
            "form": form,
            "noun": self.counted,
            "thing": self.noun,
            "list_url": list_url,
            "back": list_url.partition("?")[2],
            "batch": batch,
        }
        return render(request, "bulk_confirm.html", context, status=status)

    @property
    def counted(self) -> str:
        """The noun after a number, with its measure word: 份申请."""
        return self.measure + self.noun

    def label(self) -> str:
        """The action's button label, as on the detail page: 审核通过, 退回 …"""
        return self.action_labels.get(self.action, self.action)

    def post(self, request):
        batch = request.POST.get("batch", "")
        found = self.batch_of(request, batch)
        if found is not None and found.status == BulkBatch.Status.DONE:
            # This confirmation page was confirmed before (the page kept by the browser's back
            # button, a second click, another tab): its batch ran then, and runs not again.
            return self.already_done(request, found)
        if not self.signed_for(request, batch):
            # No confirmation page gave it to this person, or long ago (BATCH_SECONDS): a
            # forged or another's token, or no page at all. Deciding nothing is safe; the list
            # shows where each item stands.
            messages.warning(
                request,
                f"此确认页已失效，未执行任何操作。各{self.noun}的当前状态请在列表中查看，"
                "如需处理请重新勾选。",
            )
            return self.back_to_list(request)
        # The confirmation page posts back the ids it listed: "all matching" was resolved
        # there, so a post with select=all and no ids has chosen nothing.
        data = request.POST.copy()
        data.pop("select", None)
        try:
            items = self.selected(request, data)
        except Selection as problem:
            messages.error(request, str(problem))
            return self.back_to_list(request)
        asked = [int(value) for value in request.POST.getlist("ids")]
        form = self.row.form(request.POST)
        if not form.is_valid():
            # The same page again, its token still unused.
            return self.confirm(request, items, form, batch, status=400)
        claim = self.claim(request, batch)
        if claim is None:
            # The same page posted twice (a double click, another tab): the other post runs
            # the batch, or has run it since this one looked.
            found = self.batch_of(request, batch)
            if found is not None and found.status == BulkBatch.Status.DONE:
                return self.already_done(request, found)
            messages.info(
                request,
                f"该批次正在处理，未重复执行。请稍后在列表中查看各{self.noun}的状态；"
                "如几分钟后仍有未处理的，请重新勾选处理。",
            )
            return self.back_to_list(request)
        try:
            outcomes = self.decide(
                request, asked, {item.pk: item.name for item in items}, form.cleaned_data
            )
        except Interrupted as stop:
            # The row stays running under this run's claim, which the answer's continue button
            # carries: confirming with it, once the database is back, runs what is left.
            return self.interrupted(request, asked, stop.outcomes, claim)
        # Failed otherwise (an error page, the database gone at the audit row below): the row
        # stays running, and the page may be confirmed again after CLAIM_SECONDS.
        done = [outcome for outcome in outcomes if outcome.done]
        result = {
            "done": [[outcome.pk, outcome.name] for outcome in done],
            "skipped": [
                [outcome.pk, outcome.name, outcome.why] for outcome in outcomes if not outcome.done
            ],
            "list_url": self.list_link(self.back_query(request)),
        }
        # The batch's audit rows and its used mark go together: a batch marked done has them.
        with transaction.atomic():
            self.record_batch(request, outcomes, done)
            # By its token, not its claim: a run that took over from this one while it still
            # ran (CLAIM_SECONDS) and this one may both end; the last to end keeps its result.
            BulkBatch.objects.filter(token=batch).update(
                status=BulkBatch.Status.DONE, result=result, finished_at=timezone.now()
            )
        return self.result_link(request, batch)

    def record_batch(self, request, outcomes: list[Outcome], done: list[Outcome]) -> None:
        """The batch's audit rows, in one INSERT however many: one 失败 row per skipped item
        (the item as object, even one outside the person's scope, and why it was skipped), as
        a refusal on its detail page writes one (portal.views.perform), then the summary. A
        done item has its own row already, written by its transition."""
        summary = audit_log.event(
            AuditEvent.Action.TRANSITION,
            request=request,
            detail=f"批量{self.label()}：{len(done)}{self.counted}完成，"
            f"{len(outcomes) - len(done)}{self.counted}跳过",
        )
        kind = self.scope(request.user).model._meta.label_lower
        skipped = [
            audit_log.about(
                summary,
                object_type=kind,
                object_id=str(outcome.pk),
                object_repr=outcome.name,
                result=AuditEvent.Result.FAILURE,
                detail=f"跳过（批量{self.label()}）：{outcome.why}",
            )
            for outcome in outcomes
            if not outcome.done
        ]
        # The summary last: newest first, the list shows it above the items it sums up.
        audit_log.record_all([*skipped, summary])

    def interrupted(self, request, asked: list[int], outcomes: list[Outcome], claim: str):
        """The answer to a batch the database cut off: how many were done, and the same
        confirmation again for the rest (the same token, the ids not yet done, and this run's
        claim, which lets it continue the batch whose row this run could not mark), to be sent
        once the database is back. Rendered from what the request holds, without a query; a
        503, so that no middleware saves the session to the database that went away."""
        reached = {outcome.pk for outcome in outcomes}
        # The item it failed on, and those after it, in the order asked.
        rest = [pk for pk in dict.fromkeys(asked) if pk not in reached]
        fields = [
            (name, value)
            for name, values in request.POST.lists()
            if name not in ("ids", "claim", "csrfmiddlewaretoken")
            for value in values
        ]
        fields.append(("claim", claim))
        context = {
            "label": self.label(),
            "done": [outcome for outcome in outcomes if outcome.done],
            "skipped": [outcome for outcome in outcomes if not outcome.done],
            "rest": rest,
            "fields": fields,
            "noun": self.counted,
            "thing": self.noun,
            "list_url": self.list_link(self.back_query(request)),
        }
        return render(request, "bulk_interrupted.html", context, status=503)

    def result(self, request, token: str):
        """The result page of a batch, as its POST kept it: the same however often it is
        reloaded. One not found (another person's, another action's, or older than
        BulkBatch.KEEP_DAYS) sends the person to the list, which shows where each item now
        stands."""
        kept = self.kept_result(self.batch_of(request, token))
        if kept is None:
            messages.warning(
                request,
                f"未找到此批量处理结果（批量处理结果保留{BulkBatch.KEEP_DAYS}天），"
                f"各{self.noun}的当前状态请在列表中查看。",
            )
            return HttpResponseRedirect(reverse(self.list_url))
        links = self.detail_links(request, [row[0] for row in kept["done"] + kept["skipped"]])
        context = {
            "label": self.label(),
            "note": self.notes.get(self.action, ""),
            "done": [Outcome(pk, name, True, url=links.get(pk, "")) for pk, name in kept["done"]],
            "skipped": [
                Outcome(pk, name, False, why, url=links.get(pk, ""))
                for pk, name, why in kept["skipped"]
            ],
            "noun": self.counted,
            "list_url": kept["list_url"],
        }
        return render(request, "bulk_result.html", context)

    def detail_links(self, request, pks: list[int]) -> dict[int, str]:
        """{pk: its detail page} of the items in `pks` the person may open now (their scope, in
        one query, however many): not an item outside it (another unit's, whose id a post
        named), nor one that has left it since the batch ran."""
        if not self.detail_url or not pks:
            return {}
        openable = self.scope(request.user).filter(pk__in=pks).values_list("pk", flat=True)
        return {pk: reverse(self.detail_url, args=[pk]) for pk in openable}

    def decide(self, request, asked: list[int], names: dict, values: dict) -> list[Outcome]:
        """Each asked item through the action's service, in its own transaction."""
        objects = self.scope(request.user).in_bulk([pk for pk in asked if pk in names])
        outcomes = []
        for pk in dict.fromkeys(asked):  # once each, in the order asked
            obj = objects.get(pk)
            if obj is None:
                outcomes.append(Outcome(pk, f"编号{pk}", False, OUT_OF_SCOPE))
                continue
            if obj.status != self.status:
                # The confirmation page said so (将跳过): a batch decides its tab's items only,
                # whatever else the service would take from another state.
                why = (
                    f"当前状态为“{obj.get_status_display()}”，不能执行“{self.label()}”操作，"
                    "可能已在其他窗口或由他人处理。"
                )
                outcomes.append(Outcome(pk, names[pk], False, why))
                continue
            try:
                self.row.service(obj, request.user, **values)
            except WorkflowError as error:
                outcomes.append(Outcome(pk, names[pk], False, str(error)))
            except (OperationalError, InterfaceError) as error:
                # The connection broke or the server went away: every next item would wait
                # for it and fail the same way. This one rolled back (or, if its commit got
                # through, is skipped as decided when the batch is confirmed again).
                logger.exception(
                    "bulk %s: interrupted by the database at item %s, %d of %d done",
                    self.action,
                    pk,
                    sum(outcome.done for outcome in outcomes),
                    len(asked),
                )
                raise Interrupted(outcomes) from error
            except DatabaseError:
                # The service's transaction rolled back: nothing of this item was applied.
                logger.exception("bulk %s: item %s failed", self.action, pk)
                outcomes.append(Outcome(pk, names[pk], False, ITEM_FAILED))
            else:
                outcomes.append(Outcome(pk, names[pk], True))
        return outcomes


def bulk_decisions(**config):
    """The BulkDecisionView of one list (see BulkDecisionView for the arguments)."""
    unlabelled = set(config["actions"]) - set(config["action_labels"])
    if unlabelled:
        raise ValueError(f"bulk actions without a label: {sorted(unlabelled)}")
    return BulkDecisionView.as_view(**config)
