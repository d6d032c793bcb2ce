"""Sales lists (`import_sales`): the creator's own courses, tiers and videos only; upsert on
the order reference; all or nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import Sale
from imports.sales import sales_import_file
from tests.factories import (
    CourseFactory,
    CreatorFactory,
    PriceTierFactory,
    SaleFactory,
    VideoFactory,
    platform,
)

pytestmark = pytest.mark.django_db

HEADER = ["下单时间", "课程", "档位", "平台", "数量", "单价", "订单号", "视频ID", "推广码"]


def table(rows, header=HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "orders.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def shop(creator):
    course = CourseFactory(owner=creator, slug="python-office", title="Python 自动化办公入门")
    return {
        "course": course,
        "basic": PriceTierFactory(course=course, name="基础版", list_price=Decimal("99")),
        "pro": PriceTierFactory(course=course, name="进阶版", list_price=Decimal("199")),
        "video": VideoFactory(owner=creator, platform_video_id="7301", platform=platform("douyin")),
    }


def order(**overrides) -> list:
    row = {
        "下单时间": "2026-03-01 20:15:00",
        "课程": "python-office",
        "档位": "基础版",
        "平台": "抖音",
        "数量": "1",
        "单价": "¥79.00",
        "订单号": "A-1",
        "视频ID": "7301",
        "推广码": "LIVE01",
    }
    row.update(overrides)
    return [row[name] for name in HEADER]


def snapshot():
    return list(Sale.objects.order_by("pk").values())


def refused(owner, path):
    before = snapshot()
    result = sales_import_file(owner=owner, path=path)
    assert not result.ok and not result.committed
    assert snapshot() == before
    return [(issue.row, issue.column) for issue in result.errors], result


def test_a_sales_list_imports_every_field(creator, shop, write):
    rows = [order(), order(订单号="A-2", 课程="Python 自动化办公入门", 档位="进阶版", 单价="199")]
    result = sales_import_file(owner=creator, path=write(table(rows)))

    assert result.ok, result.error_lines()
    assert (result.rows, result.created, result.updated, result.unchanged) == (2, 2, 0, 0)
    first = Sale.objects.get(order_ref="A-1")
    assert first.course == shop["course"] and first.tier == shop["basic"]
    assert first.platform.slug == "douyin" and first.source_video == shop["video"]
    assert (first.quantity, first.unit_price, first.tracking_code) == (
        1,
        Decimal("79.00"),
        "LIVE01",
    )
    assert timezone.localtime(first.sold_at).replace(tzinfo=None) == datetime(2026, 3, 1, 20, 15)
    assert Sale.objects.get(order_ref="A-2").tier == shop["pro"]


def test_minimal_columns_in_gbk(creator, shop, write):
    header = ["日期", "课程", "数量", "单价"]
    path = write(table([["2026/3/2", "python-office", "2", "99"]], header), encoding="gbk")
    result = sales_import_file(owner=creator, path=path)
    assert result.ok, result.error_lines()
    sale = Sale.objects.get()
    assert (sale.quantity, sale.tier, sale.platform, sale.order_ref) == (2, None, None, "")


def test_reimport_changes_nothing_and_a_correction_updates(creator, shop, write):
    path = write(table([order(), order(订单号="A-2")]))
    sales_import_file(owner=creator, path=path)
    before = snapshot()

    again = sales_import_file(owner=creator, path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert snapshot() == before

    corrected = sales_import_file(
        owner=creator, path=write(table([order(), order(订单号="A-2", 数量="3")]), name="fix.csv")
    )
    assert (corrected.created, corrected.updated, corrected.unchanged) == (0, 1, 1)
    assert Sale.objects.get(order_ref="A-2").quantity == 3
    assert Sale.objects.count() == 2


def test_rows_without_order_reference_are_not_doubled_by_a_reimport(creator, shop, write):
    rows = [order(订单号=""), order(订单号=""), order(订单号="", 单价="89")]
    path = write(table(rows))
    first = sales_import_file(owner=creator, path=path)
    second = sales_import_file(owner=creator, path=path)
    assert first.created == 3
    assert (second.created, second.unchanged) == (0, 3)
    assert Sale.objects.count() == 3


def test_dry_run_writes_nothing(creator, shop, write):
    result = sales_import_file(owner=creator, path=write(table([order()])), dry_run=True)
    assert result.ok and result.created == 1 and not result.committed
    assert result.preview[0]["course"] == "Python 自动化办公入门"
    assert not Sale.objects.exists()


def test_another_creators_course_and_video_cannot_be_named(creator, shop, write):
    other = CreatorFactory(username="eve")
    CourseFactory(owner=other, slug="their-course")
    VideoFactory(owner=other, platform_video_id="9999", platform=platform("douyin"))
    SaleFactory(course=shop["course"])  # existing data must stay as it is
    rows = [order(课程="their-course", 档位=""), order(订单号="A-2", 视频ID="9999")]
    problems, _ = refused(creator, write(table(rows)))
    assert problems == [(2, "课程"), (3, "视频ID")]


@pytest.mark.parametrize(
    ("change", "column", "fragment"),
    [
        ({"下单时间": "tomorrow-ish"}, "下单时间", "not a date and time"),
        ({"下单时间": "2099-01-01 10:00"}, "下单时间", "in the future"),
        ({"课程": "no-such-course"}, "课程", "none of your courses"),
        ({"档位": "旗舰版"}, "档位", 'has no tier "旗舰版"'),
        ({"平台": "myspace"}, "平台", "unknown platform"),
        ({"数量": "0"}, "数量", "whole number from 1"),
        ({"数量": "1.5"}, "数量", "whole number from 1"),
        ({"数量": ""}, "数量", "quantity is missing"),
        ({"单价": "-1"}, "单价", "amount from 0"),
        ({"单价": "9.999"}, "单价", "more than two decimals"),
        ({"单价": "free"}, "单价", "not an amount"),
        ({"视频ID": "nope"}, "视频ID", "none of your videos"),
        ({"订单号": "x" * 81}, "订单号", "longer than 80"),
        ({"推广码": "y" * 301}, "推广码", "longer than 300"),
    ],
)
def test_each_refusal_names_row_and_column(creator, shop, write, change, column, fragment):
    rows = [order(), order(**{"订单号": "A-2", **change})]
    problems, result = refused(creator, write(table(rows)))
    assert problems == [(3, column)]
    assert fragment in result.errors[0].message


def test_missing_required_column(creator, shop, write):
    _, result = refused(
        creator, write(table([["2026-03-01", "python-office", "1"]], [*HEADER[:2], "数量"]))
    )
    assert "no column for unit_price" in result.errors[0].message


def test_conflicting_rows_for_one_order(creator, shop, write):
    problems, result = refused(creator, write(table([order(), order(数量="2")])))
    assert problems == [(3, "订单号")]
    assert "appears on row 2" in result.errors[0].message


def test_ambiguous_course_title(creator, shop, write):
    CourseFactory(owner=creator, slug="copy", title="Python 自动化办公入门")
    problems, result = refused(
        creator, write(table([order(课程="Python 自动化办公入门", 档位="")]))
    )
    assert problems == [(2, "课程")] and "use the course slug" in result.errors[0].message


def test_xlsx_sales_list(creator, shop, tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(
        [datetime(2026, 3, 1, 9, 30), "python-office", "基础版", "Douyin", 2, 79.5, "X-1", 7301, ""]
    )
    path = tmp_path / "orders.xlsx"
    workbook.save(path)
    result = sales_import_file(owner=creator, path=path)
    assert result.ok, result.error_lines()
    sale = Sale.objects.get()
    assert (sale.quantity, sale.unit_price, sale.source_video) == (
        2,
        Decimal("79.50"),
        shop["video"],
    )


def test_query_count_does_not_grow_with_the_file(creator, shop, write):
    """Bounded by batches (Django's bulk insert batch size), never by rows."""
    counts = []
    # Both sizes fit one insert statement on SQLite (999 parameters: 49 rows of a sale's 20
    # columns since sales carry a currency, refunds and a shop connection).
    for count, name in ((5, "small.csv"), (20, "large.csv")):
        rows = [order(订单号=f"{name}-{i}") for i in range(count)]
        rows += [order(订单号="", 单价=str(i)) for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            result = sales_import_file(owner=creator, path=write(table(rows), name=name))
        assert result.ok, result.error_lines()
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_command_exit_codes(creator, shop, write):
    out = io.StringIO()
    call_command("import_sales", str(write(table([order()]))), owner=creator.username, stdout=out)
    assert "1 rows read; wrote 1 new" in out.getvalue()

    with pytest.raises(CommandError) as excinfo:
        call_command(
            "import_sales",
            str(write(table([order(数量="-2")]), name="bad.csv")),
            owner=creator.username,
        )
    assert excinfo.value.returncode == 1
    assert 'row 2, column "数量"' in str(excinfo.value)
    assert Sale.objects.count() == 1


def test_tracking_links_in_the_file_are_stored_as_their_code(creator, shop, write):
    """Shops export the landing URL or the /r/ link; the sale keeps the code it names."""
    rows = [
        order(订单号="A-1", 推广码="https://coursereel.example.com/r/K7M3XPQ"),
        order(
            订单号="A-2", 推广码="https://shop.example.com/p?utm_source=douyin&utm_content=k7m3xpq"
        ),
        order(订单号="A-3", 推广码="k7m-3xpq"),
        order(订单号="A-4", 推广码="LIVE01"),
    ]
    result = sales_import_file(owner=creator, path=write(table(rows)))
    assert result.ok, result.errors
    codes = dict(Sale.objects.values_list("order_ref", "tracking_code"))
    assert codes == {"A-1": "k7m3xpq", "A-2": "k7m3xpq", "A-3": "k7m3xpq", "A-4": "LIVE01"}
