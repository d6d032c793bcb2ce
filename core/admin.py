"""Creator-scoped admin: each creator sees, searches, picks and edits only their own rows."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ValidationError

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


def _with_service_check(form_class, check):
    """The form runs the entity service's rules after the model's, so a refusal appears as a
    form error on its field (the admin validates before it saves)."""

    class ServiceCheckedForm(form_class):
        def _post_clean(self):
            super()._post_clean()
            if self.errors or getattr(self, "cleaned_data", None) is None:
                return
            if self.cleaned_data.get("DELETE"):
                return
            try:
                check(self.instance, self)
            except ValidationError as error:
                self._update_errors(error)

    ServiceCheckedForm.__name__ = form_class.__name__
    return ServiceCheckedForm


class ServiceWritesMixin:
    """Admin writes go through the entity's service, as the pages' and the API's do.

    An admin names the service's checks in ``service_check(request, instance)`` (run during
    form validation, raising ValidationError) and its writes in ``service_save(request,
    instance, change)`` and ``service_delete(request, instance)``; the defaults save as Django
    would. Inlines do the same per row (``save_formset``).
    """

    def service_check(self, request, instance) -> None:
        return None

    def service_save(self, request, instance, change: bool):
        instance.save()
        return instance

    def service_delete(self, request, instance) -> None:
        instance.delete()

    def service_save_rows(self, request, rows: list) -> None:
        """An inline's new and changed rows of one submit; one call per row unless the entity
        has a batch write (sales announce one ``sale.recorded`` per batch)."""
        for obj in rows:
            self.service_save(request, obj, obj.pk is not None)


class OwnedModelAdmin(ServiceWritesMixin, OwnerScopedMixin, admin.ModelAdmin):
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
        self.service_save(request, obj, change)

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.service_delete(request, obj)

    def save_formset(self, request, form, formset, change):
        inline = getattr(formset, "service_inline", None)
        if inline is None:
            return super().save_formset(request, form, formset, change)
        rows = formset.save(commit=False)
        for obj in formset.deleted_objects:
            inline.service_delete(request, obj)
        if rows:
            inline.service_save_rows(request, rows)
        formset.save_m2m()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form = _with_service_check(
            form, lambda instance, _form: self.service_check(request, instance)
        )
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


class ServiceInlineMixin(ServiceWritesMixin):
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _with_service_check(
            formset.form, lambda instance, _form: self.service_check(request, instance)
        )
        formset.service_inline = self
        return formset


class OwnedTabularInline(ServiceInlineMixin, OwnerScopedMixin, admin.TabularInline):
    extra = 0


class OwnedStackedInline(ServiceInlineMixin, OwnerScopedMixin, admin.StackedInline):
    extra = 0


class ReadOnlyTabularInline(OwnedTabularInline):
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
