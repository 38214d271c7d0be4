-- Restart mid-push: the full phone number of a push payment is kept while the payment is
-- unfinished, so that a create whose answer was lost can be re-sent with the same reference,
-- idempotency key and body after a restart. It is set to NULL as soon as the payment reaches
-- a final state (phone_last_digits stays for refund search).
ALTER TABLE payments ADD COLUMN customer_phone TEXT;
