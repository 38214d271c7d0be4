-- Changes to staff created at HQ (`kasse hq staff deactivate | activate | pin`, PostgreSQL
-- `hq_staff_changes`) that this till has applied to its `staff` row `hq<id>`, written in the
-- same transaction as the change and its staff action, so a change is applied once.
CREATE TABLE hq_staff_changes_applied (
    change_id  INTEGER PRIMARY KEY NOT NULL CHECK (change_id > 0),
    staff_id   TEXT NOT NULL REFERENCES staff (id),
    kind       TEXT NOT NULL CHECK (kind IN ('deactivate', 'activate', 'pin')),
    applied_at TEXT NOT NULL
) STRICT;
