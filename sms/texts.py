"""How an SMS to one person is worded where every such message says the same: the portal's name
and the greeting. Beside the outbox, which queues and sends whatever text it is given."""

from django.conf import settings


def greeted(name: str, text: str) -> str:
    """An SMS to one person, as every one to an applicant or expert begins: the portal's name,
    a greeting by their name, then `text` (【武汉市科技局专家入库系统】王芳您好，…). The SMS admin's
    list shows what follows the greeting."""
    return f"【{settings.PORTAL_NAME}】{name}您好，{text}"
