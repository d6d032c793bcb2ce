"""Writes for courses: recording sales one at a time or in batches of thousands."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from pypinyin import lazy_pinyin

from core.errors import RowsInvalid, merge_row_errors, row_error
from core.events import Event, emit
from core.services import instance_create, instance_update

from .models import TIER_ORDER, CompetitorPrice, Course, Discount, PriceTier, Sale

LOOKUP_BATCH = 500
COURSE_NOT_YOURS = gettext_noop("Choose one of your own courses.")
CENT = Decimal("0.01")
# What makes two sales without an order reference the same sale.
NATURAL_KEY = (
    "course_id",
    "tier_id",
    "platform_id",
    "source_video_id",
    "quantity",
    "unit_price",
    "sold_at",
    "tracking_code",
)
UPDATABLE = (
    "tier_id",
    "platform_id",
    "source_video_id",
    "quantity",
    "unit_price",
    "sold_at",
    "tracking_code",
)

SALE_INPUT_FIELDS = (
    "course",
    "tier",
    "platform",
    "source_video",
    "quantity",
    "unit_price",
    "sold_at",
    "order_ref",
    "tracking_code",
)
# Related ids in a batch row → the model they must name (scoped to the creator where owned).
SALE_RELATIONS = {
    "course": Course,
    "tier": PriceTier,
    # Models of apps above courses, reached through the sale's foreign keys (no import).
    "platform": Sale._meta.get_field("platform").related_model,
    "source_video": Sale._meta.get_field("source_video").related_model,
}


def sale_payload(sales: Sequence[Sale]) -> dict[str, Any]:
    """The ``sale.recorded`` payload: the sales as the webhook lists them."""
    return {
        "courses": sorted({sale.course_id for sale in sales}),
        "sales": [
            {
                "id": sale.pk,
                "course": sale.course_id,
                "tier": sale.tier_id,
                "platform": sale.platform_id,
                "source_video": sale.source_video_id,
                "quantity": sale.quantity,
                "unit_price": str(sale.unit_price),
                "sold_at": sale.sold_at.isoformat(),
                "order_ref": sale.order_ref,
            }
            for sale in sales
        ],
    }


@transaction.atomic
def sale_record(*, owner, data: dict[str, Any]) -> Sale:
    """Record one sale of the creator's course, tell their webhooks (sale.recorded) and
    recompute the creator's figures after the commit."""
    course = data.get("course")
    if course is None or course.owner_id != owner.pk:
        raise ValidationError({"course": _(COURSE_NOT_YOURS)})
    sale = instance_create(model=Sale, data=data)
    # Webhooks hear of it; forecasts and the funnel include it after the recompute.
    emit(Event.SALE_RECORDED, owner_id=owner.pk, payload=sale_payload([sale]))
    return sale


def _course_changed(course_id: int, owner_id: int) -> None:
    """Prices, tiers and launch dates feed the forecasts, the rankings and revenue."""
    emit(Event.COURSE_CHANGED, owner_id=owner_id, payload={"courses": [course_id]})


@transaction.atomic
def course_create(*, owner, data: dict[str, Any]) -> Course:
    course = instance_create(model=Course, data=data, owner=owner)
    _course_changed(course.pk, owner.pk)
    return course


@transaction.atomic
def course_update(*, course: Course, data: dict[str, Any]) -> Course:
    course = instance_update(instance=course, data=data)
    _course_changed(course.pk, course.owner_id)
    return course


@transaction.atomic
def course_row_create(*, model, data: dict[str, Any]):
    """A price tier, a discount or a competitor price of one of the creator's courses (the
    caller checked the course is theirs); ``course.changed`` for its course.

    A new tier goes to the end of the course's list, or to ``position`` when one is given."""
    if model is PriceTier:
        data = dict(data)
        position = data.pop("position", None)
        row = instance_create(model=model, data={**data, "position": _tier_next_position(data)})
        if position is not None:
            _tiers_place(row, position)
    else:
        row = instance_create(model=model, data=data)
    _course_changed(row.course_id, row.course.owner_id)
    return row


@transaction.atomic
def course_row_update(*, row, data: dict[str, Any]):
    """Change a tier, discount or competitor price; a tier given a ``position`` moves there
    (0 first) and the course's other tiers close up around it."""
    position = None
    if isinstance(row, PriceTier) and "position" in data:
        data = dict(data)
        position = data.pop("position")
    row = instance_update(instance=row, data=data)
    if position is not None:
        _tiers_place(row, position)
    _course_changed(row.course_id, row.course.owner_id)
    return row


@transaction.atomic
def course_row_save(*, row):
    """A course or one of its rows whose fields a form has already set (the admin). A new tier
    left at position 0 goes to the end of the list, as everywhere else."""
    if isinstance(row, PriceTier) and row._state.adding and not row.position:
        row.position = _tier_next_position({"course": row.course})
    row.full_clean()
    row.save()
    course = row if isinstance(row, Course) else row.course
    _course_changed(course.pk, course.owner_id)
    return row


@transaction.atomic
def course_row_delete(*, row) -> None:
    course = row if isinstance(row, Course) else row.course
    course_id, owner_id = course.pk, course.owner_id
    row.delete()
    _course_changed(course_id, owner_id)


@transaction.atomic
def sale_save(*, sale: Sale) -> Sale:
    """Save a sale whose fields a form has already set (the admin): the model's rules, then
    ``sale.recorded`` like every other way of recording one."""
    sale.full_clean()
    sale.save()
    emit(Event.SALE_RECORDED, owner_id=sale.course.owner_id, payload=sale_payload([sale]))
    return sale


@transaction.atomic
def sales_save(*, sales: Sequence[Sale]) -> list[Sale]:
    """Save sales whose fields a form has already set (the admin's inline on a course): the
    model's rules for each, then one ``sale.recorded`` per owner for the batch."""
    by_owner: dict[int, list[Sale]] = {}
    for sale in sales:
        sale.full_clean()
        sale.save()
        by_owner.setdefault(sale.course.owner_id, []).append(sale)
    for owner_id, batch in by_owner.items():
        emit(Event.SALE_RECORDED, owner_id=owner_id, payload=sale_payload(batch))
    return list(sales)


def sales_record_bulk(*, owner, rows: Sequence[dict[str, Any]]) -> list[Sale]:
    """Record a batch of sales all or nothing.

    ``rows`` hold typed values with related objects given by id (``course``, ``tier``,
    ``platform``, ``source_video``). Every row is checked before anything is written — related
    ids must be the creator's own, a tier must belong to the row's course, an order reference
    may appear once per course (in the batch and among stored sales) — and a batch with any bad
    row raises :class:`RowsInvalid` naming each row and field. A fixed number of queries,
    whatever the batch size: one per related model, one for stored order references, the
    inserts in batches.
    """
    related = _related_rows(owner, rows)
    errors: list[dict[str, Any]] = []
    sales: list[Sale] = []
    for index, row in enumerate(rows):
        sale, row_errors = _sale_from_row(index, row, related)
        errors.extend(row_errors)
        if sale is not None:
            sales.append(sale)
    errors.extend(_order_ref_conflicts(sales, rows))
    if errors:
        raise RowsInvalid(merge_row_errors(errors))
    try:
        with transaction.atomic():
            created = Sale.objects.bulk_create(sales, batch_size=500)
            emit(Event.SALE_RECORDED, owner_id=owner.pk, payload=sale_payload(created))
    except IntegrityError:
        raise ValidationError(
            "A sale with one of these order references was recorded meanwhile; nothing was written."
        ) from None
    return created


def _related_rows(owner, rows: Sequence[dict[str, Any]]) -> dict[str, dict[int, Any]]:
    found: dict[str, dict[int, Any]] = {}
    for name, model in SALE_RELATIONS.items():
        ids = {row[name] for row in rows if row.get(name) is not None}
        queryset = model.objects.all()
        if hasattr(queryset, "owned_by"):
            queryset = queryset.owned_by(owner)
        found[name] = queryset.in_bulk(ids) if ids else {}
    return found


def _sale_from_row(
    index: int, row: dict[str, Any], related: dict[str, dict[int, Any]]
) -> tuple[Sale | None, list[dict[str, Any]]]:
    errors = []
    values = {name: row[name] for name in SALE_INPUT_FIELDS if name in row}
    for name in SALE_RELATIONS:
        pk = values.pop(name, None)
        if pk is None:
            continue
        obj = related[name].get(pk)
        if obj is None:
            errors.append(row_error(index, name, f'Invalid pk "{pk}" - object does not exist.'))
        values[name] = obj
    if errors:
        return None, errors
    sale = Sale(**values)
    try:
        # Related rows were checked above against the creator's own and order references are
        # checked for the whole batch at once; the value checks the constraints make (quantity
        # ≥ 1, price ≥ 0) are the row serializer's, so no query runs per row here.
        sale.full_clean(
            exclude=list(SALE_RELATIONS), validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        return None, [
            {"index": index, "fields": {name: list(map(str, messages))}}
            for name, messages in exc.message_dict.items()
        ]
    return sale, []


def _order_ref_conflicts(sales: list[Sale], rows: Sequence[dict[str, Any]]) -> list[dict]:
    refs = [(sale.course_id, sale.order_ref) for sale in sales if sale.order_ref]
    if not refs:
        return []
    stored = set(
        Sale.objects.filter(
            course_id__in={course for course, _ in refs},
            order_ref__in={ref for _, ref in refs},
        ).values_list("course_id", "order_ref")
    )
    seen: set[tuple[int, str]] = set()
    errors = []
    for index, row in enumerate(rows):
        key = (row.get("course"), row.get("order_ref") or "")
        if not key[1]:
            continue
        if key in stored:
            errors.append(row_error(index, "order_ref", "A sale with this order reference exists."))
        elif key in seen:
            errors.append(
                row_error(index, "order_ref", "This order reference appears twice in the batch.")
            )
        seen.add(key)
    return errors


def sale_values(sale: Sale) -> tuple:
    """What makes two sales without an order reference the same sale."""
    return tuple(getattr(sale, name) for name in NATURAL_KEY)


@transaction.atomic
def sales_upsert(*, owner_id: int, sales: Sequence[Sale]) -> tuple[int, int, int]:
    """Upsert checked sales of the creator's courses (a sales file): rows with an order
    reference on (course, order reference), rows without one on all their values, so the same
    list twice adds nothing. ``sale.recorded`` lists the sales created or changed.

    Returns (created, updated, unchanged), in a bounded number of queries.
    """
    with_ref = [sale for sale in sales if sale.order_ref]
    without_ref = [sale for sale in sales if not sale.order_ref]
    existing: dict[tuple[int, str], Sale] = {}
    refs = sorted({sale.order_ref for sale in with_ref})
    course_ids = {sale.course_id for sale in sales}
    for start in range(0, len(refs), LOOKUP_BATCH):
        for sale in Sale.objects.filter(
            course_id__in=course_ids, order_ref__in=refs[start : start + LOOKUP_BATCH]
        ):
            existing[(sale.course_id, sale.order_ref)] = sale
    to_create, to_update, unchanged = [], [], 0
    for sale in with_ref:
        stored = existing.get((sale.course_id, sale.order_ref))
        if stored is None:
            to_create.append(sale)
        elif sale_values(stored) == sale_values(sale):
            unchanged += 1
        else:
            for name in UPDATABLE:
                setattr(stored, name, getattr(sale, name))
            to_update.append(stored)

    if without_ref:
        times = [sale.sold_at for sale in without_ref]
        stored_counts = Counter(
            tuple(values)
            for values in Sale.objects.filter(
                course_id__in={sale.course_id for sale in without_ref},
                order_ref="",
                sold_at__gte=min(times),
                sold_at__lte=max(times),
            ).values_list(*NATURAL_KEY)
        )
        for sale in without_ref:
            key = sale_values(sale)
            if stored_counts[key] > 0:
                stored_counts[key] -= 1
                unchanged += 1
            else:
                to_create.append(sale)
    Sale.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Sale.objects.bulk_update(
            to_update, [n.removesuffix("_id") for n in UPDATABLE], batch_size=500
        )
    recorded = [*to_create, *to_update]
    if recorded:
        emit(Event.SALE_RECORDED, owner_id=owner_id, payload=sale_payload(recorded))
    return len(to_create), len(to_update), unchanged


# --- sales a shop connection sends (connectors/) ---------------------------------------------

# Fields a later event or poll of the same order may change.
EXTERNAL_UPDATABLE = (
    "course",
    "tier",
    "platform",
    "quantity",
    "unit_price",
    "sold_at",
    "tracking_code",
    "currency",
    "original_amount",
    "original_currency",
    "exchange_rate",
    "channel",
)


# Foreign keys whose rows the caller hands over already loaded (their existence need not be
# queried again by ``full_clean``); the database's own foreign keys still hold.
LOADED_RELATIONS = ("course", "tier", "platform", "source_video", "connection")
ORDER_REF_TAKEN = gettext_noop(
    "Another sale of this course already has the order reference %(order)s (recorded by "
    "another connection)."
)


def _loaded(data: dict[str, Any]) -> list[str]:
    """The relations ``full_clean`` may skip: model instances read from the database (with a
    primary key), and the connection, whose id the connectors service passes."""
    return [
        name
        for name in LOADED_RELATIONS
        if name == "connection" or getattr(data.get(name), "pk", None) is not None
    ]


def sale_record_external(
    *, owner_id: int, connection_id: int, external_id: str, data: dict[str, Any]
) -> tuple[Sale, str]:
    """Record or update the sale a shop connection sent, keyed by (connection, the shop's
    order id): the same event twice, or an event and a later poll of the same order, is one
    sale. A sale of the same course with that order reference recorded another way (a file,
    the API) is the same sale and is taken over by the connection.

    ``data`` holds the sale's fields with related objects (``course``, ``tier``); amounts are
    already in the course's currency. Returns the sale and "created", "updated" or
    "unchanged"; ``sale.recorded`` is emitted for the first two.

    A new order (the usual case: a launch sends hundreds a minute) is one INSERT: the field
    rules and ``Sale.clean`` run, the two unique constraints are left to the database, whose
    refusal (an order already recorded) sends the event down the update path.
    """
    course = data.get("course")
    if course is None or course.owner_id != owner_id:
        raise ValidationError({"course": _(COURSE_NOT_YOURS)})
    external_id = str(external_id)[: Sale._meta.get_field("order_ref").max_length]
    sale = Sale(connection_id=connection_id, order_ref=external_id, **data)
    sale.full_clean(exclude=_loaded(data), validate_unique=False, validate_constraints=False)
    # No savepoint of its own inside the caller's transaction: only the insert needs one.
    with transaction.atomic(savepoint=False):
        try:
            with transaction.atomic():
                sale.save(force_insert=True)
        except IntegrityError:
            pass  # the order is known (or its reference taken): read it under a lock
        else:
            emit(Event.SALE_RECORDED, owner_id=owner_id, payload=sale_payload([sale]))
            return sale, "created"
        sale = (
            Sale.objects.select_for_update()
            .filter(connection_id=connection_id, order_ref=external_id)
            .first()
        ) or (
            Sale.objects.select_for_update()
            .filter(course=course, order_ref=external_id, connection__isnull=True)
            .first()
        )
        taken = ValidationError(
            {
                "order_ref": ValidationError(
                    _(ORDER_REF_TAKEN), code="order_ref_taken", params={"order": external_id}
                )
            }
        )
        if sale is None:
            raise taken
        changed = [
            name
            for name in EXTERNAL_UPDATABLE
            if name in data and getattr(sale, name) != data[name]
        ]
        if sale.connection_id != connection_id:
            sale.connection_id = connection_id
            changed.append("connection")
        if not changed:
            return sale, "unchanged"
        for name in changed:
            if name != "connection":
                setattr(sale, name, data[name])
        sale.full_clean(exclude=_loaded(data), validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                sale.save(update_fields=changed)
        except IntegrityError:
            raise taken from None  # moved to a course where another sale has the reference
        emit(Event.SALE_RECORDED, owner_id=owner_id, payload=sale_payload([sale]))
    return sale, "updated"


def sale_gross(sale: Sale) -> Decimal:
    return (sale.unit_price * sale.quantity).quantize(CENT)


def sale_refund(
    *, sale: Sale, refund_id: str, amount: Decimal, refunded_at, cumulative: bool = False
) -> bool:
    """Apply a refund of ``amount`` (in the sale's currency) once per ``refund_id``; with
    ``cumulative`` the amount is everything refunded so far (a shop that reports totals) and
    only what is new is applied. A refund never takes more than the sale brought in; partial
    refunds reduce its revenue. Returns whether anything changed; emits ``sale.refunded``."""
    with transaction.atomic():
        sale = Sale.objects.select_for_update().select_related("course").get(pk=sale.pk)
        gross = sale_gross(sale)
        amount = Decimal(amount).quantize(CENT)
        if cumulative:
            total = min(max(amount, Decimal("0")), gross)
            if total <= sale.refund_amount:
                return False
        else:
            if refund_id in sale.refund_ids:
                return False
            total = min(sale.refund_amount + max(amount, Decimal("0")), gross)
        sale.refund_amount = total
        sale.refund_ids = [*sale.refund_ids, refund_id]
        sale.refunded_at = refunded_at
        # Only the refund's fields change: their rules, not the relations' or the order
        # reference's queries again.
        sale.full_clean(
            exclude=[*LOADED_RELATIONS, "order_ref"],
            validate_unique=False,
            validate_constraints=False,
        )
        sale.save(update_fields=["refund_amount", "refund_ids", "refunded_at"])
        emit(Event.SALE_REFUNDED, owner_id=sale.course.owner_id, payload=refund_payload(sale))
    return True


def refund_payload(sale: Sale) -> dict[str, Any]:
    """The ``sale.refunded`` payload: the sale as ``sale.recorded`` lists it, with its refund."""
    payload = sale_payload([sale])
    payload["sales"][0].update(
        {
            "currency": sale.currency,
            "refund_amount": str(sale.refund_amount),
            "refunded_at": sale.refunded_at.isoformat() if sale.refunded_at else None,
        }
    )
    return payload


# --- The course workspace (the app's own pages): one function per write, rules here. ---

SLUG_MAX = Course._meta.get_field("slug").max_length
SLUG_TAKEN = gettext_lazy("You already have a course with this slug.")
SLUG_NOT_ASCII = gettext_lazy("Use only letters a–z, digits and hyphens in a new slug.")
TIER_OF_ANOTHER_COURSE = gettext_lazy("Choose one of this course's tiers.")


def course_slug_suggest(*, owner, title: str, exclude_id: int | None = None) -> str:
    """An ASCII slug for ``title`` (Chinese transliterated to pinyin), unique for the creator."""
    base = slugify(" ".join(lazy_pinyin(title)))[: SLUG_MAX - 4].strip("-") or "course"
    taken = set(
        Course.objects.filter(owner=owner, slug__startswith=base)
        .exclude(pk=exclude_id)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def course_save(
    *,
    owner,
    course: Course | None = None,
    title: str,
    slug: str,
    topic: str = "",
    level: str,
    audience_tags: Sequence[str] = (),
    sales_page_url: str = "",
    launch_date: date | None = None,
) -> Course:
    """Create or change a course from the app. A new or changed slug must be ASCII (so links
    are plain); an existing slug the creator leaves alone stays as it is."""
    slug = slug.strip()
    if not slug:
        slug = course.slug if course else course_slug_suggest(owner=owner, title=title)
    changed_slug = course is None or slug != course.slug
    if changed_slug and (not slug.isascii() or slug != slug.lower()):
        raise ValidationError({"slug": SLUG_NOT_ASCII})
    clash = Course.objects.filter(owner=owner, slug=slug)
    if course is not None:
        clash = clash.exclude(pk=course.pk)
    if clash.exists():
        raise ValidationError({"slug": SLUG_TAKEN})
    tags = list(dict.fromkeys(t.strip() for t in audience_tags if t.strip()))
    data = {
        "title": title,
        "slug": slug,
        "topic": topic,
        "level": level,
        "audience_tags": tags,
        "sales_page_url": sales_page_url,
        "launch_date": launch_date,
    }
    if course is None:
        return course_create(owner=owner, data=data)
    return course_update(course=course, data=data)


def course_tier_save(
    *, course: Course, tier: PriceTier | None = None, name: str, level: str, list_price
) -> PriceTier:
    """Add a tier to the creator's course or change one of its tiers."""
    if tier is not None and tier.course_id != course.pk:
        raise ValidationError({"name": TIER_OF_ANOTHER_COURSE})
    clash = PriceTier.objects.filter(course=course, name=name)
    if tier is not None:
        clash = clash.exclude(pk=tier.pk)
    if clash.exists():
        raise ValidationError({"name": _("This course already has a tier with this name.")})
    data = {"name": name, "level": level, "list_price": list_price}
    if tier is None:
        return course_row_create(model=PriceTier, data={"course": course, **data})
    return course_row_update(row=tier, data=data)


def course_discount_add(
    *,
    course: Course,
    name: str,
    kind: str,
    value,
    starts_at,
    ends_at,
    tier: PriceTier | None = None,
    code: str = "",
    max_redemptions: int | None = None,
):
    """A discount on the course, on one of its own tiers or (no tier) on all of them."""
    if tier is not None and tier.course_id != course.pk:
        raise ValidationError({"tier": TIER_OF_ANOTHER_COURSE})
    data = {
        "course": course,
        "tier": tier,
        "name": name,
        "kind": kind,
        "value": value,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "code": code,
        "max_redemptions": max_redemptions,
    }
    return course_row_create(model=Discount, data=data)


def course_competitor_price_add(
    *, course: Course, competitor: str, price, url: str = "", observed_on=None
):
    data = {
        "course": course,
        "competitor": competitor,
        "price": price,
        "url": url,
        "observed_on": observed_on,
    }
    return course_row_create(model=CompetitorPrice, data=data)


# --- The order of a course's tiers (the creator's, not the price's) ---

TIER_ORDER_INCOMPLETE = gettext_lazy("List each of this course's tiers once.")


def _tier_next_position(data: dict[str, Any]) -> int:
    course = data.get("course")
    if course is None:
        return 0
    last = (
        PriceTier.objects.filter(course=course)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return 0 if last is None else last + 1


def _tiers_renumber(tiers: Sequence[PriceTier]) -> None:
    """Positions 0, 1, 2 … in this order; only the tiers whose position changes are written."""
    changed = []
    for index, tier in enumerate(tiers):
        if tier.position != index:
            tier.position = index
            changed.append(tier)
    if changed:
        PriceTier.objects.bulk_update(changed, ["position"])


def _tiers_locked(course_id: int) -> list[PriceTier]:
    return list(
        PriceTier.objects.select_for_update().filter(course_id=course_id).order_by(*TIER_ORDER)
    )


def _tiers_place(tier: PriceTier, position: int) -> None:
    tiers = [t for t in _tiers_locked(tier.course_id) if t.pk != tier.pk]
    tiers.insert(max(0, min(int(position), len(tiers))), tier)
    _tiers_renumber(tiers)


@transaction.atomic
def course_tier_move(*, course: Course, tier: PriceTier, offset: int) -> PriceTier:
    """Move one of the course's tiers ``offset`` places (-1 up, +1 down) in its list; at the
    top or the bottom it stays where it is."""
    if tier.course_id != course.pk:
        raise ValidationError({"tier": TIER_OF_ANOTHER_COURSE})
    tiers = _tiers_locked(course.pk)
    index = next(i for i, t in enumerate(tiers) if t.pk == tier.pk)
    moved = tiers.pop(index)
    tiers.insert(max(0, min(index + offset, len(tiers))), moved)
    _tiers_renumber(tiers)
    _course_changed(course.pk, course.owner_id)
    return moved


@transaction.atomic
def course_tiers_reorder(*, course: Course, tier_ids: Sequence[int]) -> list[PriceTier]:
    """Put the course's tiers in the order of ``tier_ids``, which lists each of them once."""
    tiers = {t.pk: t for t in _tiers_locked(course.pk)}
    ids = [int(pk) for pk in tier_ids]
    if len(ids) != len(tiers) or set(ids) != set(tiers):
        raise ValidationError({"tiers": TIER_ORDER_INCOMPLETE})
    ordered = [tiers[pk] for pk in ids]
    _tiers_renumber(ordered)
    _course_changed(course.pk, course.owner_id)
    return ordered
