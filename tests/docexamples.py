"""The data the public docstrings' ``>>>`` examples run against (shared by
tests/unit/test_docstring_examples.py and tests/kernel/test_client_examples.py)."""

from __future__ import annotations

TRIALS = [
    {
        "id": 1,
        "title": "Aspirin A",
        "phase": "III",
        "status": "open",
        "sponsor": "Acme",
        "enrollment": 120,
    },
    {
        "id": 2,
        "title": "Aspirin B",
        "phase": "II",
        "status": "open",
        "sponsor": "Acme",
        "enrollment": 40,
    },
    {
        "id": 3,
        "title": "50% dose",
        "phase": "III",
        "status": "closed",
        "sponsor": "Beta",
        "enrollment": 300,
    },
    {
        "id": 4,
        "title": "Placebo",
        "phase": "I",
        "status": "open",
        "sponsor": "Beta",
        "enrollment": None,
    },
    {
        "id": 5,
        "title": "Vitamin D",
        "phase": None,
        "status": "open",
        "sponsor": "Gamma",
        "enrollment": 80,
    },
]
PEOPLE = [
    {"id": 1, "name": "Ann", "birth_date": "1990-01-02"},
    {"id": 2, "name": "Bob", "birth_date": "1985-05-06"},
    {"id": 3, "name": "Ann", "birth_date": "1990-01-02"},
]
CUSTOMERS = [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bob"}]
ORDERS = [
    {"id": 1, "customer_id": 1, "country": "US", "amount": 10.0, "created": "2024-03-04T10:00:00"},
    {"id": 2, "customer_id": 1, "country": "US", "amount": 5.5, "created": "2024-03-06T12:00:00"},
    {"id": 3, "customer_id": 2, "country": "DE", "amount": 7.0, "created": "2024-03-12T09:30:00"},
    {"id": 4, "customer_id": 3, "country": "DE", "amount": 2.5, "created": "2024-03-13T18:00:00"},
    {"id": 5, "customer_id": 2, "country": "FR", "amount": 1.0, "created": "2024-03-20T08:00:00"},
]


def load(db) -> None:
    """Create and fill the example tables in ``db`` (a Database)."""
    for table, rows in (
        ("trials", TRIALS),
        ("people", PEOPLE),
        ("customers", CUSTOMERS),
        ("orders", ORDERS),
    ):
        db.batch_insert(table, rows, progress=False)
