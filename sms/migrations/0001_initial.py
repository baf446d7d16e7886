"""SMSMessage moves here from the experts app. Its table (experts_smsmessage) and index stay as
they are, with their rows: this migration adds the model to the sms app's state only, and
experts 0011 removes it from the experts app's state."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    # The table was created by experts 0001.
    dependencies = [("experts", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SMSMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("to", models.CharField(max_length=20, verbose_name="手机号码")),
                        ("body", models.TextField(max_length=500, verbose_name="内容")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "待发送"),
                                    ("sending", "发送中"),
                                    ("sent", "已发送"),
                                    ("failed", "发送失败"),
                                ],
                                default="queued",
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        ("attempts", models.PositiveIntegerField(default=0, verbose_name="尝试次数")),
                        ("last_error", models.TextField(blank=True, verbose_name="最近错误")),
                        (
                            "provider_id",
                            models.CharField(blank=True, max_length=64, verbose_name="服务商消息编号"),
                        ),
                        (
                            "needs_check",
                            models.BooleanField(default=False, verbose_name="待核实是否已发送"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
                        ),
                        (
                            "next_attempt_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="下次尝试时间"),
                        ),
                        (
                            "claimed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="开始发送时间"),
                        ),
                        (
                            "sent_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="发送时间"),
                        ),
                    ],
                    options={
                        "verbose_name": "短信",
                        "verbose_name_plural": "短信发送队列",
                        "db_table": "experts_smsmessage",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(
                                fields=["status", "next_attempt_at"],
                                name="experts_sms_status_4cc40c_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
