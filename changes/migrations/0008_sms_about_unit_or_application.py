"""An SMS of a 信息变更 is about what its reader's page lists SMS for (changes.services): the
applicant's about their application, the old unit's about that unit. Those sent before were
about the change request, which no page lists: each is given the application or the unit."""

from django.db import migrations

MOVED_OUT = "已从贵单位专家名单中移出"


def point_at_readers(apps, schema_editor):
    SMSMessage = apps.get_model("sms", "SMSMessage")
    ChangeRequest = apps.get_model("changes", "ChangeRequest")
    ContentType = apps.get_model("contenttypes", "ContentType")
    change_type = ContentType.objects.filter(app_label="changes", model="changerequest").first()
    if change_type is None:
        return
    messages = SMSMessage.objects.filter(content_type=change_type)
    if not messages.exists():
        return
    unit_type, _ = ContentType.objects.get_or_create(app_label="accounts", model="unit")
    application_type, _ = ContentType.objects.get_or_create(
        app_label="experts", model="expertapplication"
    )
    requests = ChangeRequest.objects.in_bulk(set(messages.values_list("object_id", flat=True)))
    for message in messages.only("pk", "body", "object_id").iterator():
        request = requests.get(message.object_id)
        if request is None:
            continue
        if MOVED_OUT in message.body:
            about = (unit_type, request.old_unit_id)
        else:
            about = (application_type, request.application_id)
        SMSMessage.objects.filter(pk=message.pk).update(content_type=about[0], object_id=about[1])


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0007_contact_to_accounts"),
        ("sms", "0002_message_about"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(point_at_readers, migrations.RunPython.noop)]
