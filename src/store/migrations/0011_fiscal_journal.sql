-- Norwegian cash-register rules (kassasystemforskriften): the signed electronic journal.
-- Append-only: triggers refuse UPDATE and DELETE on every table here; a correction is a new row.
-- No private key material is ever stored: only public keys (PEM) with their keyVersion; the
-- private key lives in a 0600 file beside the database.

-- The till's signing keys. keyVersion = version; a rotation adds the next version.
CREATE TABLE fiscal_keys (
    version        INTEGER PRIMARY KEY CHECK (version > 0),
    public_key_pem TEXT NOT NULL CHECK (public_key_pem LIKE '-----BEGIN PUBLIC KEY-----%'),
    created_at     TEXT NOT NULL,
    reason         TEXT NOT NULL,
    key_file       TEXT NOT NULL
) STRICT;

-- One row per signed cash transaction (sale, return, void; Vipps, cash and split alike), in
-- the SAME transaction that journals the sale's final state. nr runs per till from 1 without
-- gaps; signature = base64 SHA-1-with-RSA over
-- previousSignature;trans_date;trans_time;nr;amount_in;amount_ex (previous of nr 1 is "0").
-- trans_date / trans_time are the till's local date and time exactly as signed.
CREATE TABLE fiscal_transactions (
    id             INTEGER PRIMARY KEY,
    shop_id        TEXT NOT NULL,
    till_id        TEXT NOT NULL,
    nr             INTEGER NOT NULL CHECK (nr > 0),
    kind           TEXT NOT NULL CHECK (kind IN ('sale', 'return', 'void')),
    trans_date     TEXT NOT NULL,
    trans_time     TEXT NOT NULL,
    amount_in      INTEGER NOT NULL,
    amount_ex      INTEGER NOT NULL,
    signature      TEXT NOT NULL,
    key_version    INTEGER NOT NULL REFERENCES fiscal_keys (version),
    sale_id        INTEGER REFERENCES sales (id),
    refund_id      INTEGER,
    receipt_number TEXT,
    staff_id       TEXT,
    training       INTEGER NOT NULL DEFAULT 0 CHECK (training IN (0, 1)),
    signed_at      TEXT NOT NULL,
    UNIQUE (shop_id, till_id, nr)
) STRICT;

CREATE UNIQUE INDEX fiscal_transactions_sale_once
    ON fiscal_transactions (sale_id, kind) WHERE sale_id IS NOT NULL AND kind IN ('sale', 'void');
CREATE UNIQUE INDEX fiscal_transactions_refund_once
    ON fiscal_transactions (refund_id) WHERE refund_id IS NOT NULL;
CREATE INDEX fiscal_transactions_date ON fiscal_transactions (trans_date);

CREATE TRIGGER fiscal_transactions_consecutive BEFORE INSERT ON fiscal_transactions
WHEN NEW.nr <> (SELECT coalesce(max(nr), 0) + 1 FROM fiscal_transactions
                WHERE shop_id = NEW.shop_id AND till_id = NEW.till_id)
BEGIN
    SELECT RAISE(ABORT, 'fiscal transaction nr must follow the till''s last nr without a gap');
END;

-- Journal events (PredefinedBasicID-13 codes): start/stop, software update, export, ...
CREATE TABLE fiscal_events (
    id       INTEGER PRIMARY KEY,
    shop_id  TEXT NOT NULL,
    till_id  TEXT NOT NULL,
    code     TEXT NOT NULL CHECK (length(code) = 5 AND code GLOB '13[0-9][0-9][0-9]'),
    at       TEXT NOT NULL,
    staff_id TEXT,
    sale_id  INTEGER REFERENCES sales (id),
    detail   TEXT NOT NULL
) STRICT;

CREATE INDEX fiscal_events_at ON fiscal_events (at);

CREATE TRIGGER fiscal_keys_no_update BEFORE UPDATE ON fiscal_keys
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
CREATE TRIGGER fiscal_keys_no_delete BEFORE DELETE ON fiscal_keys
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
CREATE TRIGGER fiscal_transactions_no_update BEFORE UPDATE ON fiscal_transactions
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
CREATE TRIGGER fiscal_transactions_no_delete BEFORE DELETE ON fiscal_transactions
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
CREATE TRIGGER fiscal_events_no_update BEFORE UPDATE ON fiscal_events
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
CREATE TRIGGER fiscal_events_no_delete BEFORE DELETE ON fiscal_events
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
