-- Hourly running totals for the X/Z reports, kept by triggers so every writer (engine, staff,
-- cash sales, direct SQL) is covered. A report over hour-aligned bounds (every business day at a
-- whole-hour UTC offset) sums at most 24 rows per group instead of scanning every sale and line.
-- `hour` is the first 13 characters of the RFC 3339 UTC time ("2026-11-21T14"). `n` counts the
-- rows behind a total, so groups that emptied out (a sale moved to another status) are skipped.
-- The report code falls back to the live aggregates for bounds that are not on the hour; a
-- property test checks that both give the same report.

CREATE TABLE report_sales_hourly (
    shop_id  TEXT NOT NULL,
    till_id  TEXT NOT NULL,
    hour     TEXT NOT NULL,
    training INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status   TEXT NOT NULL,
    tender   TEXT NOT NULL,
    n        INTEGER NOT NULL,
    gross    INTEGER NOT NULL,
    net      INTEGER NOT NULL,
    vat      INTEGER NOT NULL,
    PRIMARY KEY (shop_id, till_id, hour, training, currency, status, tender)
) STRICT, WITHOUT ROWID;

-- Line totals per VAT rate, returns negative (as the report shows them).
CREATE TABLE report_lines_hourly (
    shop_id  TEXT NOT NULL,
    till_id  TEXT NOT NULL,
    hour     TEXT NOT NULL,
    training INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status   TEXT NOT NULL,
    vat_rate INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    gross    INTEGER NOT NULL,
    net      INTEGER NOT NULL,
    vat      INTEGER NOT NULL,
    PRIMARY KEY (shop_id, till_id, hour, training, currency, status, vat_rate)
) STRICT, WITHOUT ROWID;

-- Payments with a captured amount, per API (of the sale's hour).
CREATE TABLE report_captures_hourly (
    shop_id  TEXT NOT NULL,
    till_id  TEXT NOT NULL,
    hour     TEXT NOT NULL,
    training INTEGER NOT NULL,
    currency TEXT NOT NULL,
    api      TEXT NOT NULL,
    n        INTEGER NOT NULL,
    captured INTEGER NOT NULL,
    PRIMARY KEY (shop_id, till_id, hour, training, currency, api)
) STRICT, WITHOUT ROWID;

-- Split-tender sales (cash part + Vipps remainder) are few; the report reads them alone.
CREATE INDEX sales_split ON sales (shop_id, till_id, created_at) WHERE tender = 'cash+vipps';

-- Backfill from what is already journaled.
INSERT INTO report_sales_hourly
SELECT shop_id, till_id, substr(created_at, 1, 13), training, currency, status, tender,
       count(*), sum(gross_total), sum(net_total), sum(vat_total)
FROM sales
GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO report_lines_hourly
SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, s.status,
       l.vat_rate, count(*),
       sum(CASE WHEN l.is_return = 1 THEN -l.gross ELSE l.gross END),
       sum(CASE WHEN l.is_return = 1 THEN -l.net ELSE l.net END),
       sum(CASE WHEN l.is_return = 1 THEN -l.vat ELSE l.vat END)
FROM sales s JOIN sale_lines l ON l.sale_id = s.id
GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO report_captures_hourly
SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, p.api,
       count(*), sum(p.captured_amount)
FROM sales s JOIN payments p ON p.sale_id = s.id
WHERE p.captured_amount > 0
GROUP BY 1, 2, 3, 4, 5, 6;

-- sales: the sale's own totals.
CREATE TRIGGER report_sales_ai AFTER INSERT ON sales
BEGIN
    INSERT INTO report_sales_hourly VALUES (NEW.shop_id, NEW.till_id, substr(NEW.created_at, 1, 13),
        NEW.training, NEW.currency, NEW.status, NEW.tender, 1, NEW.gross_total, NEW.net_total,
        NEW.vat_total)
    ON CONFLICT DO UPDATE SET n = n + 1, gross = gross + excluded.gross,
        net = net + excluded.net, vat = vat + excluded.vat;
END;

CREATE TRIGGER report_sales_ad AFTER DELETE ON sales
BEGIN
    UPDATE report_sales_hourly SET n = n - 1, gross = gross - OLD.gross_total,
        net = net - OLD.net_total, vat = vat - OLD.vat_total
    WHERE shop_id = OLD.shop_id AND till_id = OLD.till_id AND hour = substr(OLD.created_at, 1, 13)
      AND training = OLD.training AND currency = OLD.currency AND status = OLD.status
      AND tender = OLD.tender;
END;

CREATE TRIGGER report_sales_au AFTER UPDATE ON sales
WHEN OLD.status IS NOT NEW.status OR OLD.tender IS NOT NEW.tender
  OR OLD.training IS NOT NEW.training OR OLD.currency IS NOT NEW.currency
  OR OLD.shop_id IS NOT NEW.shop_id OR OLD.till_id IS NOT NEW.till_id
  OR substr(OLD.created_at, 1, 13) IS NOT substr(NEW.created_at, 1, 13)
  OR OLD.gross_total IS NOT NEW.gross_total OR OLD.net_total IS NOT NEW.net_total
  OR OLD.vat_total IS NOT NEW.vat_total
BEGIN
    UPDATE report_sales_hourly SET n = n - 1, gross = gross - OLD.gross_total,
        net = net - OLD.net_total, vat = vat - OLD.vat_total
    WHERE shop_id = OLD.shop_id AND till_id = OLD.till_id AND hour = substr(OLD.created_at, 1, 13)
      AND training = OLD.training AND currency = OLD.currency AND status = OLD.status
      AND tender = OLD.tender;
    INSERT INTO report_sales_hourly VALUES (NEW.shop_id, NEW.till_id, substr(NEW.created_at, 1, 13),
        NEW.training, NEW.currency, NEW.status, NEW.tender, 1, NEW.gross_total, NEW.net_total,
        NEW.vat_total)
    ON CONFLICT DO UPDATE SET n = n + 1, gross = gross + excluded.gross,
        net = net + excluded.net, vat = vat + excluded.vat;
END;

-- sales: a change of status (or of the group) moves the sale's lines and captures along.
CREATE TRIGGER report_sales_au_lines AFTER UPDATE ON sales
WHEN OLD.status IS NOT NEW.status
  OR OLD.training IS NOT NEW.training OR OLD.currency IS NOT NEW.currency
  OR OLD.shop_id IS NOT NEW.shop_id OR OLD.till_id IS NOT NEW.till_id
  OR substr(OLD.created_at, 1, 13) IS NOT substr(NEW.created_at, 1, 13)
BEGIN
    INSERT INTO report_lines_hourly
    SELECT OLD.shop_id, OLD.till_id, substr(OLD.created_at, 1, 13), OLD.training, OLD.currency,
           OLD.status, l.vat_rate, -count(*),
           -sum(CASE WHEN l.is_return = 1 THEN -l.gross ELSE l.gross END),
           -sum(CASE WHEN l.is_return = 1 THEN -l.net ELSE l.net END),
           -sum(CASE WHEN l.is_return = 1 THEN -l.vat ELSE l.vat END)
    FROM sale_lines l WHERE l.sale_id = OLD.id GROUP BY l.vat_rate
    ON CONFLICT DO UPDATE SET n = n + excluded.n, gross = gross + excluded.gross,
        net = net + excluded.net, vat = vat + excluded.vat;
    INSERT INTO report_lines_hourly
    SELECT NEW.shop_id, NEW.till_id, substr(NEW.created_at, 1, 13), NEW.training, NEW.currency,
           NEW.status, l.vat_rate, count(*),
           sum(CASE WHEN l.is_return = 1 THEN -l.gross ELSE l.gross END),
           sum(CASE WHEN l.is_return = 1 THEN -l.net ELSE l.net END),
           sum(CASE WHEN l.is_return = 1 THEN -l.vat ELSE l.vat END)
    FROM sale_lines l WHERE l.sale_id = NEW.id GROUP BY l.vat_rate
    ON CONFLICT DO UPDATE SET n = n + excluded.n, gross = gross + excluded.gross,
        net = net + excluded.net, vat = vat + excluded.vat;
END;

CREATE TRIGGER report_sales_au_captures AFTER UPDATE ON sales
WHEN OLD.training IS NOT NEW.training OR OLD.currency IS NOT NEW.currency
  OR OLD.shop_id IS NOT NEW.shop_id OR OLD.till_id IS NOT NEW.till_id
  OR substr(OLD.created_at, 1, 13) IS NOT substr(NEW.created_at, 1, 13)
BEGIN
    INSERT INTO report_captures_hourly
    SELECT OLD.shop_id, OLD.till_id, substr(OLD.created_at, 1, 13), OLD.training, OLD.currency,
           p.api, -count(*), -sum(p.captured_amount)
    FROM payments p WHERE p.sale_id = OLD.id AND p.captured_amount > 0 GROUP BY p.api
    ON CONFLICT DO UPDATE SET n = n + excluded.n, captured = captured + excluded.captured;
    INSERT INTO report_captures_hourly
    SELECT NEW.shop_id, NEW.till_id, substr(NEW.created_at, 1, 13), NEW.training, NEW.currency,
           p.api, count(*), sum(p.captured_amount)
    FROM payments p WHERE p.sale_id = NEW.id AND p.captured_amount > 0 GROUP BY p.api
    ON CONFLICT DO UPDATE SET n = n + excluded.n, captured = captured + excluded.captured;
END;

-- sale_lines
CREATE TRIGGER report_lines_ai AFTER INSERT ON sale_lines
BEGIN
    INSERT INTO report_lines_hourly
    SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, s.status,
           NEW.vat_rate, 1,
           CASE WHEN NEW.is_return = 1 THEN -NEW.gross ELSE NEW.gross END,
           CASE WHEN NEW.is_return = 1 THEN -NEW.net ELSE NEW.net END,
           CASE WHEN NEW.is_return = 1 THEN -NEW.vat ELSE NEW.vat END
    FROM sales s WHERE s.id = NEW.sale_id
    ON CONFLICT DO UPDATE SET n = n + excluded.n, gross = gross + excluded.gross,
        net = net + excluded.net, vat = vat + excluded.vat;
END;

CREATE TRIGGER report_lines_ad AFTER DELETE ON sale_lines
BEGIN
    INSERT INTO report_lines_hourly
    SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, s.status,
           OLD.vat_rate, -1,
           -(CASE WHEN OLD.is_return = 1 THEN -OLD.gross ELSE OLD.gross END),
           -(CASE WHEN OLD.is_return = 1 THEN -OLD.net ELSE OLD.net END),
           -(CASE WHEN OLD.is_return = 1 THEN -OLD.vat ELSE OLD.vat END)
    FROM sales s WHERE s.id = OLD.sale_id
    ON CONFLICT DO UPDATE SET n = n + excluded.n, gross = gross + excluded.gross,
        net = net + excluded.net, vat = vat + excluded.vat;
END;

CREATE TRIGGER report_lines_au AFTER UPDATE ON sale_lines
WHEN OLD.sale_id IS NOT NEW.sale_id OR OLD.vat_rate IS NOT NEW.vat_rate
  OR OLD.is_return IS NOT NEW.is_return OR OLD.gross IS NOT NEW.gross
  OR OLD.net IS NOT NEW.net OR OLD.vat IS NOT NEW.vat
BEGIN
    INSERT INTO report_lines_hourly
    SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, s.status,
           OLD.vat_rate, -1,
           -(CASE WHEN OLD.is_return = 1 THEN -OLD.gross ELSE OLD.gross END),
           -(CASE WHEN OLD.is_return = 1 THEN -OLD.net ELSE OLD.net END),
           -(CASE WHEN OLD.is_return = 1 THEN -OLD.vat ELSE OLD.vat END)
    FROM sales s WHERE s.id = OLD.sale_id
    ON CONFLICT DO UPDATE SET n = n + excluded.n, gross = gross + excluded.gross,
        net = net + excluded.net, vat = vat + excluded.vat;
    INSERT INTO report_lines_hourly
    SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, s.status,
           NEW.vat_rate, 1,
           CASE WHEN NEW.is_return = 1 THEN -NEW.gross ELSE NEW.gross END,
           CASE WHEN NEW.is_return = 1 THEN -NEW.net ELSE NEW.net END,
           CASE WHEN NEW.is_return = 1 THEN -NEW.vat ELSE NEW.vat END
    FROM sales s WHERE s.id = NEW.sale_id
    ON CONFLICT DO UPDATE SET n = n + excluded.n, gross = gross + excluded.gross,
        net = net + excluded.net, vat = vat + excluded.vat;
END;

-- payments: only captured amounts count.
CREATE TRIGGER report_payments_ai AFTER INSERT ON payments WHEN NEW.captured_amount > 0
BEGIN
    INSERT INTO report_captures_hourly
    SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, NEW.api,
           1, NEW.captured_amount
    FROM sales s WHERE s.id = NEW.sale_id
    ON CONFLICT DO UPDATE SET n = n + excluded.n, captured = captured + excluded.captured;
END;

CREATE TRIGGER report_payments_ad AFTER DELETE ON payments WHEN OLD.captured_amount > 0
BEGIN
    INSERT INTO report_captures_hourly
    SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, OLD.api,
           -1, -OLD.captured_amount
    FROM sales s WHERE s.id = OLD.sale_id
    ON CONFLICT DO UPDATE SET n = n + excluded.n, captured = captured + excluded.captured;
END;

CREATE TRIGGER report_payments_au AFTER UPDATE ON payments
WHEN OLD.captured_amount IS NOT NEW.captured_amount OR OLD.sale_id IS NOT NEW.sale_id
  OR OLD.api IS NOT NEW.api
BEGIN
    INSERT INTO report_captures_hourly
    SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, OLD.api,
           -1, -OLD.captured_amount
    FROM sales s WHERE s.id = OLD.sale_id AND OLD.captured_amount > 0
    ON CONFLICT DO UPDATE SET n = n + excluded.n, captured = captured + excluded.captured;
    INSERT INTO report_captures_hourly
    SELECT s.shop_id, s.till_id, substr(s.created_at, 1, 13), s.training, s.currency, NEW.api,
           1, NEW.captured_amount
    FROM sales s WHERE s.id = NEW.sale_id AND NEW.captured_amount > 0
    ON CONFLICT DO UPDATE SET n = n + excluded.n, captured = captured + excluded.captured;
END;
