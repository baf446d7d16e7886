"""The 抽取申请 form: the project, the rules, and one row per 专业领域."""

import collections
import dataclasses
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from accounts.choices import DISTRICT_CHOICES, UnitNature
from accounts.models import Unit, UnitStatus
from draws.models import Evaluation
from draws.rules import Criteria
from draws.services import NotEnough, QuotaAsk
from experts.choices import TitleLevel
from experts.filters import AGE_CHOICES, PoolFilter
from experts.models import Discipline, ExpertApplication
from experts.selectors import pool_for
from portal.forms import PortalFormMixin

MAX_PER_QUOTA = 50
MAX_RESERVES = 20
QUOTA_ROWS = 4  # rows the form opens with
MAX_QUOTA_ROWS = 10  # rows 增加一行 may reach; more are refused
TOO_MANY_ROWS = f"抽取名额最多填写{MAX_QUOTA_ROWS}行（每行一个专业领域），请合并或删减后再提交。"

TITLE_CHOICES = [
    ("", "不限"),
    (TitleLevel.SENIOR.value, "正高级"),
    (TitleLevel.ASSOCIATE.value, "副高级及以上"),
    (TitleLevel.INTERMEDIATE.value, "中级及以上"),
]


def pool_option(label: str, choices, help_text: str) -> forms.MultipleChoiceField:
    """One of 专家库's filters (单位性质, 所在区, 年龄段) as a draw's rule: its options and
    labels, one or more ticked, none for 不限. A value the list does not offer is refused."""
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
        error_messages={
            "invalid_choice": f"请在列表中选择{label}。",
            "invalid_list": f"请在列表中选择{label}。",
        },
    )


def in_order(values, choices) -> list[str]:
    """`values` in the order the form lists them (as the record and its pages say them)."""
    chosen = set(values)
    return [value for value, _ in choices if value in chosen]


def names_in(text: str) -> list[str]:
    """The names typed one per line (or separated by 、，,；;), without blanks or repeats."""
    names = (name.strip() for name in re.split(r"[\n\r、，,；;]+", text or ""))
    return list(dict.fromkeys(name for name in names if name))


SEPARATORS = "、，,；;"
OPENING, CLOSING = "（(", "）)"
# 姓名（单位名称）, in full-width or ASCII brackets: the name ends at the first bracket, and the
# unit's own name may hold brackets of its own (中铁（武汉）建设有限公司).
NAME_AT_UNIT = re.compile(r"(?P<name>[^（()）]+?)\s*[（(]\s*(?P<unit>.*\S)\s*[）)]")


# A unit's name as compared (never as stored): its brackets full-width, whichever were typed,
# without the spaces around them. 中铁(武汉)建设有限公司 and 中铁 （武汉） 建设有限公司 are the
# registered 中铁（武汉）建设有限公司 to a reviewer, and must be to the form too.
_BRACKET_OPENING = re.compile(r"\s*[（(]\s*")
_BRACKET_CLOSING = re.compile(r"\s*[）)]\s*")


def unit_key(name: str) -> str:
    """`name` as 回避单位 and 回避专家's 姓名（单位名称） compare it with a registered unit's."""
    return _BRACKET_CLOSING.sub("）", _BRACKET_OPENING.sub("（", name.strip()))


def unit_pattern(name: str) -> str:
    """A regular expression (for the ORM's __regex, on PostgreSQL as on SQLite) that finds
    the names of the same unit_key as `name`: each bracket either width, spaces around it."""
    parts = []
    for char in unit_key(name):
        if char == "（":
            parts.append(r"\s*[（(]\s*")
        elif char == "）":
            parts.append(r"\s*[）)]\s*")
        else:
            parts.append(re.escape(char))
    return r"^\s*" + "".join(parts) + r"\s*$"


@dataclasses.dataclass(frozen=True)
class AvoidLine:
    """One line of 回避专家: a name (every expert of that name), or a name at a unit."""

    name: str
    unit: str = ""

    def __str__(self) -> str:
        # As the record keeps it: full-width brackets, whichever were typed.
        return f"{self.name}（{self.unit}）" if self.unit else self.name


def avoid_lines(text: str) -> tuple[list[AvoidLine], list[str]]:
    """The 回避专家 typed: one per line (or separated by 、，,；; outside brackets, since a unit's
    name may hold a comma), as AvoidLines without blanks or repeats, and the lines that read
    as neither a name nor 姓名（单位名称） (a bracket left open, nothing inside it)."""
    parts, current, depth = [], [], 0
    for char in (text or "").replace("\r", "\n"):
        if char == "\n":  # a line ends whatever bracket it left open
            depth = 0
        elif char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth = max(depth - 1, 0)
        if char == "\n" or (depth == 0 and char in SEPARATORS):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    lines, unreadable = [], []
    for part in (part.strip() for part in parts):
        if not part:
            continue
        if not any(bracket in part for bracket in OPENING + CLOSING):
            lines.append(AvoidLine(part))
        elif found := NAME_AT_UNIT.fullmatch(part):
            lines.append(AvoidLine(found["name"], found["unit"]))
        else:
            unreadable.append(part)
    # A line typed twice counts once, its unit compared as unit_key does (the first kept).
    kept: dict[tuple[str, str], AvoidLine] = {}
    for line in lines:
        kept.setdefault((line.name, unit_key(line.unit)), line)
    return list(kept.values()), list(dict.fromkeys(unreadable))


def discipline_choices() -> list:
    """专业领域 grouped by field: the field itself (with all its sub-fields) first."""
    fields, children = [], {}
    for discipline in Discipline.objects.order_by("code"):
        if discipline.parent_id is None:
            fields.append(discipline)
        else:
            children.setdefault(discipline.parent_id, []).append(discipline)
    choices = [("", "请选择专业领域")]
    for field in fields:
        subs = children.get(field.pk, [])
        if not subs:
            choices.append((field.pk, field.name))
            continue
        group = [(field.pk, f"{field.name}（含全部子领域）")]
        group += [(sub.pk, sub.name) for sub in subs]
        choices.append((field.name, group))
    return choices


class DrawForm(PortalFormMixin, forms.Form):
    project_name = forms.CharField(label="项目名称", max_length=100)
    review_at = forms.DateTimeField(
        label="评审时间",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "请输入有效的评审时间，例如 2027-01-15 09:30。"},
    )
    review_place = forms.CharField(label="评审地点", max_length=200)
    avoid_units = forms.CharField(
        label="回避单位",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "申报本项目的单位，每行一个，须与已注册单位的名称一致（括号全角、半角均可）。"
            "这些单位的专家不会被抽取。"
        ),
    )
    avoid_experts = forms.CharField(
        label="回避专家",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=(
            "需要回避的专家，每行一个。只填姓名时，同名的专家均回避；"
            "按“姓名（单位名称）”填写时，只回避该单位的这位专家。"
        ),
    )
    min_title_level = forms.ChoiceField(
        label="职称级别要求",
        choices=TITLE_CHOICES,
        required=False,
        error_messages={"invalid_choice": "请选择列表中的职称级别要求。"},
    )
    # 专家库's own filters, as its list offers them (experts.filters.PoolFilter).
    unit_natures = pool_option(
        "单位性质", UnitNature.choices, "选多项时，属于其中任一项的单位的专家均可抽取。"
    )
    districts = pool_option("所在区", DISTRICT_CHOICES, "专家所在单位的所在区。")
    age_bands = pool_option("年龄段", AGE_CHOICES, "按抽取当日的年龄计算。")
    # Each pick counts from the moment it is drawn, whatever the expert answers (draws.rules):
    # the record's fairness rests on rules that a later answer cannot change. The help says so,
    # and what 0 means, where a reviewer sets them (found by a reviewer's walk).
    cooldown_days = forms.IntegerField(
        label="冷却期（天）",
        min_value=0,
        max_value=3650,
        initial=0,
        help_text=(
            "最近若干天内被抽中（含递补）的专家不再抽取。每次抽中都计入，之后不参加的也计入；"
            "作废的抽取不计入。0 表示不设冷却期。"
        ),
        error_messages={"min_value": "冷却期不能为负数。", "invalid": "冷却期请填写整数天数。"},
    )
    yearly_cap = forms.IntegerField(
        label="每人每年最多抽中次数",
        min_value=0,
        max_value=100,
        initial=0,
        help_text=(
            "本年度被抽中（含递补）达到该次数的专家不再抽取。每次抽中都计入，之后不参加的也计入；"
            "作废的抽取不计入。0 表示不限次数。"
        ),
        error_messages={"min_value": "次数不能为负数。", "invalid": "次数请填写整数。"},
    )

    # 专家评价 (draws.models.Evaluation) put to use: blank or 0 for none, so that a form posted
    # without it (an old tab, a script) draws as before.
    poor_grade_years = forms.IntegerField(
        label="专家评价回避（年）",
        min_value=0,
        max_value=10,
        initial=0,
        required=False,
        help_text=(
            "排除近N年有“不称职”或“无故缺席”评价的专家：评审时间在近N年内、"
            "该次评审最近一次评价（含更正）为“不称职”或“无故缺席”的专家不再抽取；"
            "作废的抽取不计入。0 表示不排除。"
        ),
        error_messages={
            "min_value": "年数不能为负数。",
            "max_value": "年数最多为10年。",
            "invalid": "年数请填写整数。",
        },
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        # "" is a choice of its own here (不限), not the mixin's 请选择 prompt.
        self.fields["min_title_level"].choices = TITLE_CHOICES

    def clean_unit_natures(self):
        return in_order(self.cleaned_data["unit_natures"], UnitNature.choices)

    def clean_districts(self):
        return in_order(self.cleaned_data["districts"], DISTRICT_CHOICES)

    def clean_age_bands(self):
        return in_order(self.cleaned_data["age_bands"], AGE_CHOICES)

    def clean_poor_grade_years(self):
        return self.cleaned_data["poor_grade_years"] or 0

    def clean_review_at(self):
        review_at = self.cleaned_data["review_at"]
        if review_at < timezone.now():
            raise ValidationError("评审时间不能早于现在。")
        return review_at

    def clean_avoid_units(self):
        # A name is not unique (the credit code is): every approved unit of that name is avoided.
        # Compared by unit_key, so the brackets typed do not matter (a name typed twice, once
        # in each, counts once); the record keeps each name as first typed.
        typed: dict[str, str] = {}
        for name in names_in(self.cleaned_data["avoid_units"]):
            typed.setdefault(unit_key(name), name)
        names = list(typed.values())
        found: dict[str, list[int]] = {}
        units = Unit.objects.none()
        if names:
            alike = Q()
            for name in names:
                alike |= Q(name__regex=unit_pattern(name))
            units = Unit.objects.filter(alike, status=UnitStatus.APPROVED)
        for pk, name in units.values_list("pk", "name"):
            found.setdefault(unit_key(name), []).append(pk)
        missing = [name for name in names if unit_key(name) not in found]
        if missing:
            listed = "、".join(f"“{name}”" for name in missing)
            raise ValidationError(
                f"回避单位{listed}不存在或未通过审核，请填写已通过审核单位的完整名称"
                "（未通过审核的单位没有入库专家，无需回避）。"
            )
        self.avoid_unit_matches = {name: len(found[unit_key(name)]) for name in names}
        self.avoid_unit_ids = sorted({pk for name in names for pk in found[unit_key(name)]})
        return names

    def clean_avoid_experts(self):
        lines, unreadable = avoid_lines(self.cleaned_data["avoid_experts"])
        # Every approved expert of each name typed, with their unit: a name alone avoids all of
        # them; 姓名（单位名称） only those of that unit.
        names = {line.name for line in lines}
        of_name: dict[str, list[tuple[int, str]]] = {}
        rows = pool_for(self.user).filter(user__real_name__in=names)
        for pk, name, unit in rows.order_by("unit__name", "pk").values_list(
            "pk", "user__real_name", "unit__name"
        ):
            of_name.setdefault(name, []).append((pk, unit or ""))
        matched = {
            line: [
                (pk, unit)
                for pk, unit in of_name.get(line.name, [])
                if unit_key(unit) == unit_key(line.unit)
            ]
            if line.unit
            else of_name.get(line.name, [])
            for line in lines
        }
        errors = [
            f"回避专家“{part}”无法识别，请每行填写一个姓名，或按“姓名（单位名称）”填写。"
            for part in unreadable
        ]
        missing = [str(line) for line in lines if not line.unit and not matched[line]]
        if missing:
            listed = "、".join(f"“{name}”" for name in missing)
            errors.append(
                f"回避专家{listed}不是“审核通过”的在库专家，请核对姓名"
                "（已冻结、已出库的专家不会被抽取，无需回避）。"
            )
        for line in lines:
            if line.unit and not matched[line]:
                # Where that name is, if anywhere: most often the unit's name was mistyped.
                elsewhere = "、".join(
                    dict.fromkeys(unit or "无单位" for _, unit in of_name.get(line.name, []))
                )
                errors.append(
                    f"回避专家“{line}”：{line.unit}没有名为{line.name}的“审核通过”在库专家，"
                    "请核对姓名和单位名称（须与已注册单位的名称一致，括号全角、半角均可）"
                    + (
                        f"；名为{line.name}的在库专家的工作单位：{elsewhere}。"
                        if elsewhere
                        else "。"
                    )
                )
        if errors:
            raise ValidationError(errors)
        # What the confirmation page says of each line: the units of the experts it avoids.
        self.avoid_matches = {
            str(line): [unit for _, unit in found] for line, found in matched.items()
        }
        self.avoid_expert_ids = sorted({pk for found in matched.values() for pk, _ in found})
        return [str(line) for line in lines]

    def avoid_note(self, line: str) -> str:
        """What the confirmation page says after a 回避专家 line that avoids more than one
        expert: how many, and their units (to narrow it to one by 姓名（单位名称）); '' else."""
        units = self.avoid_matches.get(line, [])
        if len(units) < 2:
            return ""
        counted = collections.Counter(unit or "无单位" for unit in units)
        listed = "、".join(f"{unit}{n}人" if n > 1 else unit for unit, n in counted.items())
        return f"同名{len(units)}人，均回避；工作单位：{listed}"

    def avoid_example(self) -> str:
        """姓名（单位名称） for the first 回避专家 line that avoids several experts, with the
        first of their units: the confirmation page's example of narrowing it; '' for none."""
        for line, units in self.avoid_matches.items():
            if len(units) > 1 and "（" not in line:
                return str(AvoidLine(line, units[0] or ""))
        return ""

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria(
            avoid_unit_ids=tuple(self.avoid_unit_ids),
            avoid_unit_names=tuple(data["avoid_units"]),
            avoid_expert_ids=tuple(self.avoid_expert_ids),
            avoid_expert_names=tuple(data["avoid_experts"]),
            cooldown_days=data["cooldown_days"],
            yearly_cap=data["yearly_cap"],
            min_title_level=data["min_title_level"],
            unit_natures=tuple(data["unit_natures"]),
            districts=tuple(data["districts"]),
            age_bands=tuple(data["age_bands"]),
            poor_grade_years=data["poor_grade_years"],
        )


# 专家库's filters (experts.filters.PoolFilter) by the draw rule each is.
POOL_RULES = {"nature": "unit_natures", "district": "districts", "age": "age_bands"}


@dataclasses.dataclass
class PoolStart:
    """A new draw opened from 专家库 (按当前条件抽取): the form's and the first quota row's
    initial values from the list's filters, what was filled in (said as the form says it),
    and which of the list's filters a draw has no rule for."""

    initial: dict
    quota_initial: list[dict]
    filled: list[str]
    left: list[str]


def from_pool(query) -> PoolStart:
    """The 专家库 query string `query` as a new draw's initial values, read by the list's own
    filters (PoolFilter: a value it cannot take is left out, as the list leaves it out). Its
    专业领域 becomes the first row's; its 职称级别 the lowest 职称级别要求 where the form offers
    that level (副高级 as 副高级及以上); 单位性质, 所在区 and 年龄段 are ticked. 单位 and the
    search box have no draw rule (a unit is avoided, never asked for): said, not carried."""
    pool = PoolFilter(query, queryset=ExpertApplication.objects.none())
    pool.is_valid()
    data = pool.form.cleaned_data
    initial, quota_initial, filled, left = {}, [], [], []
    if data.get("discipline"):
        quota_initial.append({"discipline": int(data["discipline"])})
        filled.append("专业领域（第1行）")
    level, levels = data.get("title_level"), dict(TITLE_CHOICES)
    if level and level in levels:
        initial["min_title_level"] = level
        filled.append(f"职称级别要求（{levels[level]}）")
    elif level:
        left.append(f"职称级别（{TitleLevel(level).label}）")
    for name, field in POOL_RULES.items():
        if data.get(name):
            initial[field] = [data[name]]
            filled.append(DrawForm.base_fields[field].label)
    if data.get("unit"):
        left.append("单位")
    if data.get("q"):
        left.append("关键词")
    return PoolStart(initial, quota_initial, filled, left)


def head_count(label: str, most: int, too_many: str) -> forms.IntegerField:
    """A number of people: blank, or 0 to `most`, refused in Chinese otherwise."""
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=most,
        required=False,
        error_messages={
            "min_value": "人数不能为负数。",
            "max_value": too_many,
            "invalid": "人数请填写整数。",
        },
    )


class QuotaForm(forms.Form):
    discipline = forms.TypedChoiceField(
        label="专业领域",
        coerce=int,
        required=False,
        error_messages={"invalid_choice": "请选择列表中的专业领域。"},
    )
    count = head_count("抽取人数", MAX_PER_QUOTA, f"每个专业领域最多抽取{MAX_PER_QUOTA}人。")
    reserves = head_count("备选人数", MAX_RESERVES, f"备选最多{MAX_RESERVES}人。")

    def __init__(self, *args, disciplines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discipline"].choices = disciplines

    def clean(self):
        data = super().clean()
        discipline, count = data.get("discipline"), data.get("count")
        if discipline and count == 0:
            self.add_error("count", "抽取人数至少为1人。")
        elif discipline and not count and "count" not in self.errors:
            self.add_error("count", "请填写抽取人数（至少1人）。")
        if count and not discipline and "discipline" not in self.errors:
            self.add_error("discipline", "请选择专业领域。")
        return data


class BaseQuotaFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        chosen = [form.cleaned_data.get("discipline") for form in self.forms]
        chosen = [pk for pk in chosen if pk]
        if not chosen:
            message = "请至少填写一个专业领域及其抽取人数。"
            if not self.forms:  # a forged row count: no field to mark
                raise ValidationError(message)
            # Said at the first row's 专业领域, where filling one in starts (the summary links it).
            self.forms[0].add_error("discipline", message)
            return
        # A 专业领域 repeated: said at each later row's field, naming the row it repeats.
        first_row: dict[int, int] = {}
        for row, form in enumerate(self.forms, 1):
            discipline = form.cleaned_data.get("discipline")
            if not discipline:
                continue
            if discipline in first_row:
                form.add_error(
                    "discipline", f"与第{first_row[discipline]}行的专业领域相同，请合并为一行。"
                )
            else:
                first_row[discipline] = row

    def asks(self) -> list[QuotaAsk]:
        """The rows filled in, each with its number on the form (blank rows counted)."""
        rows = [
            (row, form.cleaned_data)
            for row, form in enumerate(self.forms, 1)
            if form.cleaned_data.get("discipline")
        ]
        disciplines = Discipline.objects.in_bulk([data["discipline"] for _, data in rows])
        return [
            QuotaAsk(disciplines[data["discipline"]], data["count"], data["reserves"] or 0, row)
            for row, data in rows
        ]

    def add_shortfall(self, short: NotEnough) -> None:
        """NotEnough said under its row's 抽取人数 (the summary names the row)."""
        self.forms[short.row - 1].add_error("count", short.shortfall)


QuotaFormSet = forms.formset_factory(
    QuotaForm,
    formset=BaseQuotaFormSet,
    extra=QUOTA_ROWS,
    max_num=MAX_QUOTA_ROWS,
    absolute_max=MAX_QUOTA_ROWS,
    validate_max=True,
)


def quota_formset(data=None, initial=None, rows=QUOTA_ROWS) -> BaseQuotaFormSet:
    """The quota rows: bound to `data` (as many rows as it says, up to MAX_QUOTA_ROWS; more is
    refused in words), or `rows` rows of which the first take `initial`."""
    formset = QuotaFormSet(
        data,
        initial=initial,
        prefix="quota",
        form_kwargs={"disciplines": discipline_choices()},
        error_messages={"too_many_forms": TOO_MANY_ROWS},
    )
    formset.extra = max(rows - len(initial or []), 0)
    return formset


def with_one_more_row(
    form: DrawForm, quotas: BaseQuotaFormSet
) -> tuple[DrawForm, BaseQuotaFormSet]:
    """增加一行 (a submit button, so that it works without JavaScript): the form again with
    everything typed in it, valid or not, as its first values, and one more empty row (up to
    MAX_QUOTA_ROWS). Unbound, so that a form half filled is not marked with errors for it."""
    typed = {name: form[name].data for name in form.fields}
    rows = [{name: row[name].data for name in row.fields} for row in quotas.forms]
    again = DrawForm(user=form.user, initial=typed)
    quotas = quota_formset(initial=rows, rows=min(len(rows) + 1, MAX_QUOTA_ROWS))
    if len(quotas.forms) > len(rows):
        # The page opens at the new row's 专业领域, where the reviewer goes on typing.
        quotas.forms[-1].fields["discipline"].widget.attrs["autofocus"] = True
    return again, quotas


class AnswerForm(forms.Form):
    """确认参加 / 不参加 for one drawn expert."""

    application = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[("confirm", "确认参加"), ("decline", "不参加")])
    reason = forms.CharField(label="不参加理由", max_length=200, required=False)


class EvaluationForm(forms.Form):
    """专家评价 of one member: the grade, and the comment a grade below 称职 needs (the service
    says so, naming the expert)."""

    application = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    grade = forms.ChoiceField(
        label="评价",
        choices=Evaluation.Grade.choices,
        error_messages={
            "required": "请选择评价等级。",
            "invalid_choice": "请选择列表中的评价等级。",
        },
    )
    comment = forms.CharField(
        label="评价说明",
        max_length=200,
        required=False,
        error_messages={"max_length": "评价说明最多200字。"},
    )


class VoidForm(forms.Form):
    """作废 of a draw: the reason is needed (the service trims it and keeps 200 characters)."""

    reason = forms.CharField(label="作废理由", error_messages={"required": "请填写作废理由。"})


ROUND_INVALID = "所选轮次不属于本抽取记录，请在下方某一轮中填写随机种子验算。"


class VerifyForm(forms.Form):
    """复核 with a seed other than the stored one, to see that it gives other names."""

    seed = forms.CharField(label="随机种子", required=False)
    round = forms.IntegerField(
        min_value=1, required=False, error_messages={"invalid": ROUND_INVALID}
    )

    def __init__(self, *args, rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rounds = set(rounds)  # the ids of this draw's rounds

    def clean_seed(self):
        # As pasted: surrounding spaces and capitals (a seed copied from elsewhere) are fine.
        seed = self.cleaned_data["seed"].strip().lower()
        if seed and not re.fullmatch(r"[0-9a-f]{64}", seed):
            raise forms.ValidationError("随机种子应为64位十六进制数字（0-9、a-f）。")
        return seed

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("round")
        if cleaned.get("seed") and chosen not in self.rounds:
            self.add_error("round", ROUND_INVALID)
        elif chosen is not None and chosen not in self.rounds:
            # A round alone (a link typed or kept): said, never ignored into a silent 一致.
            listed = "、".join(str(pk) for pk in sorted(self.rounds))
            self.add_error(
                "round", f"该抽取没有轮次编号为{chosen}的一轮，本记录的轮次编号为：{listed}。"
            )
        return cleaned
