-- Version 1: the payments table (the system of record of every payment), as first deployed.
-- Created unqualified: the runner's search_path puts it in `public` (migration 3 moves it).
CREATE TABLE IF NOT EXISTS payments (
    payment_id          uuid PRIMARY KEY,
    idempotency_key     text NOT NULL,
    merchant_id         text NOT NULL,
    amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
    currency            char(3) NOT NULL,
    source_token        text NOT NULL,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'succeeded', 'declined', 'failed')),
    provider_reference  text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_idempotency_key_key UNIQUE (idempotency_key)
);
CREATE INDEX IF NOT EXISTS payments_merchant_created_at ON payments (merchant_id, created_at);
