"""Finance reports read from ``REPORTS_DATABASE_URL`` when it is set (``shop.replica``), and from the test's
own session when it is not. The "replica" here is a second database holding data the main one lacks, so
what a page shows proves where it was read."""

import pytest
from sqlalchemy import create_engine, insert, select

from accounts.models import BudgetUnit, Region, Role
from shop import replica
from shop.extensions import db
from tests.conftest import own_database_url

ONLY_IN_REPLICA = "只在副本中的预算单位"
ONLY_IN_PRIMARY = "只在主库中的预算单位"


@pytest.fixture(scope="module")
def replica_url(tmp_path_factory):
    """A second database with the schema and nothing else."""
    url = own_database_url(tmp_path_factory, "reports_replica")
    engine = create_engine(url)
    db.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def reports_replica(app, replica_url, city):
    """The replica holds the same regions as the main database (same ids) and one unit of the city that the
    main database does not have; the app reads its reports there for the test's duration."""
    engine = create_engine(replica_url)
    regions = [
        {column.name: getattr(region, column.key) for column in Region.__table__.columns}
        for region in db.session.scalars(select(Region).order_by(Region.id))
    ]
    with engine.begin() as connection:
        connection.execute(BudgetUnit.__table__.delete())
        connection.execute(Region.__table__.delete())
        connection.execute(insert(Region), regions)
        city_id = next(row["id"] for row in regions if row["code"] == "141100")
        connection.execute(
            insert(BudgetUnit),
            [
                {
                    "code": "141100777",
                    "name": ONLY_IN_REPLICA,
                    "credit_code": "12141100MB0000777X",
                    "region_id": city_id,
                }
            ],
        )
    engine.dispose()
    app.config["REPORTS_DATABASE_URL"] = replica_url
    yield
    app.config["REPORTS_DATABASE_URL"] = None
    replica.dispose_engines(app)


def test_without_a_replica_reports_read_the_main_database(users, make_unit, login_as):
    make_unit(ONLY_IN_PRIMARY)
    page = login_as(users[Role.finance]).get("/reports/region/141100?year=2025")
    assert page.status_code == 200
    assert ONLY_IN_PRIMARY in page.get_data(as_text=True)


def test_with_a_replica_the_report_pages_read_it(users, make_unit, login_as, reports_replica):
    make_unit(ONLY_IN_PRIMARY)
    client = login_as(users[Role.finance])
    page = client.get("/reports/region/141100?year=2025")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert ONLY_IN_REPLICA in text
    assert ONLY_IN_PRIMARY not in text
    grades = client.get("/reports/region/141100/grades?year=2025")
    assert grades.status_code == 200
    export = client.get("/reports/region/141100?year=2025&format=csv")
    assert ONLY_IN_REPLICA in export.get_data().decode("utf-8-sig")


def test_with_a_replica_the_rest_of_the_request_stays_on_the_main_database(
    users, make_unit, login_as, reports_replica
):
    """The viewer (signed in on the main database only) keeps their page header and their notices: only the
    report's own figures came from the replica, and the main session is back once they are read."""
    client = login_as(users[Role.finance])
    assert client.get("/reports/region/141100?year=2025").status_code == 200
    assert client.get("/notices").status_code == 200
    with replica.reads_from_reports() as session:
        assert session.scalar(select(BudgetUnit.name)) == ONLY_IN_REPLICA
    assert db.session.scalar(select(BudgetUnit.name).where(BudgetUnit.name == ONLY_IN_REPLICA)) is None


def test_the_report_command_reads_the_replica(app, users, reports_replica):
    result = app.test_cli_runner().invoke(args=["quotas", "report", "--year", "2025", "--region", "141100"])
    assert result.exit_code == 0, result.output
    assert ONLY_IN_REPLICA in result.output
