extension Migrations {
    /// PostgreSQL keeps the outbox backlog as running totals, so `farmiq_sync_outbox_pending` (`contracts.md`,
    /// "events waiting to be sent") costs the same with ten rows pending as with ten million.
    ///
    /// Why: the count was `count(*)` of the rows after the cursor, a scan of the whole backlog on every scrape:
    /// 137 ms of server CPU with 300,000 rows pending (measured on this 2-core VM), so about 40 s for the
    /// 86 million rows of a five-day outage at 200 msg/s, every scrape, exactly when the alert matters.
    ///
    /// - `sync_outbox_tally`: one row per statement that inserts outbox rows, written by a statement-level trigger
    ///   (so every writer, present or future, is counted, and an insert that rolls back takes its tally with it);
    /// - `sync_outbox_total`: one row; the stats query folds the tally rows into it (``PostgresOutboxStore/stats(now:)``);
    /// - `sync_cursor.delivered`: the rows the cursor has passed (delivered or parked), advanced in the same statement
    ///   as the cursor by a range count over `(txid, id)` (one batch of rows).
    ///
    /// Pending = total − delivered. Outbox rows are deleted only once behind the cursor, so neither total moves back.
    /// SQLite needs none of this: its ids are dense (AUTOINCREMENT, no gaps inside one writer's commits) and
    /// read in id order, so the backlog is `max(id) − first pending id + 1`.
    static let pendingTally = Migration(
        version: 11,
        name: "outbox_pending_tally",
        sqlite: [],
        postgres: [
            // Writers and the forwarder wait for this transaction, so the starting totals are exact.
            "LOCK TABLE sync_outbox, sync_cursor IN SHARE MODE",
            "ALTER TABLE sync_cursor ADD COLUMN delivered bigint NOT NULL DEFAULT 0",
            "UPDATE sync_cursor c SET delivered = (SELECT count(*) FROM sync_outbox o WHERE (o.txid, o.id) <= (c.txid, c.last_id))",
            "CREATE TABLE sync_outbox_tally (n bigint NOT NULL)",
            "CREATE TABLE sync_outbox_total (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), enqueued bigint NOT NULL)",
            "INSERT INTO sync_outbox_total (enqueued) SELECT count(*) FROM sync_outbox",
            """
            CREATE FUNCTION sync_outbox_tally() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO sync_outbox_tally (n) SELECT count(*) FROM inserted HAVING count(*) > 0;
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER sync_outbox_tally AFTER INSERT ON sync_outbox REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION sync_outbox_tally()
            """,
        ]
    )
}
