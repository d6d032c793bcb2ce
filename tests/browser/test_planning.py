"""A creator plans a launch in the browser: dashboard, course, planner, suggestions."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, ScheduledPost
from courses.models import Course
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_dashboard_and_course_pages(page):
    page.goto(page.base_url + "/")
    expect(page.get_by_test_id("kpi-views")).to_contain_text(re.compile(r"\d"))
    expect(page.locator("canvas[data-chart]")).to_have_count(1)
    page.get_by_role("link", name="7 days", exact=True).click()
    expect(page).to_have_url(re.compile(r"period=7"))
    screenshot(page, "dashboard")

    course = Course.objects.get(owner__username="demo", slug="go-microservices")
    page.goto(f"{page.base_url}/courses/{course.id}/")
    expect(page.get_by_test_id("tier")).to_have_count(3)
    expect(page.get_by_text("higher levels should not be cheaper")).to_be_visible()
    expect(page.get_by_test_id("ranking-row")).to_have_count(6)
    page.get_by_role("link", name="Net price").click()
    expect(page).to_have_url(re.compile(r"sort=net_price"))
    screenshot(page, "course")


def test_plan_a_campaign_end_to_end(page):
    course = Course.objects.get(owner__username="demo", slug="python-office")
    launch = timezone.localdate() + timedelta(days=4)
    page.goto(page.base_url + "/campaigns/")
    page.get_by_label("Course").select_option(str(course.id))
    page.get_by_label("Name").fill("Python 双十二冲刺")
    page.get_by_label("Launch date").fill(launch.isoformat())
    page.get_by_label("Pre-launch days").fill("3")
    page.get_by_label("Follow-up days").fill("3")
    page.get_by_label("Douyin").check()
    page.get_by_label("Bilibili").check()
    page.get_by_role("button", name="Create and open the planner").click()
    campaign = Campaign.objects.get(name="Python 双十二冲刺")
    expect(page).to_have_url(f"{page.base_url}/campaigns/{campaign.id}/")
    expect(page.get_by_test_id("gap-count")).to_contain_text("14 gaps")

    # A gap the day before launch: the dialog opens prefilled; plan a post there.
    day = (launch - timedelta(days=1)).isoformat()
    page.get_by_role("button", name=f"Add a post on Douyin on {day}").click()
    dialog = page.locator("#post-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Day")).to_have_value(day)
    dialog.get_by_label("Time").fill("20:15")
    dialog.get_by_label("Title", exact=True).fill("倒计时一天")
    dialog.get_by_role("button", name="Plan post").click()
    expect(dialog).to_be_hidden()
    chip = page.get_by_test_id("post-chip").filter(has_text="倒计时一天")
    expect(chip).to_be_visible()
    expect(page.locator("td.phase-prelaunch", has=chip)).to_have_count(1)
    expect(page.get_by_test_id("gap-count")).to_contain_text("13 gaps")
    post = ScheduledPost.objects.get(title="倒计时一天")
    assert post.phase == "prelaunch"

    # An invalid edit is refused inline and changes nothing.
    chip.click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("Day").fill((launch + timedelta(days=20)).isoformat())
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Pick a day inside the campaign")
    dialog.get_by_role("button", name="Cancel").click()

    # Drag the post to launch day on Bilibili: it moves and keeps its time.
    target = page.locator(f'td[data-drop-day="{launch.isoformat()}"]').nth(0)
    chip.drag_to(target)
    expect(
        page.locator(
            f'td[data-drop-day="{launch.isoformat()}"]',
            has=page.get_by_test_id("post-chip").filter(has_text="倒计时一天"),
        )
    ).to_have_count(1)
    post.refresh_from_db()
    local = timezone.localtime(post.planned_at)
    assert (local.date(), local.strftime("%H:%M"), post.phase) == (launch, "20:15", "launch")

    # Suggest a schedule, see the drafts, accept them.
    page.get_by_role("button", name="Suggest", exact=True).click()
    expect(page.get_by_test_id("suggestion-count")).to_be_visible()
    suggested = ScheduledPost.objects.filter(campaign=campaign, is_suggestion=True).count()
    assert suggested >= 10
    screenshot(page, "planner-suggestions")
    page.get_by_role("button", name="Accept all").click()
    expect(page.get_by_test_id("suggestion-count")).to_have_count(0)
    expect(page.get_by_test_id("gap-count")).to_contain_text(re.compile(r"^\s*[0-3] gaps?"))
    assert not ScheduledPost.objects.filter(campaign=campaign, is_suggestion=True).exists()
    screenshot(page, "planner")


def test_planner_on_a_phone_lists_days(phone_page):
    campaign = Campaign.objects.filter(owner__username="demo").first()
    phone_page.goto(f"{phone_page.base_url}/campaigns/{campaign.id}/")
    expect(phone_page.locator(".planner-wrap")).to_be_hidden()
    expect(phone_page.locator(".day-list section").first).to_be_visible()
    screenshot(phone_page, "planner-phone")


def test_another_creators_campaign_is_404(page):
    theirs = Campaign.objects.filter(owner__username="demo2").first()
    response = page.goto(f"{page.base_url}/campaigns/{theirs.id}/")
    assert response.status == 404


def test_switch_to_chinese_and_back(page):
    page.goto(page.base_url + "/campaigns/")
    page.get_by_label("Language").select_option("zh-hans")
    expect(page.get_by_role("link", name="仪表盘")).to_be_visible()
    expect(page.locator("h1")).to_have_text("营销活动")
    campaign = Campaign.objects.filter(owner__username="demo").first()
    page.goto(f"{page.base_url}/campaigns/{campaign.id}/")
    expect(page.get_by_text("预热期").first).to_be_visible()
    screenshot(page, "planner-zh-hans")
    page.goto(page.base_url + "/")
    screenshot(page, "dashboard-zh-hans")
    page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()


def test_import_a_file_with_preview_and_progress(page, tmp_path):
    from imports.models import ImportJob
    from imports.services import import_job_run

    export = tmp_path / "douyin.csv"
    export.write_text(
        "视频ID,日期,播放量,点赞量,评论量,分享量,收藏量\n"
        "new-1,2026-11-20,1000,50,10,5,7\n"
        "new-1,2026-11-21,1400,70,14,5,9\n",
        encoding="gb18030",
    )
    page.goto(page.base_url + "/imports/")
    page.get_by_label("What the file holds").select_option("stats")
    page.get_by_label("File", exact=True).set_input_files(str(export))
    page.get_by_label("Platform").select_option(label="Douyin")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("job-status")).to_have_text("Pending")
    job = ImportJob.objects.get(owner__username="demo", original_filename="douyin.csv")
    import_job_run(job_id=job.id)  # the worker's part; the page polls and shows the result
    expect(page.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=10_000)
    expect(page.get_by_text("First rows as understood")).to_be_visible()
    screenshot(page, "import-preview")
    page.get_by_role("button", name="Import this file").click()
    real = ImportJob.objects.filter(owner__username="demo", dry_run=False).latest("id")
    import_job_run(job_id=real.id)
    expect(page.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=10_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    screenshot(page, "import-done")


def test_planner_chips_show_their_videos_status(page):
    campaign = Campaign.objects.filter(owner__username="demo").first()
    page.goto(f"{page.base_url}/campaigns/{campaign.id}/")
    chips = page.locator(".planner [data-testid=post-chip]")
    expect(chips.first).to_be_visible()
    seen = page.evaluate(
        """() => {
            const out = {};
            for (const chip of document.querySelectorAll('.planner [data-testid=post-chip]')) {
                const status = [...chip.classList].find(c => c.startsWith('status-'));
                if (!status) continue;
                const mark = chip.querySelector('.mark');
                out[status] = [getComputedStyle(chip).borderLeftColor,
                               getComputedStyle(mark, '::before').content];
            }
            return out;
        }"""
    )
    assert len(seen) >= 2, seen  # the demo campaign's videos are in several pipeline stages
    colours = {colour for colour, _mark in seen.values()}
    marks = {mark for _colour, mark in seen.values()}
    # Each status its own colour and its own mark (a cue that does not need colour).
    assert len(colours) == len(seen) and len(marks) == len(seen), seen
    assert "rgb(223, 227, 234)" not in colours  # not the plain border (--line) any more
    expect(chips.first).to_have_attribute("title", re.compile(r" · "))
    screenshot(page, "planner-chips")


def test_planner_opens_on_today(page):
    campaign = Campaign.objects.filter(owner__username="demo").first()
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"{page.base_url}/campaigns/{campaign.id}/")
    today = page.locator(".planner th[data-today]")
    expect(today).to_be_visible()
    assert page.evaluate("document.querySelector('.planner-wrap').scrollLeft") > 0
    box, wrap = today.bounding_box(), page.locator(".planner-wrap").bounding_box()
    # Today's column is inside the scroller's view, right of the sticky platform column.
    assert wrap["x"] + 130 <= box["x"] and box["x"] + box["width"] <= wrap["x"] + wrap["width"]
    # The calendar is wider than its box: a line says so, with the campaign's first and last day.
    expect(page.locator("[data-scroll-hint]")).to_be_visible()
    expect(page.locator("[data-scroll-hint]")).to_contain_text("Scroll the calendar sideways")
