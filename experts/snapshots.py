"""What each 提交 submitted, kept beside its history row, and what changed since the last one.

A snapshot is the read-only form as its owner sees it (portal.templating.application_sections):
the labels and the shown values of every field and the 专业领域, taken in the submission's
transaction. The 证件号码 and the 银行账号 are kept encrypted in it, as in their own columns.
Its 证明材料 are kept as (kind, name, size, SHA-256): a file replaced by another of the same
name shows as changed.
"""

from collections import Counter
from dataclasses import dataclass, replace

from experts.attachments import ATTACHMENTS_LABEL, size_text
from experts.choices import DISCIPLINE_SEPARATOR, join_disciplines
from portal.crypto import decrypt, encrypt
from portal.templating import (
    application_sections,
    masked_bank_account,
    masked_birth_date,
    masked_id_number,
)

# Shown masked on the reviewers' pages (see experts.reveal); kept encrypted in a snapshot.
SECRET_LABELS = {"证件号码": masked_id_number, "银行账号": masked_bank_account}
# Kept plain, but shown masked unless the number named beside it is shown: the 出生日期 is
# part of the 证件号码 (portal.templating.masked_birth_date).
SHOWN_WITH = {"出生日期": ("证件号码", masked_birth_date)}
# Not the applicant's information: the consent's time changes with every submission.
LEFT_OUT = {"敏感个人信息处理同意"}
# 2: the 专业领域 joined as every page lists them (experts.choices.join_disciplines). Version 1
# joined them with 、, which two fields' own names hold: `rows` reads them back by name.
VERSION = 2
DISCIPLINES_LABEL = "专业领域"


def take(application, attachments=None) -> dict:
    """The snapshot of `application` as submitted now, ready for a JSONField. `attachments`:
    its 证明材料 when the caller has them (seed_scale makes none), else read here."""
    rows = []
    for section, fields in application_sections(application.user, application):
        for label, value in fields:
            if label in LEFT_OUT:
                continue
            text = "" if value in (None, "") else str(value)
            secret = label in SECRET_LABELS and bool(text)
            rows.append([section, label, encrypt(text) if secret else text, secret])
    files = [
        [
            attachment.get_kind_display(),
            attachment.original_name,
            attachment.size,
            attachment.sha256,
        ]
        for attachment in (
            application.attachments.order_by("uploaded_at", "pk")
            if attachments is None
            else attachments
        )
    ]
    return {"version": VERSION, "rows": rows, "attachments": files}


def rows(snapshot: dict) -> list[tuple[str, str, str, bool]]:
    """(section, label, plain value, secret) of each row of `snapshot` (a submission's, or a
    变更申请's before and after: changes.fields.snapshot), decrypted, the 专业领域 of a
    version-1 snapshot joined as a current one joins them, so that the two compare alike."""
    old = snapshot.get("version", 1) < 2
    found = []
    for section, label, value, secret in snapshot.get("rows", []):
        plain = decrypt(value) if secret else value
        if old and label == DISCIPLINES_LABEL and plain:
            plain = _rejoined(plain)
        found.append((section, label, plain, secret))
    return found


def _rejoined(text: str) -> str:
    """A version-1 snapshot's 、-joined 专业领域 as join_disciplines joins them: its pieces
    taken together until they make a name of the classification (as discipline_names words
    it: 软件（电子信息）). A text that does not split into names (a field renamed since) is
    left as it was."""
    from experts.selectors import discipline_tree

    known = set()
    for field in discipline_tree():
        known.add(field.name)
        known.update(f"{name}（{field.name}）" for _, name in field.children)
    names, current = [], ""
    for piece in text.split("、"):
        current = f"{current}、{piece}" if current else piece
        if current in known:
            names.append(current)
            current = ""
    if current or DISCIPLINE_SEPARATOR in text:
        return text
    return join_disciplines(names)


@dataclass(frozen=True)
class Change:
    section: str
    label: str
    old: str
    new: str
    changed: bool
    # The reviewer's comment on this field in the 退回 or 审核不通过 the resubmission answers
    # ("": none asked), shown beside the row, which 只看变更 then keeps.
    comment: str = ""
    # False for a commented field no snapshot keeps (敏感个人信息处理同意, LEFT_OUT): its row
    # says so rather than 未修改.
    compared: bool = True
    # 证明材料: each file of the previous submission, marked when this one no longer has it,
    # and each of this one, marked when it is new: (line, marked).
    old_files: tuple[tuple[str, bool], ...] = ()
    new_files: tuple[tuple[str, bool], ...] = ()

    @property
    def noted(self) -> bool:
        """What 只看变更 keeps: a changed row, or one a reviewer commented on."""
        return self.changed or bool(self.comment)

    @property
    def removed(self) -> int:
        return sum(marked for _, marked in self.old_files)

    @property
    def added(self) -> int:
        return sum(marked for _, marked in self.new_files)


def _file_line(kind: str, name: str, size: int) -> str:
    return f"{kind}：{name}（{size_text(size)}）"


def attachments_text(snapshot: dict) -> str:
    """A snapshot's 证明材料 as the comparison shows them, one a line:
    职称证书：证书.pdf（1.2 MB）."""
    return "\n".join(
        _file_line(kind, name, size) for kind, name, size, _ in snapshot.get("attachments", [])
    )


def _marked_files(files: list, others: list) -> tuple[tuple[str, bool], ...]:
    """Each of `files` as a line, marked when `others` does not hold it: by content, kind and
    name, counted (a file uploaded twice and kept once is one removed)."""
    left = Counter(map(tuple, others))
    marked = []
    for file in map(tuple, files):
        kind, name, size, _ = file
        marked.append((_file_line(kind, name, size), left[file] == 0))
        left[file] -= 1
    return tuple(marked)


def _attachments_change(previous: dict, current: dict) -> Change:
    """证明材料 compared by content (their hashes), kinds and names; a snapshot from before
    they were kept had none (nobody could upload one). Each file says whether it was added
    or removed since."""
    before, after = previous.get("attachments", []), current.get("attachments", [])
    return Change(
        ATTACHMENTS_LABEL,
        ATTACHMENTS_LABEL,
        attachments_text(previous),
        attachments_text(current),
        sorted(map(tuple, before)) != sorted(map(tuple, after)),
        old_files=_marked_files(before, after),
        new_files=_marked_files(after, before),
    )


def _values(snapshot: dict, revealed: frozenset) -> dict[str, tuple[str, str, bool]]:
    """label → (section, shown value, plain value for comparing)."""
    values = {}
    for section, label, plain, secret in rows(snapshot):
        shown = plain
        if secret and label not in revealed:
            shown = SECRET_LABELS[label](plain)
        elif label in SHOWN_WITH and SHOWN_WITH[label][0] not in revealed:
            shown = SHOWN_WITH[label][1](plain)
        values[label] = (section, shown, plain)
    return values


def compare(
    previous: dict,
    current: dict,
    revealed: frozenset = frozenset(),
    comments: dict[str, str] | None = None,
) -> list[Change]:
    """Every field of the current submission beside its value in the previous one. A masked
    number shows masked on both sides: its row says it changed, not what it was.

    `comments` (label → comment): what the 退回 or 审核不通过 the current submission answers
    said of named fields (ApplicationTransition.comments_by_label), each beside its row; a
    commented field no snapshot keeps gets a row of its own, not compared."""
    comments = dict(comments or {})
    before = _values(previous, revealed)
    after = _values(current, revealed)
    changes = []
    for label, (section, shown, plain) in after.items():
        _, old_shown, old_plain = before.get(label, (section, "", ""))
        changes.append(
            Change(section, label, old_shown, shown, old_plain != plain, comments.pop(label, ""))
        )
    # A submission's 证明材料 (a 信息变更's before and after keep none: no row for them).
    if "attachments" in previous or "attachments" in current:
        change = _attachments_change(previous, current)
        changes.append(replace(change, comment=comments.pop(change.label, "")))
    changes.extend(
        Change("", label, "", "", False, comment, compared=False)
        for label, comment in comments.items()
    )
    return changes


def last_two_submissions(application):
    """(the one before, the latest): the snapshots of a resubmission's two submissions, or None
    for a first submission (nothing to compare with). Either snapshot is None where that
    submission was made before snapshots were kept (the page says it cannot compare)."""
    snapshots = list(
        application.history.filter(action="submit")
        .order_by("-created_at", "-pk")
        .values_list("snapshot", flat=True)[:2]
    )
    return (snapshots[1], snapshots[0]) if len(snapshots) == 2 else None
