"""Print the seed's three figures for one course of a courses.csv file, computed right."""

import math

from django.core.management.base import BaseCommand, CommandError

from imports.seed_layout import (
    SEED_GROWTH_RATE,
    SeedFileError,
    seed_course_figures,
    seed_course_report,
    seed_file_read,
)

MAX_IDS_LISTED = 20


class Command(BaseCommand):
    help = (
        "Read a file in the seed's courses.csv layout and print, for one course, content "
        "quality CQ, interaction F, D, D_F, composite CQ_F and the sales forecast S(t) with its "
        "revenue, using DESIGN.md's formulas. Reads only the file; writes nothing."
    )
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV in UTF-8 (with or without BOM) or GB18030.")
        parser.add_argument("--course-id", required=True, help="The file's course_id.")
        parser.add_argument(
            "--growth-rate",
            type=float,
            default=SEED_GROWTH_RATE,
            help=f"Growth per period r in S(t) = S0·(1 + r)^t (default {SEED_GROWTH_RATE}).",
        )

    def handle(self, *args, file: str, course_id: str, growth_rate: float, **options):
        if not math.isfinite(growth_rate) or growth_rate <= -1:
            raise CommandError(f"--growth-rate must be a number above -1 (got {growth_rate})")
        try:
            seed = seed_file_read(file)
        except SeedFileError as exc:
            raise CommandError(str(exc)) from None
        course = seed.courses.get(course_id.strip())
        if course is None:
            known = list(seed.courses)
            listed = ", ".join(known[:MAX_IDS_LISTED])
            more = (
                f" ... and {len(known) - MAX_IDS_LISTED} more"
                if len(known) > MAX_IDS_LISTED
                else ""
            )
            raise CommandError(
                f"--course-id: no course {course_id!r} in {seed.name}; known ids: {listed}{more}"
            )
        try:
            figures = seed_course_figures(course, growth_rate=growth_rate)
        except OverflowError:
            raise CommandError(
                f"S(t) for course {course_id!r} is too large to compute "
                f"(S0={course.sales_initial:g}, r={growth_rate:g}, t={course.sales_time:g})"
            ) from None
        self.stdout.write(seed_course_report(figures, file_name=seed.name))
