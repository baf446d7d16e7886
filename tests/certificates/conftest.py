import pytest
from django.test import override_settings

from certificates import fonts, pdf
from experts.choices import DISCIPLINES
from experts.models import ApplicationStatus
from experts.services import approve_application
from tests import factories

# Every character the tests' certificates print, except 䶮 (U+4DAE, outside GB 2312): a name
# with it is drawn from the whole font, the subset's fallback.
PRINTED = (
    (pdf.DOCUMENTS / "certificate.html").read_text(encoding="utf-8")
    + "".join(name for _, name in DISCIPLINES)
    + "武汉市科学技术局张三明王五欧阳娜娜华中光电研究院有限公司申请人测试单位0123456789"
)


@pytest.fixture(scope="session")
def small_font(tmp_path_factory):
    """A font subset like the one `build_certificate_font` makes, with the few characters the
    tests print (the whole GB 2312 set takes 12 s to cut)."""
    folder = tmp_path_factory.mktemp("fonts")
    characters = set(range(0x20, 0x7F)) | {ord(c) for c in PRINTED if not c.isspace()}
    fonts.build_subset(folder / fonts.SUBSET_NAME, characters)
    return folder


@pytest.fixture(autouse=True)
def certificate_font(small_font):
    with override_settings(CERTIFICATE_FONT_DIR=small_font):
        pdf.forget_fonts()
        yield small_font
    pdf.forget_fonts()


@pytest.fixture
def admitted(unit, reviewer):
    """make(name) → an applicant 审核通过 by the bureau, through the approval service."""

    def make(name="张三明"):
        user = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name=name)
        approve_application(user.application, reviewer)
        factories.past_notice(user.application)
        return user

    return make
