"""distinct_values: the distinct non-null values of an indexed column, by a loose index scan."""

from survey.db import distinct_values
from survey.models import Client
from tests.factories import make_client


def test_distinct_values_lists_each_value_once_in_order(db):
    for code in ("SH01", "BJ01", "SH01", "GZ01", "BJ01"):
        make_client(db, branch_code=code)
    db.commit()
    assert distinct_values(db, Client.branch_code) == ["BJ01", "GZ01", "SH01"]


def test_distinct_values_of_an_empty_table_is_empty(db):
    assert distinct_values(db, Client.branch_code) == []
