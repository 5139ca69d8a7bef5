"""factory_boy factories for every model the tests build; money goes through services."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import Contact, Currency, Customer, PaymentTerms
from invoices import services
from invoices.models import Invoice, Payment


def user_in_role(role: str, username: str | None = None, **extra):
    user = UserFactory(username=username or factory.Faker._get_faker().unique.user_name(), **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-only")


def collector(username: str | None = None):
    return user_in_role(roles.COLLECTOR, username)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_ref = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Faker("company")
    currency = factory.LazyFunction(lambda: Currency.objects.get(code="USD"))
    payment_terms = factory.LazyFunction(lambda: PaymentTerms.objects.get(net_days=30))
    credit_limit = Decimal("50000.00")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name")
    email = factory.Faker("email")
    phone = "+1 555 0100"


def invoice(
    customer=None, amount="100.00", number=None, issue_date=None, due_days=30, **kw
) -> Invoice:
    customer = customer or CustomerFactory()
    issue_date = issue_date or datetime.date(2026, 1, 1)
    return services.invoice_create(
        actor=None,
        customer=customer,
        number=number or f"INV-{Invoice.objects.count() + 1:07d}-{customer.pk}",
        issue_date=issue_date,
        due_date=issue_date + datetime.timedelta(days=due_days),
        amount=Decimal(amount),
        currency=kw.pop("currency", None) or customer.currency_id,
        **kw,
    )


def payment(customer=None, amount="100.00", reference=None, received_date=None, **kw) -> Payment:
    customer = customer or CustomerFactory()
    return services.payment_post(
        actor=None,
        customer=customer,
        reference=reference or f"PAY-{Payment.objects.count() + 1:07d}-{customer.pk}",
        received_date=received_date or datetime.date(2026, 2, 1),
        amount=Decimal(amount),
        currency=kw.pop("currency", None) or customer.currency_id,
        **kw,
    )


def dispute_record(
    customer,
    lines: dict,
    *,
    status: str = "open",
    reason: str = "pricing",
    opened_at: datetime.datetime | None = None,
    closed_at: datetime.datetime | None = None,
    opened_by=None,
):
    """A dispute as its history left it, written directly so that tests can place it in the
    past: ``lines`` maps invoices to disputed amounts; the history has its opening and, for
    a status other than open, one move to it at ``closed_at`` (default: the opening). The
    services that write disputes are tested in tests/disputes/."""
    from django.utils import timezone

    from disputes.models import Dispute, DisputeEvent, DisputeLine, DisputeReason

    reason_row = DisputeReason.objects.get(code=reason)
    opened_at = opened_at or timezone.now()
    closed_at = closed_at or opened_at
    amounts = {item: Decimal(str(amount)) for item, amount in lines.items()}
    first = next(iter(amounts))
    dispute = Dispute.objects.create(
        customer=customer,
        amount=sum(amounts.values()),
        currency_id=first.currency_id,
        reason=reason_row,
        status=status,
        department=reason_row.department,
        due_date=opened_at.date() + datetime.timedelta(days=reason_row.sla_days),
        opened_by=opened_by,
        opened_at=opened_at,
        resolved_at=closed_at if status == "resolved" else None,
        resolution="settled" if status == "resolved" else "",
    )
    for item, amount in amounts.items():
        DisputeLine.objects.create(dispute=dispute, invoice=item, amount=amount)
    DisputeEvent.objects.create(
        dispute=dispute, kind="opened", at=opened_at, actor=opened_by, status="open"
    )
    if status != "open":
        DisputeEvent.objects.create(
            dispute=dispute, kind="moved", at=closed_at, from_status="open", status=status
        )
    return dispute
