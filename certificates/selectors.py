from certificates.models import Certificate


def find(code: str) -> Certificate | None:
    """The certificate with this (normalised) code, with what the 证书查验 page shows, in one
    query: every wrong code costs the same single indexed lookup."""
    return (
        Certificate.objects.select_related("application__user", "application__unit")
        .filter(code=code)
        .first()
    )


def masked_name(name: str) -> str:
    """张三明 → 张*明, 王五 → 王*, 欧阳娜娜 → 欧**娜: the first and (from three characters) the
    last character, the rest starred."""
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
