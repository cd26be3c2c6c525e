-- Version 4 (issue 16), reconciliation (payments.reconcile): a payment is finished once its outcome is
-- in all three stores (`published_at`); the attempt count and the lease of the run working it persist.
-- Rows final before this migration were answered by the flow only after all three writes: they count
-- as published (the daily consistency check is what verifies the stores agree).
ALTER TABLE payments
    ADD COLUMN IF NOT EXISTS failure_reason text,
    ADD COLUMN IF NOT EXISTS published_at timestamptz,
    ADD COLUMN IF NOT EXISTS reconcile_attempts integer NOT NULL DEFAULT 0
        CHECK (reconcile_attempts >= 0),
    ADD COLUMN IF NOT EXISTS reconcile_lease_until timestamptz;
UPDATE payments SET published_at = updated_at WHERE status <> 'pending' AND published_at IS NULL;
CREATE INDEX IF NOT EXISTS payments_unpublished_created_at ON payments (created_at)
    WHERE published_at IS NULL;

-- The function roles (migration 3) write the new columns they need, nothing more.
GRANT UPDATE (failure_reason, published_at) ON TABLE payments TO payments_writer;
GRANT UPDATE (failure_reason, published_at, reconcile_attempts, reconcile_lease_until)
    ON TABLE payments TO payments_reconciler;
