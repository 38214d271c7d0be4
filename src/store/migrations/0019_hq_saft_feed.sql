-- What HQ needs for a shop's SAF-T export (`kasse hq saft`, issue #17) that the feed of
-- migration 0014 did not carry: the staff register (never the PIN hash), how often each receipt
-- was printed (receiptNum / receiptCopyNum), and returns paid back in cash with their lines.
-- Same rules as 0014: appended in the writing transaction, backfilled in journal order.

-- Staff: a new member and every change of name, role or active (the row id is SQLite's rowid:
-- staff ids are text).
CREATE TRIGGER hq_staff_ai AFTER INSERT ON staff
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('staff', 'i', NEW.rowid, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'name', NEW.name, 'role', NEW.role, 'active', NEW.active,
        'created_at', NEW.created_at, 'created_by', NEW.created_by));
END;

CREATE TRIGGER hq_staff_au AFTER UPDATE ON staff
WHEN OLD.name IS NOT NEW.name OR OLD.role IS NOT NEW.role OR OLD.active IS NOT NEW.active
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('staff', 'u', NEW.rowid, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'name', NEW.name, 'role', NEW.role, 'active', NEW.active,
        'created_at', NEW.created_at, 'created_by', NEW.created_by));
END;

-- Receipts and copies sent to the printer (not the bytes; drawer pulses are not receipts).
CREATE TRIGGER hq_print_jobs_ai AFTER INSERT ON print_jobs
WHEN NEW.kind IN ('receipt', 'copy')
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('print_jobs', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'created_at', NEW.created_at, 'kind', NEW.kind,
        'receipt_number', NEW.receipt_number));
END;

CREATE TRIGGER hq_cash_returns_ai AFTER INSERT ON cash_returns
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('cash_returns', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'created_at', NEW.created_at, 'shop_id', NEW.shop_id,
        'till_id', NEW.till_id, 'number', NEW.number, 'n', NEW.n, 'sale_id', NEW.sale_id,
        'refund_id', NEW.refund_id, 'currency', NEW.currency, 'amount', NEW.amount,
        'net', NEW.net, 'vat', NEW.vat, 'cash_amount', NEW.cash_amount,
        'cash_net', NEW.cash_net, 'cash_rounding', NEW.cash_rounding, 'reason', NEW.reason,
        'staff_id', NEW.staff_id, 'approved_by', NEW.approved_by, 'training', NEW.training));
END;

CREATE TRIGGER hq_cash_return_lines_ai AFTER INSERT ON cash_return_lines
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('cash_return_lines', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1),
        json_object('id', NEW.id, 'return_id', NEW.return_id, 'line_no', NEW.line_no,
        'name', NEW.name, 'quantity_milli', NEW.quantity_milli, 'vat_rate', NEW.vat_rate,
        'gross', NEW.gross, 'net', NEW.net, 'vat', NEW.vat));
END;

-- Backfill: what is already journaled, in journal order per table.
INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'staff', 'i', rowid, json_object('id', id, 'name', name, 'role', role, 'active', active,
    'created_at', created_at, 'created_by', created_by)
FROM staff ORDER BY rowid;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'print_jobs', 'i', id, json_object('id', id, 'created_at', created_at, 'kind', kind,
    'receipt_number', receipt_number)
FROM print_jobs WHERE kind IN ('receipt', 'copy') ORDER BY id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'cash_returns', 'i', id, json_object('id', id, 'created_at', created_at,
    'shop_id', shop_id, 'till_id', till_id, 'number', number, 'n', n, 'sale_id', sale_id,
    'refund_id', refund_id, 'currency', currency, 'amount', amount, 'net', net, 'vat', vat,
    'cash_amount', cash_amount, 'cash_net', cash_net, 'cash_rounding', cash_rounding,
    'reason', reason, 'staff_id', staff_id, 'approved_by', approved_by, 'training', training)
FROM cash_returns ORDER BY id;

INSERT INTO hq_feed (tbl, op, row_id, payload)
SELECT 'cash_return_lines', 'i', id, json_object('id', id, 'return_id', return_id,
    'line_no', line_no, 'name', name, 'quantity_milli', quantity_milli, 'vat_rate', vat_rate,
    'gross', gross, 'net', net, 'vat', vat)
FROM cash_return_lines ORDER BY id;
