"""Simplified Chinese formats: Django's, with numbers grouped by thousands (3,026,798).

Django groups zh-Hans numbers by four digits with no separator, which reads as one long
number on a dashboard; Chinese business software writes thousands with commas.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
MONTH_DAY_FORMAT = "n月j日"
