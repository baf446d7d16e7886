"""导出Excel when the disk fails: a job whose file cannot be stored fails with a message that
says so and leaves no part of its file; the worker goes on to the next job; files no job names
are swept away; a job whose progress stopped says so on its page."""

import io
import os
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from experts import exports
from experts.management.commands.run_exports import Command as RunExports
from experts.models import ExportJob
from tests import factories
from tests.experts.test_export import EXPORT_URL, make_pool
from tests.storages import full_disk

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, reviewer):
    client.force_login(reviewer)
    return client


def export_files() -> list[str]:
    try:
        return default_storage.listdir(exports.EXPORT_FOLDER)[1]
    except FileNotFoundError:
        return []


def test_a_job_the_full_disk_refuses_fails_leaves_no_part_and_the_next_one_runs(
    logged_in, unit, settings, tmp_path
):
    make_pool(unit, 3)
    logged_in.post(EXPORT_URL, {})
    logged_in.post(EXPORT_URL, {})
    full_disk(settings, tmp_path)

    assert exports.run_pending() == {"exports": 2, "failed": 2}

    jobs = ExportJob.objects.order_by("pk")
    assert [job.status for job in jobs] == [ExportJob.Status.FAILED] * 2
    assert [job.error for job in jobs] == [exports.NOT_STORED] * 2
    assert [job.file_name for job in jobs] == ["", ""]
    assert export_files() == []
    page = logged_in.get(reverse("experts:export_job", args=[jobs[0].pk])).content.decode()
    assert "导出文件未能保存（服务器存储空间不足或不可写）" in page


def test_the_worker_run_once_reports_the_failure_with_an_error_status(
    logged_in, unit, settings, tmp_path
):
    make_pool(unit, 1)
    logged_in.post(EXPORT_URL, {})
    full_disk(settings, tmp_path)
    out = io.StringIO()

    with pytest.raises(CommandError, match="1个导出任务因导出文件未能保存而失败"):
        call_command("run_exports", stdout=out)

    assert out.getvalue() == "exports=1 failed=1\n"


class Stop(Exception):
    """Ends the loop after its first round."""


class OneRound(RunExports):
    def wait(self, seconds):
        raise Stop


# The loop closes the connection between rounds, as between requests: outside a test's
# transaction.
@pytest.mark.django_db(transaction=True)
def test_the_looping_worker_goes_on_after_a_disk_failure(
    reference_data, unit, client, settings, tmp_path
):
    client.force_login(factories.make_reviewer())  # after reference_data: the group
    make_pool(unit, 1)
    client.post(EXPORT_URL, {})
    full_disk(settings, tmp_path)
    command = OneRound(stdout=io.StringIO(), stderr=io.StringIO())

    with pytest.raises(Stop):  # the round ended; the disk's error did not stop the worker
        command.handle(loop=0.5)

    assert command.stdout.getvalue() == "exports=1 failed=1\n"
    assert ExportJob.objects.get().status == ExportJob.Status.FAILED
    # The disk has room again: the next job queued is exported by the same worker.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    client.post(EXPORT_URL, {})
    with pytest.raises(Stop):
        command.handle(loop=0.5)
    assert ExportJob.objects.latest("pk").status == ExportJob.Status.DONE


def aged(name: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(default_storage.path(name), (then, then))


def test_the_sweep_deletes_old_files_no_job_names(logged_in, unit):
    make_pool(unit, 1)
    logged_in.post(EXPORT_URL, {})
    exports.run_pending()
    kept = ExportJob.objects.get().file_name
    orphan = default_storage.save(f"{exports.EXPORT_FOLDER}/9-old.xlsx", ContentFile(b"PK" * 9))
    being_written = default_storage.save(f"{exports.EXPORT_FOLDER}/10-new.xlsx", ContentFile(b"PK"))
    aged(orphan, 2)
    aged(kept, 2)

    assert exports.sweep() == {"stale": 0, "expired": 0, "orphans": 1}

    assert not default_storage.exists(orphan)
    assert default_storage.exists(being_written)
    assert default_storage.exists(kept)
    default_storage.delete(being_written)


def test_a_running_job_whose_progress_stopped_says_so_on_its_page(logged_in, unit):
    make_pool(unit, 1)
    logged_in.post(EXPORT_URL, {})
    job = ExportJob.objects.get()
    url = reverse("experts:export_job", args=[job.pk])
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, rows_total=10_400, rows_done=4_000, updated_at=now
    )
    assert "导出进度已停止更新" not in logged_in.get(url).content.decode()

    ExportJob.objects.filter(pk=job.pk).update(updated_at=now - timedelta(seconds=61))
    page = logged_in.get(url).content.decode()

    assert "正在导出：已写入 4,000 / 10,400 人（38%）" in page
    assert "导出进度已停止更新（最后更新于" in page
    assert "导出中断" not in page


def test_a_stopped_job_is_failed_by_the_sweep_within_minutes_not_ten(logged_in, unit):
    make_pool(unit, 1)
    logged_in.post(EXPORT_URL, {})
    now = timezone.now()
    ExportJob.objects.update(status=ExportJob.Status.RUNNING, updated_at=now - timedelta(minutes=2))
    assert exports.sweep(now)["stale"] == 0  # slow, perhaps: not yet failed

    assert exports.sweep(now + timedelta(minutes=1, seconds=1))["stale"] == 1

    assert ExportJob.objects.get().error == "导出中断（导出程序已停止），请重新导出。"
