"""The dunning template editor (admins): a list by code with its language variants, and an
edit page whose live preview renders the unsaved text in the sandbox against a customer.

Every page needs ``change_dunningtemplate``; a customer picked for the preview comes through
the portfolio-scoped ``customers_for``, so the preview shows only accounts the user may see.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.views.decorators.http import require_POST

from accounts.errors import ServiceError
from accounts.models import Customer
from accounts.selectors import customer_for, customers_for
from invoices import statements
from invoices.models import Invoice

from . import documents, services
from .models import DunningTemplate

EDIT_TEMPLATES = "dunning.change_dunningtemplate"
PREVIEW_CUSTOMERS = 500


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        strip=False,
        max_length=documents.MAX_TEMPLATE_CHARS,
        widget=forms.Textarea(attrs={"rows": 26, "spellcheck": "false", "class": "code"}),
    )


class VariantForm(forms.Form):
    language = forms.CharField(
        max_length=10, widget=forms.TextInput(attrs={"placeholder": "e.g. fr", "size": 6})
    )


def preview_customers(user) -> QuerySet[Customer]:
    """Customers the user may see that have an overdue invoice: the preview's sample accounts."""
    overdue = Invoice.objects.filter(
        customer=OuterRef("pk"), open_amount__gt=0, due_date__lt=timezone.localdate()
    )
    return (
        customers_for(user)
        .filter(Exists(overdue))
        .select_related(None)
        .only("pk", "name", "external_ref")
        .order_by("name", "pk")[:PREVIEW_CUSTOMERS]
    )


def _chosen_customer(request: HttpRequest) -> Customer | None:
    raw = request.POST.get("customer") or request.GET.get("customer") or ""
    return customer_for(request.user, int(raw)) if raw.isdigit() else None


def _letter_context(template: DunningTemplate, customer: Customer | None) -> dict:
    if customer is None:
        return documents.sample_context()
    return documents.customer_preview_context(customer, template_code=template.code)


def _render_preview(
    template: DunningTemplate, customer: Customer | None, *, subject: str, body: str
) -> dict:
    """The preview frame's document, or the error that stops the text from rendering."""
    unsaved = DunningTemplate(code=template.code, subject=subject, body=body)
    with translation.override(template.language):  # dates, amounts and labels as sent
        context = _letter_context(template, customer)
        try:
            subject, html = documents.render_letter(unsaved, context)
        except ServiceError as exc:
            return {"error": exc.message, "error_field": exc.field}
        srcdoc = documents.letter_screen_html(subject=subject, body=html, context=context)
    return {"srcdoc": srcdoc, "subject": subject}


@login_required
@permission_required(EDIT_TEMPLATES, raise_exception=True)
def template_list(request: HttpRequest) -> HttpResponse:
    by_code: dict[str, list[DunningTemplate]] = {}
    for template in DunningTemplate.objects.order_by("code", "language"):
        by_code.setdefault(template.code, []).append(template)
    codes = [
        {"code": code, "variants": variants, "main": _main_variant(variants)}
        for code, variants in by_code.items()
    ]
    return render(
        request,
        "dunning/template_list.html",
        {"codes": codes, "default_language": settings.DUNNING_LANGUAGE},
    )


def _main_variant(variants: list[DunningTemplate]) -> DunningTemplate:
    """The variant in the default language: the one named in the list and copied from."""
    by_language = {v.language: v for v in variants}
    return by_language.get(settings.DUNNING_LANGUAGE) or by_language.get("en") or variants[0]


@login_required
@permission_required(EDIT_TEMPLATES, raise_exception=True)
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(DunningTemplate, pk=pk)
    customer = _chosen_customer(request)
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                saved = services.dunning_template_save(
                    actor=request.user, template=template, **form.cleaned_data
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"Saved {saved.name} [{saved.language}].")
                return redirect("dunning_template_edit", pk=template.pk)
    else:
        form = TemplateForm(
            initial={"name": template.name, "subject": template.subject, "body": template.body}
        )
    text = form.data if form.is_bound else form.initial
    preview = _render_preview(
        template, customer, subject=text.get("subject", ""), body=text.get("body", "")
    )
    return _edit_page(request, template, form, customer, preview)


def _edit_page(request, template, form, customer, preview, *, status: int = 200) -> HttpResponse:
    variants = DunningTemplate.objects.filter(code=template.code).order_by("language")
    return render(
        request,
        "dunning/template_edit.html",
        {
            "template": template,
            "variants": variants,
            "form": form,
            "customers": preview_customers(request.user),
            "customer": customer,
            "preview": preview,
            "context_help": documents.CONTEXT_HELP,
        },
        status=status,
    )


@login_required
@permission_required(EDIT_TEMPLATES, raise_exception=True)
@require_POST
def template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the unsaved text rendered for the chosen customer (or the sample)."""
    template = get_object_or_404(DunningTemplate, pk=pk)
    customer = _chosen_customer(request)
    preview = _render_preview(
        template,
        customer,
        subject=request.POST.get("subject", ""),
        body=request.POST.get("body", ""),
    )
    return render(
        request,
        "dunning/template_preview.html",
        {"preview": preview, "customer": customer},
    )


@login_required
@permission_required(EDIT_TEMPLATES, raise_exception=True)
@require_POST
def template_preview_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The unsaved text as the PDF a customer would get: letter, statement, remittance slip."""
    template = get_object_or_404(DunningTemplate, pk=pk)
    customer = _chosen_customer(request)
    form = TemplateForm(request.POST)
    unsaved = DunningTemplate(
        code=template.code,
        subject=request.POST.get("subject", ""),
        body=request.POST.get("body", ""),
    )
    with translation.override(template.language):  # dates, amounts and labels as sent
        context = _letter_context(template, customer)
        try:
            subject, html = documents.render_letter(unsaved, context)
        except ServiceError as exc:
            error = exc
        else:
            error = None
            statement = (
                statements.statement_data(customer)
                if customer
                else documents.sample_statement(context)
            )
            pdf = documents.letter_pdf(
                subject=subject, body=html, context=context, statement=statement
            )
    if error is not None:
        form.is_valid()
        form.add_error(error.field if error.field in form.fields else None, error.message)
        preview = {"error": error.message, "error_field": error.field}
        return _edit_page(request, template, form, customer, preview, status=400)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preview-{template.code}.pdf"'
    return response


@login_required
@permission_required(EDIT_TEMPLATES, raise_exception=True)
@require_POST
def template_variant_create(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(DunningTemplate, pk=pk)
    form = VariantForm(request.POST)
    language = form.cleaned_data["language"] if form.is_valid() else ""
    try:
        variant = services.dunning_template_variant_create(
            actor=request.user, template=template, language=language
        )
    except ServiceError as exc:
        messages.error(request, f"No variant added: {exc.message}")
        if request.POST.get("back") == "edit":
            return redirect("dunning_template_edit", pk=pk)
        return redirect("dunning_template_list")
    messages.success(
        request, f"Added the {variant.language} variant of {variant.code}; translate it here."
    )
    return redirect("dunning_template_edit", pk=variant.pk)
