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


def net_of(amount: Decimal) -> Decimal:
    return Decimal(amount) - labour_tax(amount)


def gross_for(net: Decimal) -> Decimal:
    """The payment before tax whose 实发 (after the tax withheld) is `net`, to the fen: the
    standards are set after tax (财科教〔2017〕128号: 元/人天（税后）), while the sheet records
    what is paid before it. The smallest amount whose net reaches `net`: rounding to the fen
    may leave no amount whose net is exactly it."""
    net = Decimal(net)
    if net <= 800:
        return net.quantize(CENT)
    # The net grows with the amount, band by band (see labour_tax): invert the band's line.
    for low, high, rate, deduction in [
        # net = amount − (amount − 800) × 20 %, up to an amount of 4,000
        (Decimal("800"), Decimal("4000"), Decimal("0.2"), Decimal("-160")),
        # net = amount − (amount × 80 %) × rate + deduction, beyond
        (Decimal("4000"), Decimal("25000"), Decimal("0.16"), Decimal("0")),
        (Decimal("25000"), Decimal("62500"), Decimal("0.24"), Decimal("2000")),
        (Decimal("62500"), None, Decimal("0.32"), Decimal("7000")),
    ]:
        if high is None or net <= net_of(high):
            amount = ((net - deduction) / (1 - rate)).quantize(CENT, rounding=ROUND_HALF_UP)
            amount = max(amount, low)
            break
    while net_of(amount) < net:
        amount += CENT
    while amount > CENT and net_of(amount - CENT) >= net:
        amount -= CENT
    return amount
