"""统计分析 and the search boxes on a phone (390 px): the charts' words at a readable size, a long
unit's name whole, and a search box's placeholder whole in its box."""

import pytest
from playwright.sync_api import expect

from experts.models import ApplicationStatus
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
LONG_UNIT = "华中科技大学同济医学院附属协和医院（武汉协和医院）"
# The smallest type a chart may print in, in CSS pixels (the page's small text is 14).
READABLE = 12


def test_the_statistics_charts_are_readable_on_a_phone(journey):
    unit = factories.make_unit(name=LONG_UNIT)
    for name in ("陈静", "李强"):
        factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
    reviewer = factories.make_reviewer()
    tab = journey(phone=True)
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page
    page.goto(tab.base_url + "/bureau/statistics/")
    width = page.viewport_size["width"]

    # Every word of every chart (drawn or page text) as tall as readable type, on screen.
    shown = "figure li span:not(.visually-hidden)"
    words = page.locator(f"figure svg text, {shown}").evaluate_all(
        "all => all.map(w => w.getBoundingClientRect().toJSON())"
    )
    assert words and min(box["height"] for box in words) >= READABLE
    in_charts = page.locator(f"{shown}, figure svg:not(.stat-scroll svg) text")
    for box in in_charts.evaluate_all("all => all.map(w => w.getBoundingClientRect().toJSON())"):
        assert box["left"] >= 0 and box["right"] <= width
    # The long name whole in its chart, not only in the folded table.
    units = page.locator("figure").filter(has_text="专家最多")
    expect(units.get_by_text(LONG_UNIT, exact=True).first).to_be_visible()
    # The months' chart scrolls sideways in its box, within the screen; the page itself not.
    months = page.locator("figure").filter(has_text="提交与审核")
    box = months.locator("[role=region]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # It opens at the newest months: scrolled to its end, this month's label in view.
    scroll = months.locator("[role=region]")
    left, most = scroll.evaluate("box => [box.scrollLeft, box.scrollWidth - box.clientWidth]")
    assert most > 0 and left == most
    newest = months.locator("svg text").last
    seen = newest.bounding_box()
    assert box["x"] <= seen["x"] and seen["x"] + seen["width"] <= box["x"] + box["width"]
    tab.snap("statistics")


def placeholder_widths(page) -> tuple[int, int]:
    """How wide the search box's placeholder is, typed into the box (where the browser lays
    it out as it lays out the placeholder, beside the room kept for the clear button), and how
    wide the box shows."""
    return page.locator("#q").evaluate(
        """input => {
            input.value = input.placeholder;
            const sizes = [input.scrollWidth, input.clientWidth];
            input.value = "";
            return sizes;
        }"""
    )


@pytest.mark.parametrize("path", ["/bureau/pool/", "/bureau/experts/", "/unit/people/"])
def test_a_search_boxs_placeholder_is_whole_on_a_phone(journey, path):
    unit = factories.make_unit()
    user = factories.unit_account(unit) if path == "/unit/people/" else factories.make_reviewer()
    tab = journey(phone=True)
    tab.log_in(user.username, factories.PASSWORD)
    page = tab.page
    page.goto(tab.base_url + path)

    needed, shown = placeholder_widths(page)

    assert needed <= shown
    # How to search, said under the box, where it stays while typing.
    expect(page.locator("#q-help")).to_have_text("多个词用空格分开。")
    assert page.locator("#q").get_attribute("aria-describedby") == "q-help"
