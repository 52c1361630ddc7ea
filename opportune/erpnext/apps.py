from django.apps import AppConfig


class ErpnextConfig(AppConfig):
    name = "opportune.erpnext"
    label = "erpnext"
    verbose_name = "ERPNext migration"
