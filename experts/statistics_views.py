"""统计分析 for bureau reviewers: the charts (server-drawn SVG, each with its table), the range,
and the same figures as an .xlsx workbook."""

from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import is_bureau_reviewer
from draws import statistics as draw_statistics
from experts import statistics
from portal.caching import cache
from portal.views import role_required
from portal.xlsx import workbook_response

# The figures of one range are kept this long: every reviewer sees the same (their scope is
# the whole bureau's), and the page says when they were counted.
CACHE_SECONDS = 60
# Part of the key: raise it whenever the figures' keys or shapes change, so that the first
# minute after a deploy never reads what the code before it kept (the 专家抽取 figures: 2).
FIGURES_VERSION = 2


def _figures(user, start, end) -> dict:
    key = f"experts:statistics:v{FIGURES_VERSION}:{start:%Y%m%d}:{end:%Y%m%d}"
    figures = cache.get(key)
    if figures is None:
        figures = {
            **statistics.collect(user, start, end),
            **draw_statistics.collect(user, start, end),
            "at": timezone.now(),
        }
        cache.set(key, figures, CACHE_SECONDS)
    return figures


@role_required(is_bureau_reviewer)
def statistics_page(request):
    form = statistics.RangeForm(request.GET or None)
    start, end = form.chosen()
    figures = _figures(request.user, start, end)
    if request.GET.get("format") == "xlsx" and not form.errors:
        return _workbook(figures, start, end)
    context = {"form": form, "start": start, "end": end, **figures}
    return render(request, "experts/statistics.html", context, status=400 if form.errors else 200)


def _workbook(figures, start, end):
    block = [
        ("统计期间（按月与办理时长）", f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}"),
        ("统计时间", f"{timezone.localtime(figures['at']):%Y-%m-%d %H:%M}"),
    ]
    sheets = [
        {
            "sheet_title": chart.title,
            "title_block": [("统计内容", chart.counts), *block],
            "columns": chart.columns,
            "rows": chart.rows,
            "widths": [24, 10, 10, 12],
        }
        for chart in [*figures["charts"], figures["months"]]
    ]
    sheets.append(
        {
            "sheet_title": "办理时长",
            "title_block": [("统计内容", "各环节办理时长（工作日）"), *block],
            "columns": ("环节", "件数", "中位数（工作日）", "90%分位（工作日）"),
            "rows": [(t.step, t.n, t.median, t.p90) for t in figures["turnaround"]],
            "widths": [14, 8, 18, 18],
        }
    )
    # 专家抽取: each figure its own sheet, the range it counts and what it leaves out above it.
    drawn = [("统计期间（按抽取时间）", block[0][1]), block[1]]
    for chart in [figures["draw_months"], *figures["draw_charts"], figures["draw_experts"]]:
        sheets.append(
            {
                "sheet_title": chart.title,
                "title_block": [("统计内容", chart.counts), ("说明", chart.note), *drawn],
                "columns": chart.columns,
                "rows": chart.rows,
                "widths": [24, 24, 10] if len(chart.columns) == 3 else [24, 10],
            }
        )
    return workbook_response(f"统计分析-{start:%Y%m%d}-{end:%Y%m%d}.xlsx", sheets)
