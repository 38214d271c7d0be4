-- kasse journal, schema v2: staff and roles, staff actions, refunds, Z reports.
-- Same conventions as v1: RFC 3339 UTC text with milliseconds, integer minor units, VAT in
-- hundredths of a percent. A PIN is never stored: only its argon2id hash (PHC string).

CREATE TABLE staff (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 60),
    role        TEXT NOT NULL CHECK (role IN ('cashier', 'manager')),
    pin_hash    TEXT NOT NULL CHECK (pin_hash LIKE '$argon2%'),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    created_by  TEXT
) STRICT;

-- One row per till: consecutive wrong PINs and the lockout that follows.
CREATE TABLE staff_login_guard (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    failures     INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until TEXT
) STRICT;

INSERT INTO staff_login_guard (id, failures, locked_until) VALUES (1, 0, NULL);

-- Every staff action (allowed or refused) with who and when. Never holds a PIN.
CREATE TABLE staff_actions (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    staff_id TEXT,
    action   TEXT NOT NULL,
    allowed  INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    sale_id  INTEGER REFERENCES sales (id),
    detail   TEXT
) STRICT;

CREATE INDEX staff_actions_at ON staff_actions (at, action);

-- A refund: the record is written before its outbox row (same deterministic key), so a crash
-- in between is repaired by re-enqueueing with the same key. Its status is the outbox row's.
CREATE TABLE refunds (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT NOT NULL,
    sale_id         INTEGER NOT NULL REFERENCES sales (id),
    payment_id      INTEGER NOT NULL REFERENCES payments (id),
    reference       TEXT NOT NULL,
    n               INTEGER NOT NULL CHECK (n > 0),
    currency        TEXT NOT NULL CHECK (currency IN ('NOK', 'DKK', 'EUR')),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    net             INTEGER NOT NULL,
    vat             INTEGER NOT NULL,
    reason          TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    staff_id        TEXT NOT NULL,
    training        INTEGER NOT NULL DEFAULT 0 CHECK (training IN (0, 1)),
    idempotency_key TEXT NOT NULL UNIQUE,
    CHECK (amount - net = vat),
    UNIQUE (payment_id, n)
) STRICT;

CREATE INDEX refunds_created_at ON refunds (created_at);
CREATE INDEX refunds_sale ON refunds (sale_id);

-- What a refund gave back, per sale line (line_no set) or per VAT rate (refund by amount).
CREATE TABLE refund_lines (
    id             INTEGER PRIMARY KEY,
    refund_id      INTEGER NOT NULL REFERENCES refunds (id),
    line_no        INTEGER,
    quantity_milli INTEGER,
    vat_rate       INTEGER NOT NULL CHECK (vat_rate BETWEEN 0 AND 10000),
    gross          INTEGER NOT NULL,
    net            INTEGER NOT NULL,
    vat            INTEGER NOT NULL,
    CHECK (gross - net = vat)
) STRICT;

CREATE INDEX refund_lines_refund ON refund_lines (refund_id);

-- Z reports: numbered per shop/till, one per business day, immutable (triggers below).
CREATE TABLE z_reports (
    id            INTEGER PRIMARY KEY,
    shop_id       TEXT NOT NULL,
    till_id       TEXT NOT NULL,
    number        INTEGER NOT NULL CHECK (number > 0),
    business_date TEXT NOT NULL,
    period_from   TEXT NOT NULL,
    period_to     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    staff_id      TEXT NOT NULL,
    report_json   TEXT NOT NULL CHECK (json_valid(report_json)),
    UNIQUE (shop_id, till_id, number),
    UNIQUE (shop_id, till_id, business_date)
) STRICT;

CREATE TRIGGER z_reports_no_update BEFORE UPDATE ON z_reports
BEGIN
    SELECT RAISE(ABORT, 'a Z report is immutable');
END;

CREATE TRIGGER z_reports_no_delete BEFORE DELETE ON z_reports
BEGIN
    SELECT RAISE(ABORT, 'a Z report is immutable');
END;

-- Covering indexes for the X/Z aggregates (100 000 sales a day without table lookups).
CREATE INDEX sales_report ON sales (shop_id, till_id, created_at, training, currency, status,
    tender, gross_total, net_total, vat_total);
CREATE INDEX sale_lines_report ON sale_lines (sale_id, vat_rate, is_return, gross, net, vat);
CREATE INDEX payments_report ON payments (sale_id, api, captured_amount);
