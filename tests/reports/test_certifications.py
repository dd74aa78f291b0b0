"""The certification report's figures against hand-counted badges (tests/reports/fixtures.py)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from reports.certifications import CertificationFilters, certification_report
from tests.reports.fixtures import seed_badges

pytestmark = pytest.mark.django_db
JAN_TO_APR = CertificationFilters(first=date(2026, 1, 1), last=date(2026, 4, 1))


def table(report):
    return [(f"{r.month:%Y-%m}", r.by_audience, r.issued, r.revoked, r.change, r.change_percent)
            for r in report.rows]


def test_months_audiences_chains_and_revokes_as_counted_by_hand():
    seed_badges()
    report = certification_report(JAN_TO_APR)
    assert report.time_zone == "America/Denver"
    assert report.audiences == ["Customers", "Partners", "No audience"]
    assert table(report) == [
        ("2026-01", [0, 0, 1], 1, 0, 1, None),
        ("2026-02", [1, 1, 0], 2, 1, 1, 100.0),
        ("2026-03", [4, 0, 0], 4, 1, 2, 100.0),
        ("2026-04", [1, 0, 0], 1, 0, -3, -75.0),
    ]
    assert (report.issued, report.revoked, report.totals) == (8, 2, [6, 1, 1])


def test_a_rotation_in_another_zone_moves_the_month_edge():
    from inbox.models import Rotation

    seed_badges()
    Rotation.objects.update(time_zone="UTC")  # the rotation the inbox's migration seeds
    report = certification_report(CertificationFilters(first=date(2026, 2, 1),
                                                       last=date(2026, 3, 1)))
    # In UTC the 05:00 badge of 1 March is March's, and the 05:30 one of 1 April April's.
    assert [r.issued for r in report.rows] == [1, 4]


def test_filters_by_certification_and_template():
    seeded = seed_badges()
    by_certification = certification_report(CertificationFilters(
        first=JAN_TO_APR.first, last=JAN_TO_APR.last, certification="git-associate"))
    assert [r.issued for r in by_certification.rows] == [0, 1, 4, 1]
    assert by_certification.audiences == ["Customers"]
    by_template = certification_report(CertificationFilters(
        first=JAN_TO_APR.first, last=JAN_TO_APR.last, template=seeded["partner"].pk))
    assert [(r.issued, r.revoked) for r in by_template.rows] == [(0, 0), (1, 1), (0, 0), (0, 0)]
    both = certification_report(CertificationFilters(
        first=JAN_TO_APR.first, last=JAN_TO_APR.last, certification="git-associate",
        template=seeded["partner"].pk))
    assert both.issued == 0


def test_an_empty_range_is_all_zeros():
    report = certification_report(CertificationFilters(first=date(2020, 1, 1),
                                                       last=date(2020, 3, 1)))
    assert [(r.issued, r.revoked, r.change) for r in report.rows] == [(0, 0, 0)] * 3
    assert report.audiences == []


def test_the_report_is_a_fixed_number_of_queries_whatever_the_range(django_assert_num_queries):
    seed_badges()
    certification_report(JAN_TO_APR)  # the first report counts every month once
    with django_assert_num_queries(8):  # zone (2), change mark, rollup mark, counts, templates, snapshots (2)
        certification_report(CertificationFilters(first=date(2023, 1, 1), last=date(2026, 12, 1)))


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-13"}, "from"), ({"to": "March"}, "to"), ({"from": "2026-05", "to": "2026-04"}, "from"),
    ({"from": "2000-01", "to": "2026-04"}, "from"), ({"template": "x"}, "template"),
])
def test_bad_filters_name_their_field(params, field):
    with pytest.raises(ValidationError) as error:
        CertificationFilters.from_params(params, date(2026, 4, 15))
    assert field in error.value.message_dict


def test_the_default_range_is_the_last_twelve_months():
    filters = CertificationFilters.from_params({}, date(2026, 4, 15))
    assert (filters.first, filters.last) == (date(2025, 5, 1), date(2026, 4, 1))
