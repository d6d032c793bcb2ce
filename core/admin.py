"""Creator-scoped admin: each creator sees, searches, picks and edits only their own rows."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist

from .models import owner_path


def _scope(queryset, user):
    path = owner_path(queryset.model)
    if path is None or user.is_superuser:
        return queryset
    return queryset.filter(**{path: user})


class OwnerScopedMixin:
    """Shared by ModelAdmin and inlines: scope querysets and related-object choices."""

    def get_queryset(self, request):
        return _scope(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _scope(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _scope(field.queryset, request.user)
        return field


class OwnedModelAdmin(OwnerScopedMixin, admin.ModelAdmin):
    """For models with a direct ``owner`` field it is set from the request, never typed."""

    def _has_owner_field(self) -> bool:
        try:
            self.model._meta.get_field("owner")
        except FieldDoesNotExist:
            return False
        return True

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if self._has_owner_field() and not request.user.is_superuser:
            exclude.append("owner")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and self._has_owner_field():
            filters.append("owner")
        return filters

    def save_model(self, request, obj, form, change):
        if self._has_owner_field() and not obj.owner_id:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if self._has_owner_field() and not request.user.is_superuser:
            # Model validation (unique per owner, ownership of related rows) needs the owner
            # before save; the form excludes the field, so hand it over here.
            owner = request.user

            class OwnerForm(form):
                def _get_validation_exclusions(self):
                    exclusions = super()._get_validation_exclusions()
                    exclusions.discard("owner")
                    return exclusions

                def _post_clean(self):
                    if not self.instance.owner_id:
                        self.instance.owner = owner
                    super()._post_clean()

            OwnerForm.__name__ = form.__name__
            return OwnerForm
        return form


class OwnedTabularInline(OwnerScopedMixin, admin.TabularInline):
    extra = 0


class OwnedStackedInline(OwnerScopedMixin, admin.StackedInline):
    extra = 0


class ReadOnlyTabularInline(OwnedTabularInline):
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
