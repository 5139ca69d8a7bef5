from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Sales orders"

    def ready(self) -> None:
        from invoices import hooks

        from .services import orders_invoice_by_reference

        if orders_invoice_by_reference not in hooks.ledger_changed_hooks:
            hooks.ledger_changed_hooks.append(orders_invoice_by_reference)
