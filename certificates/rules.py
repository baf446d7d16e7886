"""Whether a certificate is in force: the ONE place that decides 有效 / 已失效."""

import datetime

from django.utils import timezone

from certificates.models import Certificate
from experts.choices import join_disciplines
from experts.models import ApplicationStatus, ExpertApplication
from portal.crypto import blind_index, blind_indexes


def printed(application: ExpertApplication) -> dict[str, str]:
    """What a certificate prints of its holder: 姓名, 工作单位 and 专业领域 (one query, for the
    fields; the user and unit as loaded)."""
    name, unit, disciplines = _held(application)
    return {"name": name, "unit": unit, "disciplines": join_disciplines(disciplines)}


def _held(application: ExpertApplication) -> tuple[str, str, list[str]]:
    return (
        application.user.real_name,
        application.unit.name if application.unit else "",
        [d.name for d in application.disciplines.order_by("code")],
    )


def _details(application: ExpertApplication) -> str:
    """The text details_index hashes: the holder's details as printed, but for the 专业领域
    joined with 、, as when the first certificates were issued. The hash only tells two sets of
    details apart (no field's name is another two's with a 、 between them); hashing the text
    as printed now would turn every certificate issued before into 已失效."""
    name, unit, disciplines = _held(application)
    return "\n".join([name, unit, "、".join(disciplines)])


def details_index(application: ExpertApplication) -> str:
    """A keyed hash of what a certificate prints of its holder: a certificate keeps it instead
    of the details themselves, so that one printed before a 信息变更 is told apart from the
    next (a new code), and reads 已失效."""
    return blind_index(_details(application))


def details_indexes(application: ExpertApplication) -> list[str]:
    """details_index under every configured HMAC key (portal.crypto.blind_indexes): a
    certificate issued before a rotation of FIELD_HMAC_KEY, and not yet re-keyed by
    `reindex_personal_data`, still matches its holder's unchanged details."""
    return blind_indexes(_details(application))


def invalid_reason(
    certificate: Certificate,
    today: datetime.date | None = None,
    *,
    holder_indexes: list[str] | None = None,
) -> str:
    """Why the certificate is 已失效, in the words of the public 证书查验 page; "" while 有效:
    its expert still 审核通过, today within its validity period, and its holder's details as
    printed.

    `holder_indexes`: details_indexes(certificate.application) when the caller has them, so
    that every certificate of one expert (我的个人信息 lists them all) is judged against one
    reading of the holder's details rather than one query each.

    Any state an expert leaves 审核通过 for (审核不通过 after a reversed 公示, and the frozen,
    exited and blacklisted states the lifecycle adds) makes it 已失效, with no change here."""
    today = today or timezone.localdate()
    application = certificate.application
    if application.status != ApplicationStatus.APPROVED:
        return "持证人当前不是“审核通过”状态的专家。"
    if today > certificate.valid_until:
        return "已超过有效期。"
    if holder_indexes is None:
        holder_indexes = details_indexes(application)
    if certificate.details_index not in holder_indexes:
        return "证明所载的持证人信息已变更，请以持证人重新下载的证明为准。"
    return ""


def is_valid(certificate: Certificate, today: datetime.date | None = None) -> bool:
    return not invalid_reason(certificate, today)
