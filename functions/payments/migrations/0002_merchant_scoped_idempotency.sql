-- Version 2: idempotency per merchant (issue 18). A client's key is unique per merchant, no longer
-- across merchants: the same key from two merchants makes two payments.
--
-- Expand only, nothing rewritten, so functions still running the previous code keep working until
-- theirs is replaced:
-- - Existing rows are valid as they are (a key unique across merchants is unique per merchant) and
--   keep their payment ids, which DynamoDB, S3 and clients already hold.
-- - `charge_key` is the Idempotency-Key the payment API is called with (and a status lookup asks
--   under). New rows store their payment id, uuid5(merchant:key). Rows written before, and by the
--   previous code during the deploy, keep NULL, read as the client's key: what the API saw for them,
--   so a payment left pending is finished under its original key and never charged twice.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS charge_key text;
CREATE UNIQUE INDEX IF NOT EXISTS payments_merchant_idempotency_key ON payments (merchant_id, idempotency_key);
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_idempotency_key_key;
