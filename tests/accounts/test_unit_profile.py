"""信息更改 saves only for a unit still approved and 启用 when the save takes its lock."""

import pytest

from accounts import services
from accounts.models import Unit, UnitStatus
from audit.models import AuditEvent
from portal.workflow import WorkflowError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_active": False}, "本单位账号已停用，所填修改未保存。"),
        ({"status": UnitStatus.PENDING}, "只有已通过审核的单位账号可以修改单位信息。"),
    ],
    ids=["停用", "不再是已通过"],
)
def test_a_unit_closed_after_its_page_was_checked_saves_nothing(unit, change, message):
    account = factories.unit_account(unit)
    # The unit as the request read it, still approved and 启用 …
    as_read = account.unit
    as_read.address = "武汉市洪山区新地址2号"
    # … and as an operator changed it before the save.
    Unit.objects.filter(pk=unit.pk).update(**change)

    with pytest.raises(WorkflowError, match=message):
        services.update_unit_profile(as_read, account, ["address"])

    unit.refresh_from_db()
    assert (unit.address, unit.profile_updated_at) == ("武汉市洪山区珞喻路1号", None)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UNIT_PROFILE).exists()


def test_an_approved_unit_saves_what_it_changed_only(unit):
    account = factories.unit_account(unit)
    as_read = account.unit
    as_read.address = "武汉市洪山区新地址2号"
    # An operator renamed the unit in admin meanwhile; 信息更改 did not touch the name.
    Unit.objects.filter(pk=unit.pk).update(name="武汉改名研究院")

    saved = services.update_unit_profile(as_read, account, ["address"])

    unit.refresh_from_db()
    assert (unit.address, unit.name) == ("武汉市洪山区新地址2号", "武汉改名研究院")
    assert saved.profile_updated_at is not None
    assert unit.profile_updated_at == saved.profile_updated_at
