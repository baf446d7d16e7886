"""专业领域 on a phone's touch screen (phone walk, defect 4): each of the ~80 options is a tap
target of about 44 px, its label as tall, while a mouse keeps the compact rows."""

import pytest

from experts.models import ApplicationStatus
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def option_heights(page) -> list[float]:
    """The height of each 专业领域 option's label, in CSS pixels."""
    return page.evaluate(
        "() => [...document.querySelectorAll('#div_id_disciplines .form-check-label')]"
        ".map(label => label.getBoundingClientRect().height)"
    )


def test_discipline_options_are_finger_sized_on_a_touch_phone_only(journey):
    applicant = factories.make_applicant(factories.make_unit(), ApplicationStatus.DRAFT)
    phone = journey(phone=True, touch=True)
    phone.log_in(applicant.username, factories.PASSWORD)

    phone.open("/expert/form/")
    heights = option_heights(phone.page)
    phone.snap("expert-form")
    # A full-page screenshot drops the touch emulation while it is taken (its rows read 26 px):
    # the screen as the phone shows it is the viewport's.
    phone.page.locator("#div_id_disciplines .form-check-label").nth(10).scroll_into_view_if_needed()
    phone.page.screenshot(path=phone.folder / "02-disciplines-on-touch.png")

    assert phone.page.evaluate("matchMedia('(pointer: coarse)').matches")
    assert len(heights) > 20
    assert min(heights) >= 40
    # The label is the tap target: a tap on its far end ticks its box.
    label = phone.page.locator("#div_id_disciplines .form-check-label").nth(3)
    label.scroll_into_view_if_needed()
    box = label.bounding_box()
    phone.page.touchscreen.tap(box["x"] + box["width"] - 4, box["y"] + box["height"] - 4)
    checkbox = phone.page.locator("#div_id_disciplines .form-check-input").nth(3)
    assert checkbox.is_checked()

    # A mouse keeps the compact rows.
    desktop = journey()
    desktop.log_in(applicant.username, factories.PASSWORD)
    desktop.open("/expert/form/")
    assert max(option_heights(desktop.page)) < 30
