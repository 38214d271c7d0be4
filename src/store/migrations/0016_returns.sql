-- Returns at the counter paid back in cash (issue #16). A return linked to its sale (sale_id)
-- gives the cash part back in cash; the Vipps part of a split sale is an ordinary refund
-- (refund_id, its own outbox row). A return without the original sale (no receipt) has no
-- sale_id and must name the manager who approved it. The return is signed into the fiscal
-- chain (kind 'return', amounts negative) in the SAME transaction that writes these rows.
-- Append-only: triggers refuse UPDATE and DELETE; a correction is a new row.
CREATE TABLE cash_returns (
    id            INTEGER PRIMARY KEY,
    created_at    TEXT NOT NULL,
    shop_id       TEXT NOT NULL,
    till_id       TEXT NOT NULL,
    -- R-{receipt}-{n} for a linked return, RU-{shop}-{till}-{n} without a receipt.
    number        TEXT NOT NULL UNIQUE,
    -- The return's n: per sale (shared with the sale's Vipps refunds), per till without one.
    n             INTEGER NOT NULL CHECK (n > 0),
    sale_id       INTEGER REFERENCES sales (id),
    refund_id     INTEGER REFERENCES refunds (id),
    currency      TEXT NOT NULL CHECK (currency IN ('NOK', 'DKK', 'EUR')),
    -- The whole return (cash and Vipps parts), as on the return receipt.
    amount        INTEGER NOT NULL CHECK (amount > 0),
    net           INTEGER NOT NULL,
    vat           INTEGER NOT NULL,
    -- The part given back in cash (exact) and its share excluding VAT.
    cash_amount   INTEGER NOT NULL CHECK (cash_amount > 0),
    cash_net      INTEGER NOT NULL,
    -- Øreavrunding of the cash paid out (paid out = cash_amount + cash_rounding).
    cash_rounding INTEGER NOT NULL DEFAULT 0,
    reason        TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    staff_id      TEXT NOT NULL,
    approved_by   TEXT,
    training      INTEGER NOT NULL DEFAULT 0 CHECK (training IN (0, 1)),
    CHECK (amount - net = vat),
    CHECK (cash_amount <= amount),
    CHECK (sale_id IS NOT NULL OR approved_by IS NOT NULL)
) STRICT;

CREATE INDEX cash_returns_created_at ON cash_returns (created_at);
CREATE INDEX cash_returns_sale ON cash_returns (sale_id);

-- The returned lines: line_no of the sale (linked), or NULL with the typed name (no receipt).
CREATE TABLE cash_return_lines (
    id             INTEGER PRIMARY KEY,
    return_id      INTEGER NOT NULL REFERENCES cash_returns (id),
    line_no        INTEGER,
    name           TEXT NOT NULL,
    quantity_milli INTEGER,
    vat_rate       INTEGER NOT NULL CHECK (vat_rate BETWEEN 0 AND 10000),
    gross          INTEGER NOT NULL,
    net            INTEGER NOT NULL,
    vat            INTEGER NOT NULL,
    CHECK (gross - net = vat)
) STRICT;

CREATE INDEX cash_return_lines_return ON cash_return_lines (return_id);

CREATE TRIGGER cash_returns_no_update BEFORE UPDATE ON cash_returns
BEGIN
    SELECT RAISE(ABORT, 'cash_returns is append-only: record a correction as a new row');
END;
CREATE TRIGGER cash_returns_no_delete BEFORE DELETE ON cash_returns
BEGIN
    SELECT RAISE(ABORT, 'cash_returns is append-only: record a correction as a new row');
END;
CREATE TRIGGER cash_return_lines_no_update BEFORE UPDATE ON cash_return_lines
BEGIN
    SELECT RAISE(ABORT, 'cash_return_lines is append-only');
END;
CREATE TRIGGER cash_return_lines_no_delete BEFORE DELETE ON cash_return_lines
BEGIN
    SELECT RAISE(ABORT, 'cash_return_lines is append-only');
END;
