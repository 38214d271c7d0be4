-- kasse HQ, PostgreSQL schema v2: catalogue versions published at HQ (`kasse hq catalog import`)
-- and staff created at HQ (`kasse hq staff add`, further down)
-- for the tills to pull. Append-only: a new price list is a new version, never an edit.
-- `shop_id` NULL: chain-wide (every shop's tills apply it); else only that shop's tills.
-- Versions are numbered in commit order (publishing locks the table), so a till that has applied
-- version N only ever needs versions > N.
CREATE TABLE hq_catalog_versions (
    version      bigserial PRIMARY KEY,
    shop_id      text CHECK (shop_id IS NULL OR length(shop_id) > 0),
    file_name    text NOT NULL,
    articles     jsonb NOT NULL CHECK (jsonb_typeof(articles) = 'array'),
    rows         bigint NOT NULL CHECK (rows > 0),
    published_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX hq_catalog_versions_shop ON hq_catalog_versions (shop_id, version);

CREATE FUNCTION hq_catalog_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: add a new row instead', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER hq_catalog_versions_append_only BEFORE UPDATE OR DELETE ON hq_catalog_versions
FOR EACH ROW EXECUTE FUNCTION hq_catalog_versions_append_only();

-- Staff created at HQ (`kasse hq staff add`), pulled by every till of the shop. Only the PIN's
-- argon2 hash (PHC string, as the till stores it) is here, never the PIN. Append-only too; ids
-- follow commit order (adding locks the table), so a till only needs ids above its last one.
CREATE TABLE hq_staff (
    id         bigserial PRIMARY KEY,
    shop_id    text NOT NULL CHECK (length(shop_id) > 0),
    name       text NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 60),
    role       text NOT NULL CHECK (role IN ('cashier', 'manager')),
    pin_hash   text NOT NULL CHECK (pin_hash LIKE '$argon2%'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX hq_staff_shop ON hq_staff (shop_id, id);

CREATE TRIGGER hq_staff_append_only BEFORE UPDATE OR DELETE ON hq_staff
FOR EACH ROW EXECUTE FUNCTION hq_catalog_versions_append_only();
