"""Sales recorded before currencies existed are in their tier's currency, or the course's."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Sale = apps.get_model("courses", "Sale")
    PriceTier = apps.get_model("courses", "PriceTier")
    Course = apps.get_model("courses", "Course")
    tier_currency = PriceTier.objects.filter(pk=OuterRef("tier_id")).values("currency")[:1]
    course_currency = Course.objects.filter(pk=OuterRef("course_id")).values("currency")[:1]
    Sale.objects.filter(tier__isnull=False).update(currency=Subquery(tier_currency))
    Sale.objects.filter(tier__isnull=True).update(currency=Subquery(course_currency))


class Migration(migrations.Migration):
    dependencies = [("courses", "0007_sale_shop_fields")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
