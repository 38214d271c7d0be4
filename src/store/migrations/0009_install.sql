-- Install ids: every database gets a random install id at creation that goes into every Vipps
-- reference, so two tills, a reinstall, a restored backup or a copied file on one MSN never
-- mint the same reference. The current install id is the row with the highest id; a new row
-- (reason "restored", "moved", ...) replaces it. Append-only: rows are never changed or removed.
CREATE TABLE installs (
    id          INTEGER PRIMARY KEY,
    install_id  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    host        TEXT,
    db_path     TEXT
) STRICT;

CREATE TRIGGER installs_no_update BEFORE UPDATE ON installs
BEGIN
    SELECT RAISE(ABORT, 'install ids are append-only');
END;

CREATE TRIGGER installs_no_delete BEFORE DELETE ON installs
BEGIN
    SELECT RAISE(ABORT, 'install ids are append-only');
END;
