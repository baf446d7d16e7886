"""Time one 专家抽取 at the benchmark's scale (issue 22: a draw over a 100,000-applicant pool
answers in under 1 s).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/draw.py

On the database `bash bench/run` seeded: a bureau reviewer posts the 抽取申请 form through
Django's test client twice, as a person does: first to the confirmation page (the eligible
count of each quota), then 确认抽取 (the draw: the eligible ids, the seed, the record). The
quotas are the two fields with the most experts, with every rule on: three avoided units, an
avoided name, 副高级 and above, a 30-day cool-down and a yearly cap. All in one transaction
rolled back at the end, so the database stays as seeded.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inprocess import reviewer_client, setup

setup()

from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Unit, User  # noqa: E402
from draws.models import Draw, Round  # noqa: E402
from experts.models import ApplicationStatus, ExpertApplication  # noqa: E402


def form(fields, units, name) -> dict:
    review_at = timezone.localtime() + timezone.timedelta(days=7)
    data = {
        "project_name": "基准测试项目",
        "review_at": review_at.strftime("%Y-%m-%dT09:30"),
        "review_place": "市科技局会议室",
        "avoid_units": "\n".join(units),
        "avoid_experts": name,
        "min_title_level": "associate",
        "cooldown_days": "30",
        "yearly_cap": "3",
        "quota-TOTAL_FORMS": "4",
        "quota-INITIAL_FORMS": "0",
        "quota-MIN_NUM_FORMS": "0",
        "quota-MAX_NUM_FORMS": "4",
    }
    for row in range(4):
        chosen = fields[row] if row < len(fields) else None
        data[f"quota-{row}-discipline"] = str(chosen) if chosen else ""
        data[f"quota-{row}-count"] = "5" if chosen else ""
        data[f"quota-{row}-reserves"] = "2" if chosen else ""
    return data


def one_run() -> tuple[float, float, int]:
    with transaction.atomic():
        reviewer = User.objects.filter(kind=User.Kind.BUREAU, is_active=True).first()
        client = reviewer_client(reviewer)
        approved = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED)
        fields = list(
            approved.values("disciplines")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("disciplines", flat=True)[:2]
        )
        units = list(Unit.objects.order_by("pk").values_list("name", flat=True)[:3])
        name = approved.values_list("user__real_name", flat=True).first()
        data = form(fields, units, name)
        started = time.perf_counter()
        confirm = client.post("/bureau/draws/new/", data, secure=True)
        confirmed = time.perf_counter()
        done = client.post("/bureau/draws/new/", {**data, "confirmed": "1"}, secure=True)
        drawn = time.perf_counter()
        assert confirm.status_code == 200 and "确认抽取" in confirm.content.decode()
        assert done.status_code == 302, done.content.decode()[:2000]
        eligible = sum(
            Round.objects.filter(quota__draw=Draw.objects.latest("pk")).values_list(
                "eligible_count", flat=True
            )
        )
        transaction.set_rollback(True)
    return confirmed - started, drawn - confirmed, eligible


def main() -> None:
    runs = [one_run() for _ in range(3)]
    confirm = statistics.median(run[0] for run in runs)
    draw = statistics.median(run[1] for run in runs)
    print(
        f"专家抽取（2个专业领域各5人、备选2人，全部回避规则）：核对页 {confirm * 1000:.0f} 毫秒，"
        f"抽取 {draw * 1000:.0f} 毫秒（3 次中位数；符合条件 {runs[0][2]} 人；目标 < 1 秒）"
    )


if __name__ == "__main__":
    main()
