from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from accounts.forms import AddressField, AdminLoginForm
from accounts.models import Invitation, Membership, Organization, Site, User

admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    formfield_overrides = {models.EmailField: {"form_class": AddressField}}  # no look-alikes
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "firm_name", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "firm_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_demo"]
    list_filter = ["is_demo"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SiteInline, MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "role", "created", "accepted", "revoked"]

    def save_model(self, request, obj, form, change):
        if not change:  # the operator's own invitation: it may make an account when closed
            obj.from_operator = True
        super().save_model(request, obj, form, change)
