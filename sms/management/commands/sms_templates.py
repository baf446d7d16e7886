"""python manage.py sms_templates: every SMS the portal sends, as the operator applies for them
in 阿里云短信's console (docs/deployment.md, 阿里云短信), and the environment line to fill in."""

from django.conf import settings
from django.core.management.base import BaseCommand

from sms.templates import TEMPLATES


class Command(BaseCommand):
    help = (
        "列出本系统发送的全部短信模板（名称、模板内容、示例），供在阿里云短信控制台逐一申请"
        "（模板类型选“短信通知”）；审核通过后，把每个模板的模板CODE填入环境变量"
        " ALIYUN_SMS_TEMPLATES（最后一行即该行的格式）。"
    )

    # Run while the settings are still incomplete (no codes yet): the codes come from its output.
    requires_system_checks = []

    def handle(self, *args, **options):
        codes = settings.ALIYUN_SMS_TEMPLATES
        write = self.stdout.write
        write(f"短信签名（ALIYUN_SMS_SIGN_NAME）：{settings.ALIYUN_SMS_SIGN_NAME}")
        write(f"共 {len(TEMPLATES)} 个模板；模板内容不含签名，签名由阿里云加在短信开头。")
        for number, template in enumerate(TEMPLATES.values(), 1):
            write("")
            write(f"{number}. {template.label}（{template.key}）")
            write(f"   模板CODE：{codes.get(template.key) or '未配置'}")
            write(f"   模板内容：{template.provider_text()}")
            if template.variables:
                write(
                    "   变量："
                    + "，".join(
                        f"{name}（例：{template.example[name]}）" for name in template.variables
                    )
                )
            write(
                f"   示例：【{settings.ALIYUN_SMS_SIGN_NAME}】{template.content(template.example)}"
            )
        write("")
        write("审核通过后填入环境（未配置的写上阿里云给出的模板CODE）：")
        write(
            "ALIYUN_SMS_TEMPLATES="
            + ",".join(f"{key}={codes.get(key) or 'SMS_…'}" for key in TEMPLATES)
        )
