"""Full-text search for the console on SQLite (the embedded default): an FTS5 index with the
trigram tokenizer over subject and requester, which answers the same case-insensitive
substring search as `icontains` without reading every ticket. Triggers keep it in step with
every write, bulk ones included. PostgreSQL keeps its trigram indexes (0003).
"""

from django.db import migrations

# Fixed names only: nothing here comes from input.
COLUMNS = "subject, requester_email, requester_name"
NEW = "new.subject, new.requester_email, new.requester_name"
OLD = "old.subject, old.requester_email, old.requester_name"
STATEMENTS = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS tickets_ticket_fts USING fts5({COLUMNS}, "
    "content='tickets_ticket', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS tickets_ticket_fts_insert AFTER INSERT ON tickets_ticket "  # noqa: S608
    f"BEGIN INSERT INTO tickets_ticket_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
    "CREATE TRIGGER IF NOT EXISTS tickets_ticket_fts_delete AFTER DELETE ON tickets_ticket "  # noqa: S608
    f"BEGIN INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, {COLUMNS}) "
    f"VALUES ('delete', old.id, {OLD}); END",
    # Only when a searched column changes: most updates (status, times) leave the index be.
    "CREATE TRIGGER IF NOT EXISTS tickets_ticket_fts_update AFTER UPDATE OF "  # noqa: S608
    f"{COLUMNS} ON tickets_ticket BEGIN "
    f"INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, {COLUMNS}) "
    f"VALUES ('delete', old.id, {OLD}); "
    f"INSERT INTO tickets_ticket_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts) VALUES ('rebuild')",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in STATEMENTS:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in ("insert", "delete", "update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS tickets_ticket_fts_{name}")
    schema_editor.execute("DROP TABLE IF EXISTS tickets_ticket_fts")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_owners_and_consulting_rules")]
    operations = [migrations.RunPython(create, drop)]
