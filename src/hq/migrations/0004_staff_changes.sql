-- kasse HQ, PostgreSQL schema v4: changes to staff created at HQ (`kasse hq staff deactivate |
-- activate | pin`), pulled by every till of the member's shop after the member itself.
-- Append-only like `hq_staff`: a change is a new row; ids follow commit order (a change locks
-- the table), so a till only needs ids above its last one. Only a PIN's argon2 hash, never a PIN.
CREATE TABLE hq_staff_changes (
    id         bigserial PRIMARY KEY,
    staff_id   bigint NOT NULL REFERENCES hq_staff (id),
    kind       text NOT NULL CHECK (kind IN ('deactivate', 'activate', 'pin')),
    pin_hash   text CHECK ((kind = 'pin') = (pin_hash IS NOT NULL)
                           AND (pin_hash IS NULL OR pin_hash LIKE '$argon2%')),
    reason     text NOT NULL CHECK (length(trim(reason)) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX hq_staff_changes_staff ON hq_staff_changes (staff_id, id);

CREATE TRIGGER hq_staff_changes_append_only BEFORE UPDATE OR DELETE ON hq_staff_changes
FOR EACH ROW EXECUTE FUNCTION hq_catalog_versions_append_only();

-- Each HQ member as they are now: the latest PIN and whether they may log in.
CREATE VIEW hq_staff_now AS
SELECT s.id, s.shop_id, s.name, s.role,
       coalesce((SELECT c.pin_hash FROM hq_staff_changes c
                 WHERE c.staff_id = s.id AND c.kind = 'pin' ORDER BY c.id DESC LIMIT 1),
                s.pin_hash) AS pin_hash,
       coalesce((SELECT c.kind = 'activate' FROM hq_staff_changes c
                 WHERE c.staff_id = s.id AND c.kind IN ('deactivate', 'activate')
                 ORDER BY c.id DESC LIMIT 1), true) AS active
FROM hq_staff s;
