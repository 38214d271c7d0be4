-- kasse HQ, PostgreSQL schema v3: what `kasse hq saft` reads for a shop's SAF-T Cash Register
-- file. The tills (SQLite migration 0019) now also send their staff register (never a PIN
-- hash), receipt prints and cash returns; the signed rows keep their operator here.

-- The operator of each signed row (the SAF-T empID), from the feed rows already at HQ.
ALTER TABLE hq_fiscal_transactions ADD COLUMN staff_id text;

UPDATE hq_fiscal_transactions t SET staff_id = f.payload ->> 'staff_id'
FROM hq_feed f
WHERE f.tbl = 'fiscal_transactions' AND f.origin = t.origin AND f.row_id = t.id;

-- Lookups per signed row: a sale's lines and payments, a cash movement's reason, a receipt's
-- prints.
CREATE INDEX hq_feed_sale_rows ON hq_feed (origin, ((payload ->> 'sale_id')::bigint))
    WHERE tbl IN ('sale_lines', 'payments');
CREATE INDEX hq_feed_cash_fiscal ON hq_feed (origin, ((payload ->> 'fiscal_id')::bigint))
    WHERE tbl = 'cash_movements';
CREATE INDEX hq_feed_receipt_prints ON hq_feed ((payload ->> 'receipt_number'))
    WHERE tbl = 'print_jobs';

-- Each till's staff register as it is now (the latest snapshot of each member).
CREATE VIEW hq_till_staff AS
SELECT DISTINCT ON (f.origin, f.row_id) s.shop_id, s.till_id, f.origin,
       f.payload ->> 'id' AS staff_id, f.payload ->> 'name' AS name, f.payload ->> 'role' AS role,
       (f.payload ->> 'active')::int = 1 AS active, f.payload ->> 'created_at' AS created_at
FROM hq_feed f JOIN hq_streams s ON s.install_id = f.install_id
WHERE f.tbl = 'staff'
ORDER BY f.origin, f.row_id, f.received_at DESC, f.seq DESC;

CREATE VIEW hq_cash_movements AS
SELECT origin, row_id AS id, payload ->> 'shop_id' AS shop_id, payload ->> 'till_id' AS till_id,
       payload ->> 'kind' AS kind, payload ->> 'at' AS at, payload ->> 'currency' AS currency,
       (payload ->> 'amount')::bigint AS amount, payload ->> 'reason' AS reason,
       payload ->> 'staff_id' AS staff_id, payload ->> 'approved_by' AS approved_by,
       (payload ->> 'fiscal_id')::bigint AS fiscal_id
FROM hq_feed WHERE tbl = 'cash_movements';

CREATE VIEW hq_cash_returns AS
SELECT origin, row_id AS id, payload ->> 'shop_id' AS shop_id, payload ->> 'till_id' AS till_id,
       payload ->> 'created_at' AS created_at, payload ->> 'number' AS number,
       (payload ->> 'amount')::bigint AS amount, (payload ->> 'cash_amount')::bigint AS cash_amount,
       payload ->> 'reason' AS reason, payload ->> 'staff_id' AS staff_id, payload
FROM hq_feed WHERE tbl = 'cash_returns';

-- Every SAF-T file HQ wrote (the till journals its own exports as event 13020; HQ keeps its
-- list here). Append-only.
CREATE TABLE hq_saft_exports (
    id           bigserial PRIMARY KEY,
    shop_id      text NOT NULL,
    period_from  date NOT NULL,
    period_to    date NOT NULL,
    file_name    text NOT NULL,
    transactions bigint NOT NULL,
    events       bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER hq_saft_exports_append_only BEFORE UPDATE OR DELETE ON hq_saft_exports
FOR EACH ROW EXECUTE FUNCTION hq_catalog_versions_append_only();
