-- Dead outbox rows nobody acknowledged yet: the staff alert's count, read after every batch the
-- outbox worker sends (`Store::dead_unacknowledged_count`). The outbox keeps every row it ever
-- sent, so without this index each count read the whole table; now it reads the dead rows.
CREATE INDEX outbox_dead_unacknowledged ON outbox (id)
    WHERE status = 'dead' AND acknowledged_at IS NULL;
