-- Cash rounding (øreavrunding): a cash-only sale is paid to the nearest cash step (NOK 1 kr,
-- DKK 50 øre, EUR 5 cent). `cash_rounding` is rounded − exact total in minor units (e.g. +10,
-- -40); `gross_total`/VAT stay exact. 0 for every card/Vipps/split sale and every older row.
ALTER TABLE sales ADD COLUMN cash_rounding INTEGER NOT NULL DEFAULT 0;

-- The X/Z report reads the rounding sums with a small live query over this partial index,
-- for hourly totals and live aggregates alike.
CREATE INDEX sales_rounded ON sales (shop_id, till_id, created_at) WHERE cash_rounding <> 0;
