-- kasse journal, schema v3: durable paper print jobs.
-- A job is written here before it goes to the printer and marked done after the printer took
-- it; jobs still pending when the till stops are printed on the next start. The bytes are the
-- rendered ESC/POS (or text) stream, so a restart prints exactly what was queued.

CREATE TABLE print_jobs (
    id             INTEGER PRIMARY KEY,
    created_at     TEXT NOT NULL,
    -- 'receipt' (first print of a sale), 'copy' (reprint, F4), 'drawer' (drawer pulse only).
    kind           TEXT NOT NULL CHECK (kind IN ('receipt', 'copy', 'drawer')),
    -- The receipt number of the sale ('' for a drawer pulse).
    receipt_number TEXT NOT NULL,
    bytes          BLOB NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    printed_at     TEXT,
    CHECK ((status = 'done') = (printed_at IS NOT NULL))
) STRICT;

CREATE INDEX print_jobs_pending ON print_jobs (status, id);
CREATE INDEX print_jobs_receipt ON print_jobs (receipt_number, kind);

-- Sales from before this table existed never had a print job; only sales made from now on are
-- checked for a missing paper receipt on start.
INSERT INTO meta (key, value) VALUES ('print_jobs_since', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
