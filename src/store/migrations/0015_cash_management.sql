-- Cash management (kassasystemforskrifta § 2-8-2 k, SAF-T transType 11007 / 11008 / 11010 /
-- 11011): the opening float of a period, withdrawals and deposits, and the cash difference
-- found when the drawer is counted at Z. Each is a signed cash transaction in the till's one
-- chain (fiscal_transactions, same nr sequence as sales), written in the same transaction as
-- its cash_movements row. Append-only like the rest of the fiscal journal.

-- fiscal_transactions learns the four new kinds. SQLite cannot change a CHECK in place: the
-- table is rebuilt with the same columns and rows (ids, nr and signatures unchanged), and its
-- indexes and triggers (0011, 0014) are made again.
CREATE TABLE fiscal_transactions_0015 (
    id             INTEGER PRIMARY KEY,
    shop_id        TEXT NOT NULL,
    till_id        TEXT NOT NULL,
    nr             INTEGER NOT NULL CHECK (nr > 0),
    kind           TEXT NOT NULL CHECK (kind IN ('sale', 'return', 'void', 'float', 'withdrawal',
                                                 'deposit', 'cash_difference')),
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

INSERT INTO fiscal_transactions_0015 (id, shop_id, till_id, nr, kind, trans_date, trans_time,
    amount_in, amount_ex, signature, key_version, sale_id, refund_id, receipt_number, staff_id,
    training, signed_at)
SELECT id, shop_id, till_id, nr, kind, trans_date, trans_time, amount_in, amount_ex, signature,
    key_version, sale_id, refund_id, receipt_number, staff_id, training, signed_at
FROM fiscal_transactions ORDER BY id;

-- Dropping a table fires no DELETE trigger; its own triggers and indexes go with it.
DROP TABLE fiscal_transactions;
ALTER TABLE fiscal_transactions_0015 RENAME TO fiscal_transactions;

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
CREATE TRIGGER fiscal_transactions_no_update BEFORE UPDATE ON fiscal_transactions
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
CREATE TRIGGER fiscal_transactions_no_delete BEFORE DELETE ON fiscal_transactions
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
CREATE TRIGGER hq_fiscal_transactions_ai AFTER INSERT ON fiscal_transactions
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('fiscal_transactions', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'shop_id', NEW.shop_id, 'till_id', NEW.till_id, 'nr', NEW.nr,
        'kind', NEW.kind, 'trans_date', NEW.trans_date, 'trans_time', NEW.trans_time,
        'amount_in', NEW.amount_in, 'amount_ex', NEW.amount_ex, 'signature', NEW.signature,
        'key_version', NEW.key_version, 'sale_id', NEW.sale_id, 'refund_id', NEW.refund_id,
        'receipt_number', NEW.receipt_number, 'staff_id', NEW.staff_id,
        'training', NEW.training, 'signed_at', NEW.signed_at));
END;

-- One row per cash movement. amount is what it did to the drawer, in minor units: a float or a
-- deposit > 0, a withdrawal < 0, a difference = counted − expected (never 0). staff_id is the
-- operator at the till, approved_by whose PIN allowed it. fiscal_id is its signed row (NULL
-- only in stores without a signing key: in-memory tests).
CREATE TABLE cash_movements (
    id          INTEGER PRIMARY KEY,
    shop_id     TEXT NOT NULL,
    till_id     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('float', 'withdrawal', 'deposit', 'difference')),
    at          TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      INTEGER NOT NULL CHECK (
                    (kind IN ('float', 'deposit') AND amount > 0) OR
                    (kind = 'withdrawal' AND amount < 0) OR
                    (kind = 'difference' AND amount <> 0)),
    reason      TEXT NOT NULL,
    staff_id    TEXT,
    approved_by TEXT,
    z_number    INTEGER,
    fiscal_id   INTEGER UNIQUE REFERENCES fiscal_transactions (id),
    CHECK (kind NOT IN ('withdrawal', 'deposit') OR length(trim(reason)) > 0)
) STRICT;

CREATE INDEX cash_movements_till_at ON cash_movements (shop_id, till_id, at);

CREATE TRIGGER cash_movements_no_update BEFORE UPDATE ON cash_movements
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
CREATE TRIGGER cash_movements_no_delete BEFORE DELETE ON cash_movements
BEGIN
    SELECT RAISE(ABORT, 'the fiscal journal is append-only');
END;
CREATE TRIGGER hq_cash_movements_ai AFTER INSERT ON cash_movements
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('cash_movements', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'shop_id', NEW.shop_id, 'till_id', NEW.till_id,
        'kind', NEW.kind, 'at', NEW.at, 'currency', NEW.currency, 'amount', NEW.amount,
        'reason', NEW.reason, 'staff_id', NEW.staff_id, 'approved_by', NEW.approved_by,
        'z_number', NEW.z_number, 'fiscal_id', NEW.fiscal_id));
END;
