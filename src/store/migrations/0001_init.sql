-- kasse journal, schema v1.
-- Times are TEXT in RFC 3339 UTC with milliseconds ('2026-11-21T12:00:00.000Z'): fixed width,
-- so text order is time order. Money is INTEGER minor units. VAT rates are hundredths of a
-- percent (2500 = 25 %). No secrets are stored anywhere in this database.
-- Staff/roles, refunds and Z reports come in later migrations; staff_id columns are plain TEXT
-- so a staff table can be added without rebuilding these tables.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- Marks the file as a kasse journal: open refuses databases of other programs.
INSERT INTO meta (key, value) VALUES ('app', 'kasse');

-- Per shop/till counters. name = 'sale' (sale sequence: references and receipt numbers);
-- later issues may add e.g. 'z_report'.
CREATE TABLE counters (
    shop_id TEXT NOT NULL,
    till_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   INTEGER NOT NULL CHECK (value >= 0),
    PRIMARY KEY (shop_id, till_id, name)
) STRICT;

CREATE TABLE sales (
    id             INTEGER PRIMARY KEY,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    shop_id        TEXT NOT NULL,
    till_id        TEXT NOT NULL,
    sequence       INTEGER NOT NULL CHECK (sequence > 0),
    receipt_number TEXT NOT NULL UNIQUE,
    staff_id       TEXT,
    currency       TEXT NOT NULL CHECK (currency IN ('NOK', 'DKK', 'EUR')),
    gross_total    INTEGER NOT NULL,
    vat_total      INTEGER NOT NULL,
    net_total      INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'paid', 'failed', 'cancelled',
                                                   'voided', 'partially_refunded', 'refunded')),
    training       INTEGER NOT NULL DEFAULT 0 CHECK (training IN (0, 1)),
    tender         TEXT NOT NULL,
    description    TEXT,
    CHECK (gross_total - net_total = vat_total),
    UNIQUE (shop_id, till_id, sequence)
) STRICT;

CREATE INDEX sales_created_at ON sales (created_at);
CREATE INDEX sales_gross_total ON sales (gross_total);

CREATE TABLE sale_lines (
    id             INTEGER PRIMARY KEY,
    sale_id        INTEGER NOT NULL REFERENCES sales (id),
    line_no        INTEGER NOT NULL CHECK (line_no > 0),
    product_id     TEXT,
    name           TEXT NOT NULL,
    quantity       TEXT NOT NULL,
    quantity_milli INTEGER NOT NULL,
    unit           TEXT NOT NULL,
    unit_price     INTEGER NOT NULL,
    discount       INTEGER NOT NULL DEFAULT 0,
    vat_rate       INTEGER NOT NULL CHECK (vat_rate BETWEEN 0 AND 10000),
    gross          INTEGER NOT NULL,
    net            INTEGER NOT NULL,
    vat            INTEGER NOT NULL,
    is_return      INTEGER NOT NULL DEFAULT 0 CHECK (is_return IN (0, 1)),
    CHECK (gross - net = vat),
    UNIQUE (sale_id, line_no)
) STRICT;

-- One row per attempt to take a Vipps payment for a sale. A new attempt for the same basket is a
-- new row with a new reference. All idempotency keys are minted when the row is written, before
-- any network call, and never change.
CREATE TABLE payments (
    id                   INTEGER PRIMARY KEY,
    sale_id              INTEGER NOT NULL REFERENCES sales (id),
    api                  TEXT NOT NULL CHECK (api IN ('epayment', 'ecom', 'psp')),
    msn                  TEXT NOT NULL,
    reference            TEXT NOT NULL,
    attempt              INTEGER NOT NULL CHECK (attempt > 0),
    flow                 TEXT NOT NULL CHECK (flow IN ('push', 'qr')),
    currency             TEXT NOT NULL CHECK (currency IN ('NOK', 'DKK', 'EUR')),
    amount               INTEGER NOT NULL CHECK (amount > 0),
    state                TEXT NOT NULL,
    reason               TEXT,
    phone_last_digits    TEXT,
    create_key           TEXT NOT NULL UNIQUE,
    capture_key          TEXT NOT NULL UNIQUE,
    cancel_key           TEXT NOT NULL UNIQUE,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    user_deadline_at     TEXT,
    approval_deadline_at TEXT,
    authorized_amount    INTEGER NOT NULL DEFAULT 0,
    captured_amount      INTEGER NOT NULL DEFAULT 0,
    refunded_amount      INTEGER NOT NULL DEFAULT 0,
    cancelled_amount     INTEGER NOT NULL DEFAULT 0,
    psp_transaction_id   TEXT,
    last_read_at         TEXT,
    UNIQUE (msn, reference),
    UNIQUE (sale_id, attempt)
) STRICT;

CREATE INDEX payments_state ON payments (state);
CREATE INDEX payments_reference ON payments (reference);

-- The outbox: every money-moving or follow-up call leaves through a row here.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    payment_id      INTEGER REFERENCES payments (id),
    reference       TEXT,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload_json    TEXT NOT NULL CHECK (json_valid(payload_json)),
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'in_flight', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT
) STRICT;

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('pending', 'in_flight');
CREATE INDEX outbox_reference ON outbox (reference);

-- The journal: every attempt at a Vipps call, every state change and every staff action.
CREATE TABLE operations (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    sale_id         INTEGER REFERENCES sales (id),
    payment_id      INTEGER REFERENCES payments (id),
    outbox_id       INTEGER REFERENCES outbox (id),
    kind            TEXT NOT NULL,
    idempotency_key TEXT,
    request_summary TEXT,
    outcome         TEXT NOT NULL,
    http_status     INTEGER,
    error_code      TEXT,
    detail          TEXT,
    staff_id        TEXT
) STRICT;

CREATE INDEX operations_payment ON operations (payment_id, id);
CREATE INDEX operations_sale ON operations (sale_id, id);
CREATE INDEX operations_at ON operations (at);
