-- Z periods (kassasystemforskrifta §§ 2-8-1 – 2-8-3, bokføringsforskriften § 5-3-14).
--
-- A Z report closes everything since the previous Z of its till (a period, not a calendar day):
-- the next period starts where the previous one ended, so no sale, return or void can fall
-- outside a Z. A second Z on the same calendar day is therefore allowed (it covers only what
-- came after the first): the one-Z-per-business_date rule of migration 0002 goes. The table is
-- rebuilt without that UNIQUE constraint (SQLite cannot drop a constraint): the old table is
-- renamed, every row copied as it is, the old table dropped (with its triggers; DROP TABLE fires
-- no DELETE triggers) and the immutability triggers made again.
-- Z numbers stay consecutive per till (the `z_report` counter, UNIQUE (shop, till, number)).

ALTER TABLE z_reports RENAME TO z_reports_0002;

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
    UNIQUE (shop_id, till_id, number)
) STRICT;

INSERT INTO z_reports (id, shop_id, till_id, number, business_date, period_from, period_to,
                       created_at, staff_id, report_json)
SELECT id, shop_id, till_id, number, business_date, period_from, period_to, created_at, staff_id,
       report_json
FROM z_reports_0002;

DROP TABLE z_reports_0002;

CREATE INDEX z_reports_day ON z_reports (shop_id, till_id, business_date);

CREATE TRIGGER z_reports_no_update BEFORE UPDATE ON z_reports
BEGIN
    SELECT RAISE(ABORT, 'a Z report is immutable');
END;

CREATE TRIGGER z_reports_no_delete BEFORE DELETE ON z_reports
BEGIN
    SELECT RAISE(ABORT, 'a Z report is immutable');
END;

-- Grand totals (§ 2-8-2: grand total sales, returns and net since the till was taken into
-- use), stored with each Z, one row per currency, in the Z's own transaction. Append-only, and
-- the database itself refuses a row whose sales or returns are below the till's previous Z.
CREATE TABLE z_grand_totals (
    shop_id  TEXT NOT NULL,
    till_id  TEXT NOT NULL,
    z_number INTEGER NOT NULL CHECK (z_number > 0),
    currency TEXT NOT NULL CHECK (currency IN ('NOK', 'DKK', 'EUR')),
    sales    INTEGER NOT NULL CHECK (sales >= 0),
    returns  INTEGER NOT NULL CHECK (returns >= 0),
    net      INTEGER NOT NULL,
    CHECK (net = sales - returns),
    PRIMARY KEY (shop_id, till_id, z_number, currency),
    FOREIGN KEY (shop_id, till_id, z_number) REFERENCES z_reports (shop_id, till_id, number)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER z_grand_totals_monotone BEFORE INSERT ON z_grand_totals
WHEN EXISTS (
    SELECT 1 FROM z_grand_totals g
    WHERE g.shop_id = NEW.shop_id AND g.till_id = NEW.till_id AND g.currency = NEW.currency
      AND g.z_number < NEW.z_number
      AND (g.sales > NEW.sales OR g.returns > NEW.returns)
)
BEGIN
    SELECT RAISE(ABORT, 'grand totals never decrease');
END;

CREATE TRIGGER z_grand_totals_no_update BEFORE UPDATE ON z_grand_totals
BEGIN
    SELECT RAISE(ABORT, 'grand totals are append-only');
END;

CREATE TRIGGER z_grand_totals_no_delete BEFORE DELETE ON z_grand_totals
BEGIN
    SELECT RAISE(ABORT, 'grand totals are append-only');
END;

-- The per-period § 2-8-2 figures read the journal by time: events by code, print jobs (copies)
-- by time and kind.
CREATE INDEX fiscal_events_till_code ON fiscal_events (shop_id, till_id, code, at);
CREATE INDEX print_jobs_kind_at ON print_jobs (kind, created_at);
