"""Reference 3: the stock Django admin changelist, what an operator would otherwise use.

A plain ModelAdmin on a site of its own (not the portal's tuned one): search on the name, the
portal's page size, nothing else."""

from django.contrib import admin

from experts.models import ExpertApplication
from portal.views import PAGE_SIZE

site = admin.AdminSite(name="stock_admin")


@admin.register(ExpertApplication, site=site)
class StockApplicationAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "submitted_at"]
    search_fields = ["user__real_name"]
    list_per_page = PAGE_SIZE
