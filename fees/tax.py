"""个人所得税 withheld from an expert's 劳务费 (劳务报酬所得), as the payer withholds it on each
payment (预扣预缴, 国家税务总局公告2018年第61号, 附件 个人所得税预扣率表二):

- the taxable income (预扣预缴应纳税所得额) is the payment less 800 yuan when it is at most
  4,000 yuan, and less 20 % when it is more (a payment of 800 or less owes nothing);
- the tax is 20 % of that, or 30 % less 2,000 above 20,000 yuan, or 40 % less 7,000 above
  50,000 yuan.

The payer's finance office may settle otherwise (an expert paid twice in a month by the same
payer is one payment); the sheet says the figures are what the portal withheld, not the
annual settlement."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# (upper bound of the taxable income, rate, quick deduction), from the lowest.
RATES = [
    (Decimal("20000"), Decimal("0.20"), Decimal("0")),
    (Decimal("50000"), Decimal("0.30"), Decimal("2000")),
    (None, Decimal("0.40"), Decimal("7000")),
]


def taxable(amount: Decimal) -> Decimal:
    if amount <= 800:
        return Decimal("0")
    if amount <= 4000:
        return amount - 800
    return amount * Decimal("0.8")


def labour_tax(amount: Decimal) -> Decimal:
    """The tax withheld from a 劳务报酬 payment of `amount` yuan, to the fen."""
    income = taxable(Decimal(amount))
    for bound, rate, deduction in RATES:
        if bound is None or income <= bound:
            return (income * rate - deduction).quantize(CENT, rounding=ROUND_HALF_UP)
    raise AssertionError("unreachable")  # the last band has no bound
