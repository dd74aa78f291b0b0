"""One UPDATE statement sent for many rows, each with its own values: the bookkeeping of a batch.

Django's bulk_update builds a CASE per field and row, which for a batch of 50 deliveries
costs more to compile than the upstream calls take; one UPDATE a row through the ORM is
cheaper but still compiles each time. Here the statement is written once and sent with
executemany (psycopg pipelines it; sqlite3 loops in C), values prepared by the model's own
fields, so JSON, times and time zones go in exactly as the ORM would write them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models, transaction


def update_each(model: type[models.Model], rows: Sequence[tuple[dict[str, Any], dict[str, Any]]]
                ) -> int:
    """For each (values, match) pair: UPDATE model SET values WHERE match (equality on every
    named field; "pk" names the primary key). Every pair names the same fields, and no match
    value is None (SQL's "= NULL" matches nothing). Rows updated in all."""
    if not rows:
        return 0
    meta = model._meta
    quote = connection.ops.quote_name
    first_values, first_match = rows[0]
    set_fields = [meta.pk if name == "pk" else meta.get_field(name) for name in first_values]
    match_fields = [meta.pk if name == "pk" else meta.get_field(name) for name in first_match]
    # Only the model's own table and column names, quoted; every value is a parameter.
    sql = (f"UPDATE {quote(meta.db_table)} SET "  # noqa: S608
           + ", ".join(f"{quote(f.column)} = %s" for f in set_fields)
           + " WHERE " + " AND ".join(f"{quote(f.column)} = %s" for f in match_fields))
    params = []
    for values, match in rows:
        if list(values) != list(first_values) or list(match) != list(first_match):
            raise ValueError("every row must name the same fields")
        if any(v is None for v in match.values()):
            raise ValueError("a match value of None would match nothing")
        params.append(
            [f.get_db_prep_save(v, connection) for f, v in zip(set_fields, values.values(), strict=True)]
            + [f.get_db_prep_value(v, connection)
               for f, v in zip(match_fields, match.values(), strict=True)])
    # One transaction: in autocommit each statement would commit (and wait on the disk) alone.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return max(cursor.rowcount, 0)
