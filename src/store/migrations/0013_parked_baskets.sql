-- Parked baskets (F8 on the sale screen, or Ctrl-Q with a basket): named, listed, recalled
-- after a restart, any number of them (issue #16). The basket is kept whole as JSON
-- (domain::basket::Basket); lines and total are copied out for the list. Resuming stamps
-- resumed_at / resumed_by (the row stays: the journal keeps what was parked and when).
-- Parking and resuming are also journaled as fiscal events 13010 / 13011 in the same
-- transaction, voiding a whole basket as 13028.
CREATE TABLE parked_baskets (
    id          INTEGER PRIMARY KEY,
    shop_id     TEXT NOT NULL,
    till_id     TEXT NOT NULL,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    parked_at   TEXT NOT NULL,
    staff_id    TEXT,
    training    INTEGER NOT NULL DEFAULT 0 CHECK (training IN (0, 1)),
    lines       INTEGER NOT NULL CHECK (lines > 0),
    total_minor INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    basket_json TEXT NOT NULL,
    resumed_at  TEXT,
    resumed_by  TEXT
) STRICT;

CREATE INDEX parked_baskets_open ON parked_baskets (parked_at) WHERE resumed_at IS NULL;
