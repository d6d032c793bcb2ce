from tests.factories import VideoDailyStatFactory, owned_row


def test_factories_make_owned_rows(creator):
    from django.apps import apps

    from core.models import owner_path

    for label in ("courses", "videos", "campaigns", "analytics"):
        for model in apps.get_app_config(label).get_models():
            if owner_path(model) is None:
                continue
            row = owned_row(model, creator)
            assert model.objects.owned_by(creator).filter(pk=row.pk).exists(), model


def test_daily_stat_factory(db):
    assert VideoDailyStatFactory().views == 1000
