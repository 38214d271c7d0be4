-- Catalogue versions published at headquarters (`kasse hq catalog import`) that this till has
-- applied: one row per HQ version, written in the same transaction as the articles and their
-- 13021 / 13999 events, so a version is applied exactly once (also across restarts) and a till
-- that was offline pulls every newer version when it next reaches HQ. A version whose codes
-- clash with the till's own catalogue is 'refused': nothing of it is applied, a 13999 event
-- says why, and later versions still apply.
CREATE TABLE hq_catalog_applied (
    version       INTEGER PRIMARY KEY NOT NULL CHECK (version > 0),
    scope         TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('applied', 'refused')),
    articles      INTEGER NOT NULL CHECK (articles >= 0),
    price_changes INTEGER NOT NULL CHECK (price_changes >= 0),
    applied_at    TEXT NOT NULL
) STRICT;

-- Staff members created at HQ (`kasse hq staff add`) that this till has taken into `staff`
-- (as staff id `hq<id>`), written in the same transaction as the staff row and its
-- 'staff_created' action.
CREATE TABLE hq_staff_applied (
    hq_id      INTEGER PRIMARY KEY NOT NULL CHECK (hq_id > 0),
    staff_id   TEXT NOT NULL REFERENCES staff (id),
    applied_at TEXT NOT NULL
) STRICT;
