-- Replication to headquarters (issue #17): the feed of everything HQ gets, in journal order.
--
-- Triggers append one row per journal write, in the SAME transaction as the write: a sale's
-- insert and every change of its status or totals (a full snapshot of the row), its lines,
-- payments (insert and every change of state or amounts), refunds and their lines, a refund's
-- final outbox status, the signing keys, signed transactions, fiscal events, Z reports and
-- staff actions. The payload is the row as JSON.
--
-- `install` is the install id current when the row was journaled (NULL only for rows written
-- before the database had one). A row is stamped with its stream (`install`, else the first
-- install id) and its sequence in that stream when it is first sent, in id order (`stream`,
-- `seq` are then written once and never changed). A restored backup thus re-sends the rows it
-- shares with the original under the same (stream, seq), which HQ already has, and its new
-- install's rows start a new stream at 1: a restored till replicates as a new till. `origin`
-- is the install whose row the payload updates (a sale made before a restore and refunded
-- after it keeps its first install).
-- Append-only: no row is deleted, and only the stamp of an unstamped row may be written.

CREATE TABLE hq_feed (
    id      INTEGER PRIMARY KEY,
    tbl     TEXT NOT NULL,
    op      TEXT NOT NULL CHECK (op IN ('i', 'u')),
    row_id  INTEGER NOT NULL,
    install TEXT,
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    stream  TEXT,
    seq     INTEGER CHECK (seq > 0),
    origin  TEXT,
    CHECK ((stream IS NULL) = (seq IS NULL)),
    UNIQUE (stream, seq)
) STRICT;

CREATE INDEX hq_feed_unstamped ON hq_feed (id) WHERE stream IS NULL;
CREATE INDEX hq_feed_inserts ON hq_feed (tbl, row_id) WHERE op = 'i';

-- What HQ acknowledged: every feed row with id <= acked_id is at HQ.
CREATE TABLE hq_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    acked_id INTEGER NOT NULL DEFAULT 0 CHECK (acked_id >= 0),
    acked_at TEXT
) STRICT;

INSERT INTO hq_cursor (id, acked_id) VALUES (1, 0);

CREATE TRIGGER hq_feed_no_delete BEFORE DELETE ON hq_feed
BEGIN
    SELECT RAISE(ABORT, 'the HQ feed is append-only');
END;

CREATE TRIGGER hq_feed_stamp_once BEFORE UPDATE ON hq_feed
WHEN OLD.stream IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.tbl IS NOT OLD.tbl
  OR NEW.op IS NOT OLD.op OR NEW.row_id IS NOT OLD.row_id OR NEW.payload IS NOT OLD.payload
  OR NEW.install IS NOT OLD.install
BEGIN
    SELECT RAISE(ABORT, 'the HQ feed is append-only (a row is stamped once)');
END;

-- Sales: the insert and every change of status or totals, as a snapshot.
CREATE TRIGGER hq_sales_ai AFTER INSERT ON sales
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('sales', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1), json_object(
        'id', NEW.id, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at,
        'shop_id', NEW.shop_id, 'till_id', NEW.till_id, 'sequence', NEW.sequence,
        'receipt_number', NEW.receipt_number, 'staff_id', NEW.staff_id,
        'currency', NEW.currency, 'gross_total', NEW.gross_total, 'vat_total', NEW.vat_total,
        'net_total', NEW.net_total, 'status', NEW.status, 'training', NEW.training,
        'tender', NEW.tender, 'cash_rounding', NEW.cash_rounding));
END;

CREATE TRIGGER hq_sales_au AFTER UPDATE ON sales
WHEN OLD.status IS NOT NEW.status OR OLD.gross_total IS NOT NEW.gross_total
  OR OLD.net_total IS NOT NEW.net_total OR OLD.vat_total IS NOT NEW.vat_total
  OR OLD.tender IS NOT NEW.tender OR OLD.cash_rounding IS NOT NEW.cash_rounding
  OR OLD.training IS NOT NEW.training
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('sales', 'u', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1), json_object(
        'id', NEW.id, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at,
        'shop_id', NEW.shop_id, 'till_id', NEW.till_id, 'sequence', NEW.sequence,
        'receipt_number', NEW.receipt_number, 'staff_id', NEW.staff_id,
        'currency', NEW.currency, 'gross_total', NEW.gross_total, 'vat_total', NEW.vat_total,
        'net_total', NEW.net_total, 'status', NEW.status, 'training', NEW.training,
        'tender', NEW.tender, 'cash_rounding', NEW.cash_rounding));
END;

CREATE TRIGGER hq_sale_lines_ai AFTER INSERT ON sale_lines
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('sale_lines', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1), json_object(
        'id', NEW.id, 'sale_id', NEW.sale_id, 'line_no', NEW.line_no,
        'product_id', NEW.product_id, 'name', NEW.name, 'quantity', NEW.quantity,
        'quantity_milli', NEW.quantity_milli, 'unit', NEW.unit, 'unit_price', NEW.unit_price,
        'discount', NEW.discount, 'vat_rate', NEW.vat_rate, 'gross', NEW.gross, 'net', NEW.net,
        'vat', NEW.vat, 'is_return', NEW.is_return));
END;

-- Payments: no idempotency keys and no phone number (not needed at HQ).
CREATE TRIGGER hq_payments_ai AFTER INSERT ON payments
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('payments', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1), json_object(
        'id', NEW.id, 'sale_id', NEW.sale_id, 'api', NEW.api, 'msn', NEW.msn,
        'reference', NEW.reference, 'attempt', NEW.attempt, 'flow', NEW.flow,
        'currency', NEW.currency, 'amount', NEW.amount, 'state', NEW.state,
        'created_at', NEW.created_at, 'updated_at', NEW.updated_at,
        'authorized_amount', NEW.authorized_amount, 'captured_amount', NEW.captured_amount,
        'refunded_amount', NEW.refunded_amount, 'cancelled_amount', NEW.cancelled_amount));
END;

CREATE TRIGGER hq_payments_au AFTER UPDATE ON payments
WHEN OLD.state IS NOT NEW.state OR OLD.authorized_amount IS NOT NEW.authorized_amount
  OR OLD.captured_amount IS NOT NEW.captured_amount
  OR OLD.refunded_amount IS NOT NEW.refunded_amount
  OR OLD.cancelled_amount IS NOT NEW.cancelled_amount
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('payments', 'u', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1), json_object(
        'id', NEW.id, 'sale_id', NEW.sale_id, 'api', NEW.api, 'msn', NEW.msn,
        'reference', NEW.reference, 'attempt', NEW.attempt, 'flow', NEW.flow,
        'currency', NEW.currency, 'amount', NEW.amount, 'state', NEW.state,
        'created_at', NEW.created_at, 'updated_at', NEW.updated_at,
        'authorized_amount', NEW.authorized_amount, 'captured_amount', NEW.captured_amount,
        'refunded_amount', NEW.refunded_amount, 'cancelled_amount', NEW.cancelled_amount));
END;

CREATE TRIGGER hq_refunds_ai AFTER INSERT ON refunds
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('refunds', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1), json_object(
        'id', NEW.id, 'created_at', NEW.created_at, 'sale_id', NEW.sale_id,
        'payment_id', NEW.payment_id, 'reference', NEW.reference, 'n', NEW.n,
        'currency', NEW.currency, 'amount', NEW.amount, 'net', NEW.net, 'vat', NEW.vat,
        'reason', NEW.reason, 'staff_id', NEW.staff_id, 'training', NEW.training,
        'shop_id', (SELECT shop_id FROM sales WHERE id = NEW.sale_id),
        'till_id', (SELECT till_id FROM sales WHERE id = NEW.sale_id)));
END;

CREATE TRIGGER hq_refund_lines_ai AFTER INSERT ON refund_lines
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('refund_lines', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'refund_id', NEW.refund_id, 'line_no', NEW.line_no,
        'quantity_milli', NEW.quantity_milli, 'vat_rate', NEW.vat_rate, 'gross', NEW.gross,
        'net', NEW.net, 'vat', NEW.vat));
END;

-- A refund's outbox row reaching 'done' (Vipps confirmed) or 'dead' (refused for good).
CREATE TRIGGER hq_refund_status_au AFTER UPDATE OF status ON outbox
WHEN OLD.status IS NOT NEW.status AND NEW.status IN ('done', 'dead')
  AND EXISTS (SELECT 1 FROM refunds WHERE idempotency_key = NEW.idempotency_key)
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload)
    SELECT 'refund_status', 'i', r.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('refund_id', r.id, 'status', NEW.status,
        'at', NEW.updated_at)
    FROM refunds r WHERE r.idempotency_key = NEW.idempotency_key;
END;

CREATE TRIGGER hq_fiscal_keys_ai AFTER INSERT ON fiscal_keys
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('fiscal_keys', 'i', NEW.version, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('version', NEW.version, 'public_key_pem', NEW.public_key_pem,
        'created_at', NEW.created_at, 'reason', NEW.reason));
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

CREATE TRIGGER hq_fiscal_events_ai AFTER INSERT ON fiscal_events
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('fiscal_events', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'shop_id', NEW.shop_id, 'till_id', NEW.till_id,
        'code', NEW.code, 'at', NEW.at, 'staff_id', NEW.staff_id, 'sale_id', NEW.sale_id,
        'detail', NEW.detail));
END;

CREATE TRIGGER hq_z_reports_ai AFTER INSERT ON z_reports
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('z_reports', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'shop_id', NEW.shop_id, 'till_id', NEW.till_id,
        'number', NEW.number, 'business_date', NEW.business_date,
        'period_from', NEW.period_from, 'period_to', NEW.period_to,
        'created_at', NEW.created_at, 'staff_id', NEW.staff_id,
        'report', json(NEW.report_json)));
END;

CREATE TRIGGER hq_staff_actions_ai AFTER INSERT ON staff_actions
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('staff_actions', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'at', NEW.at, 'staff_id', NEW.staff_id,
        'action', NEW.action, 'allowed', NEW.allowed, 'sale_id', NEW.sale_id,
        'detail', NEW.detail));
END;

-- Backfill: what is already journaled goes first, in journal order per table family.
INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'fiscal_keys', 'i', version, json_object('version', version,
    'public_key_pem', public_key_pem, 'created_at', created_at, 'reason', reason)
FROM fiscal_keys ORDER BY version;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'sales', 'i', id, json_object(
    'id', id, 'created_at', created_at, 'updated_at', updated_at, 'shop_id', shop_id,
    'till_id', till_id, 'sequence', sequence, 'receipt_number', receipt_number,
    'staff_id', staff_id, 'currency', currency, 'gross_total', gross_total,
    'vat_total', vat_total, 'net_total', net_total, 'status', status, 'training', training,
    'tender', tender, 'cash_rounding', cash_rounding)
FROM sales ORDER BY id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'sale_lines', 'i', id, json_object(
    'id', id, 'sale_id', sale_id, 'line_no', line_no, 'product_id', product_id, 'name', name,
    'quantity', quantity, 'quantity_milli', quantity_milli, 'unit', unit,
    'unit_price', unit_price, 'discount', discount, 'vat_rate', vat_rate, 'gross', gross,
    'net', net, 'vat', vat, 'is_return', is_return)
FROM sale_lines ORDER BY id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'payments', 'i', id, json_object(
    'id', id, 'sale_id', sale_id, 'api', api, 'msn', msn, 'reference', reference,
    'attempt', attempt, 'flow', flow, 'currency', currency, 'amount', amount, 'state', state,
    'created_at', created_at, 'updated_at', updated_at,
    'authorized_amount', authorized_amount, 'captured_amount', captured_amount,
    'refunded_amount', refunded_amount, 'cancelled_amount', cancelled_amount)
FROM payments ORDER BY id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'refunds', 'i', r.id, json_object(
    'id', r.id, 'created_at', r.created_at, 'sale_id', r.sale_id, 'payment_id', r.payment_id,
    'reference', r.reference, 'n', r.n, 'currency', r.currency, 'amount', r.amount,
    'net', r.net, 'vat', r.vat, 'reason', r.reason, 'staff_id', r.staff_id,
    'training', r.training, 'shop_id', s.shop_id, 'till_id', s.till_id)
FROM refunds r JOIN sales s ON s.id = r.sale_id ORDER BY r.id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'refund_lines', 'i', id, json_object(
    'id', id, 'refund_id', refund_id, 'line_no', line_no, 'quantity_milli', quantity_milli,
    'vat_rate', vat_rate, 'gross', gross, 'net', net, 'vat', vat)
FROM refund_lines ORDER BY id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'refund_status', 'i', r.id, json_object('refund_id', r.id, 'status', o.status,
    'at', o.updated_at)
FROM refunds r JOIN outbox o ON o.idempotency_key = r.idempotency_key
WHERE o.status IN ('done', 'dead') ORDER BY r.id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'fiscal_transactions', 'i', id, json_object(
    'id', id, 'shop_id', shop_id, 'till_id', till_id, 'nr', nr, 'kind', kind,
    'trans_date', trans_date, 'trans_time', trans_time, 'amount_in', amount_in,
    'amount_ex', amount_ex, 'signature', signature, 'key_version', key_version,
    'sale_id', sale_id, 'refund_id', refund_id, 'receipt_number', receipt_number,
    'staff_id', staff_id, 'training', training, 'signed_at', signed_at)
FROM fiscal_transactions ORDER BY id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'fiscal_events', 'i', id, json_object(
    'id', id, 'shop_id', shop_id, 'till_id', till_id, 'code', code, 'at', at,
    'staff_id', staff_id, 'sale_id', sale_id, 'detail', detail)
FROM fiscal_events ORDER BY id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'z_reports', 'i', id, json_object(
    'id', id, 'shop_id', shop_id, 'till_id', till_id, 'number', number,
    'business_date', business_date, 'period_from', period_from, 'period_to', period_to,
    'created_at', created_at, 'staff_id', staff_id, 'report', json(report_json))
FROM z_reports ORDER BY id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'staff_actions', 'i', id, json_object(
    'id', id, 'at', at, 'staff_id', staff_id, 'action', action, 'allowed', allowed,
    'sale_id', sale_id, 'detail', detail)
FROM staff_actions ORDER BY id;
