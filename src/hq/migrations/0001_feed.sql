-- kasse HQ, PostgreSQL schema v1: every till's journal feed and what HQ reads from it.
-- Times stay RFC 3339 UTC text as at the till (fixed width: text order is time order); money
-- is bigint minor units. Rows are keyed by the install id they were first journaled under
-- (`origin`) and the till's own row id, so tills (and a restored till's new install) never clash.

-- One stream per install id: how far HQ has it, and when it was last heard from.
CREATE TABLE hq_streams (
    install_id    text PRIMARY KEY,
    shop_id       text NOT NULL,
    till_id       text NOT NULL,
    last_seq      bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    till_lag      bigint NOT NULL DEFAULT 0,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);

-- The feed as sent: append-only, idempotent by (install_id, seq).
CREATE TABLE hq_feed (
    install_id  text NOT NULL REFERENCES hq_streams (install_id),
    seq         bigint NOT NULL CHECK (seq > 0),
    tbl         text NOT NULL,
    op          text NOT NULL CHECK (op IN ('i', 'u')),
    row_id      bigint NOT NULL,
    origin      text NOT NULL,
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (install_id, seq)
);

CREATE INDEX hq_feed_tbl ON hq_feed (tbl, origin, row_id);

-- Sales: the latest snapshot of each sale.
CREATE TABLE hq_sales (
    origin         text NOT NULL,
    id             bigint NOT NULL,
    shop_id        text NOT NULL,
    till_id        text NOT NULL,
    created_at     text NOT NULL,
    updated_at     text NOT NULL,
    receipt_number text NOT NULL,
    staff_id       text,
    currency       text NOT NULL,
    gross_total    bigint NOT NULL,
    net_total      bigint NOT NULL,
    vat_total      bigint NOT NULL,
    status         text NOT NULL,
    training       boolean NOT NULL,
    tender         text NOT NULL,
    cash_rounding  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (origin, id)
);

CREATE INDEX hq_sales_till_time ON hq_sales (shop_id, till_id, created_at);
CREATE INDEX hq_sales_time ON hq_sales (created_at);

-- Refunds with their final outbox status ('pending' until the till says done or dead).
CREATE TABLE hq_refunds (
    origin     text NOT NULL,
    id         bigint NOT NULL,
    shop_id    text NOT NULL,
    till_id    text NOT NULL,
    created_at text NOT NULL,
    sale_id    bigint NOT NULL,
    currency   text NOT NULL,
    amount     bigint NOT NULL,
    net        bigint NOT NULL,
    vat        bigint NOT NULL,
    training   boolean NOT NULL,
    status     text NOT NULL DEFAULT 'pending',
    PRIMARY KEY (origin, id)
);

CREATE INDEX hq_refunds_time ON hq_refunds (created_at);

-- The signed journal and its public keys, as the tills hold them.
CREATE TABLE hq_fiscal_keys (
    origin         text NOT NULL,
    version        bigint NOT NULL,
    public_key_pem text NOT NULL,
    created_at     text NOT NULL,
    PRIMARY KEY (origin, version)
);

CREATE TABLE hq_fiscal_transactions (
    origin         text NOT NULL,
    id             bigint NOT NULL,
    shop_id        text NOT NULL,
    till_id        text NOT NULL,
    nr             bigint NOT NULL,
    kind           text NOT NULL,
    trans_date     text NOT NULL,
    trans_time     text NOT NULL,
    amount_in      bigint NOT NULL,
    amount_ex      bigint NOT NULL,
    signature      text NOT NULL,
    key_version    bigint NOT NULL,
    sale_id        bigint,
    refund_id      bigint,
    receipt_number text,
    training       boolean NOT NULL,
    PRIMARY KEY (origin, id)
);

CREATE INDEX hq_fiscal_chain ON hq_fiscal_transactions (shop_id, till_id, origin, nr);

-- Pre-aggregated sales per till and UTC hour (like the till's report_sales_hourly), kept by a
-- trigger on hq_sales; `n` counts the sales behind a group so emptied groups are skipped.
CREATE TABLE hq_sales_hourly (
    shop_id  text NOT NULL,
    till_id  text NOT NULL,
    hour     text NOT NULL,
    training boolean NOT NULL,
    currency text NOT NULL,
    status   text NOT NULL,
    n        bigint NOT NULL,
    gross    bigint NOT NULL,
    net      bigint NOT NULL,
    vat      bigint NOT NULL,
    PRIMARY KEY (hour, shop_id, till_id, training, currency, status)
);

CREATE FUNCTION hq_sales_hourly_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = NEW.status AND OLD.gross_total = NEW.gross_total
           AND OLD.net_total = NEW.net_total AND OLD.vat_total = NEW.vat_total
           AND OLD.training = NEW.training AND OLD.currency = NEW.currency
           AND OLD.created_at = NEW.created_at THEN
            RETURN NEW;
        END IF;
        UPDATE hq_sales_hourly SET n = n - 1, gross = gross - OLD.gross_total,
            net = net - OLD.net_total, vat = vat - OLD.vat_total
        WHERE hour = substr(OLD.created_at, 1, 13) AND shop_id = OLD.shop_id
          AND till_id = OLD.till_id AND training = OLD.training AND currency = OLD.currency
          AND status = OLD.status;
    END IF;
    INSERT INTO hq_sales_hourly VALUES (NEW.shop_id, NEW.till_id, substr(NEW.created_at, 1, 13),
        NEW.training, NEW.currency, NEW.status, 1, NEW.gross_total, NEW.net_total, NEW.vat_total)
    ON CONFLICT (hour, shop_id, till_id, training, currency, status) DO UPDATE
    SET n = hq_sales_hourly.n + 1, gross = hq_sales_hourly.gross + excluded.gross,
        net = hq_sales_hourly.net + excluded.net, vat = hq_sales_hourly.vat + excluded.vat;
    RETURN NEW;
END;
$$;

CREATE TRIGGER hq_sales_hourly_keep AFTER INSERT OR UPDATE ON hq_sales
FOR EACH ROW EXECUTE FUNCTION hq_sales_hourly_keep();

-- Everything else, readable as tables (the latest snapshot where a row changes).
CREATE VIEW hq_sale_lines AS
SELECT origin, row_id AS id, (payload ->> 'sale_id')::bigint AS sale_id, payload
FROM hq_feed WHERE tbl = 'sale_lines';

CREATE VIEW hq_payments AS
SELECT DISTINCT ON (origin, row_id) origin, row_id AS id,
       (payload ->> 'sale_id')::bigint AS sale_id, payload ->> 'state' AS state,
       (payload ->> 'captured_amount')::bigint AS captured_amount, payload
FROM hq_feed WHERE tbl = 'payments' ORDER BY origin, row_id, install_id, seq DESC;

CREATE VIEW hq_fiscal_events AS
SELECT origin, row_id AS id, payload ->> 'shop_id' AS shop_id, payload ->> 'till_id' AS till_id,
       payload ->> 'code' AS code, payload ->> 'at' AS at, payload
FROM hq_feed WHERE tbl = 'fiscal_events';

CREATE VIEW hq_z_reports AS
SELECT origin, row_id AS id, payload ->> 'shop_id' AS shop_id, payload ->> 'till_id' AS till_id,
       (payload ->> 'number')::bigint AS number, payload ->> 'business_date' AS business_date,
       payload -> 'report' AS report
FROM hq_feed WHERE tbl = 'z_reports';

CREATE VIEW hq_staff_actions AS
SELECT origin, row_id AS id, payload ->> 'at' AS at, payload ->> 'staff_id' AS staff_id,
       payload ->> 'action' AS action, (payload ->> 'allowed')::int = 1 AS allowed, payload
FROM hq_feed WHERE tbl = 'staff_actions';
