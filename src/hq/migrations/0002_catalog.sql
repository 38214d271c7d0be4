-- kasse HQ, PostgreSQL schema v2: catalogue versions published at HQ (`kasse hq catalog import`)
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
    RAISE EXCEPTION 'hq_catalog_versions is append-only: publish a new version instead';
END;
$$;

CREATE TRIGGER hq_catalog_versions_append_only BEFORE UPDATE OR DELETE ON hq_catalog_versions
FOR EACH ROW EXECUTE FUNCTION hq_catalog_versions_append_only();
