"""After restoring the database from a dump, before the SMS worker starts: python manage.py
restored_outbox [--mark-sent ID [ID ...]] (docs/deployment.md, To restore on a host, step 6)."""

from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from sms import outbox

COMMAND = "restored_outbox"
# The bureau's clock, named outright in the column's heading (the site's TIME_ZONE too).
BEIJING = ZoneInfo("Asia/Shanghai")
# As much of the text as tells one message from the next in the provider's log.
BODY_START = 40


def ids_said(ids) -> str:
    return "、".join(f"#{pk}" for pk in ids)


class Command(BaseCommand):
    help = (
        "数据库恢复后、启动短信服务（portal-sms）之前运行：不带参数时，列出恢复的短信队列中"
        "待发送（排队中、发送中）的短信，最早的在前；这些短信在短信服务启动后会发出。"
        "在短信服务商的发送记录中逐条核对，恢复前已发出的用 --mark-sent 标记为已发送，"
        "不会重发；每条记一条审计记录。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--mark-sent",
            nargs="+",
            type=int,
            metavar="ID",
            help=(
                "将这些编号的短信标记为已发送（恢复前已发送），不再发送。只能标记排队中、"
                "发送中的短信；有任何一个编号不存在或不能标记时，全部不做更改。"
            ),
        )

    def handle(self, *args, **options):
        if options["mark_sent"]:
            self.mark_sent(options["mark_sent"])
        else:
            self.list_waiting()

    def list_waiting(self) -> None:
        messages = list(outbox.waiting())
        if not messages:
            self.stdout.write("恢复的短信队列中没有待发送（排队中、发送中）的短信，无需处理。")
            return
        self.stdout.write("编号\t状态\t创建时间（北京时间）\t手机号码\t内容开头")
        for message in messages:
            created = message.created_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
            body = " ".join(message.body.split())
            if len(body) > BODY_START:
                body = body[: BODY_START - 1] + "…"
            self.stdout.write(
                f"{message.pk}\t{message.get_status_display()}\t{created}\t"
                f"{message.masked_to}\t{body}"
            )
        self.stdout.write(
            f"共{len(messages)}条待发送，短信服务启动后会发出。请在短信服务商的发送记录中按时间、"
            "号码和内容逐条核对：已发出的，用 --mark-sent 编号 … 标记为已发送；其余的不用处理。"
        )

    def mark_sent(self, ids: list[int]) -> None:
        try:
            marked = outbox.mark_sent_before_restore(ids, command=COMMAND)
        except outbox.NotMarkable as refused:
            problems = []
            if refused.unknown:
                problems.append(f"没有编号为{ids_said(refused.unknown)}的短信")
            if refused.not_waiting:
                states = "、".join(
                    f"#{message.pk}（{message.get_status_display()}）"
                    for message in refused.not_waiting
                )
                problems.append(f"短信{states}不是排队中或发送中，不能标记为已发送")
            raise CommandError("；".join(problems) + "。所有短信均未更改。") from refused
        self.stdout.write(
            f"已将短信{ids_said(m.pk for m in marked)}标记为已发送"
            f"（{outbox.SENT_BEFORE_RESTORE}），短信服务不会再发送；已记审计记录。"
        )
