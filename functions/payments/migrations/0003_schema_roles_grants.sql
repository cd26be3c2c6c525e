-- Version 3: schema `payments` owned by a role no one logs in as, one login role per function, least
-- privilege (issue 15). Names: functions/payments/contract.py (SCHEMA, *_ROLE, DATABASE_USERS).
--
-- Runs as the cluster's master user, which on Aurora is not a superuser (rds_superuser, CREATEROLE,
-- owner of the database): everything below is within what that user may do.

-- Roles are cluster-wide: create each once, then state its attributes (a role that already existed
-- with other attributes is corrected, not trusted).
DO $roles$
DECLARE
    spec record;
BEGIN
    FOR spec IN SELECT * FROM (VALUES
        ('payments_owner', false),
        ('payments_writer', true),
        ('payments_reader', true),
        ('payments_reconciler', true)
    ) AS roles(name, login)
    LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = spec.name) THEN
            EXECUTE format('CREATE ROLE %I', spec.name);
        END IF;
        EXECUTE format('ALTER ROLE %I %s NOCREATEDB NOCREATEROLE INHERIT',
                       spec.name, CASE WHEN spec.login THEN 'LOGIN' ELSE 'NOLOGIN' END);
    END LOOP;
END
$roles$;

-- The master user must be able to act as the owner to hand it the schema and the table
-- (PostgreSQL 16+ no longer implies this for roles a CREATEROLE user creates).
GRANT payments_owner TO CURRENT_USER;

CREATE SCHEMA IF NOT EXISTS payments AUTHORIZATION payments_owner;
ALTER SCHEMA payments OWNER TO payments_owner;
ALTER TABLE public.payments SET SCHEMA payments;
ALTER TABLE payments.payments OWNER TO payments_owner;

-- PUBLIC gets nothing: not the schema, not the table, no objects of its own in `public`, no temporary
-- tables (the login roles run no DDL of any kind).
REVOKE ALL ON SCHEMA payments FROM PUBLIC;
REVOKE ALL ON TABLE payments.payments FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $temp$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$temp$;

GRANT USAGE ON SCHEMA payments TO payments_writer, payments_reader, payments_reconciler;

-- process-payment: inserts a pending payment, reads it back, records its outcome. No DELETE, no
-- TRUNCATE, and UPDATE of the outcome columns only.
GRANT SELECT, INSERT ON TABLE payments.payments TO payments_writer;
GRANT UPDATE (status, provider_reference, updated_at) ON TABLE payments.payments TO payments_writer;

-- get-payment: reads.
GRANT SELECT ON TABLE payments.payments TO payments_reader;

-- reconcile: reads, and finishes or fails stuck pending payments (its own columns come with the
-- migration that adds them).
GRANT SELECT ON TABLE payments.payments TO payments_reconciler;
GRANT UPDATE (status, provider_reference, updated_at) ON TABLE payments.payments TO payments_reconciler;

-- Every function checks on its cold start that the schema is as new as its code needs.
GRANT SELECT ON TABLE public.schema_migrations TO payments_writer, payments_reader, payments_reconciler;

-- Login with an IAM auth token only (on Aurora, members of rds_iam cannot use a password).
GRANT rds_iam TO payments_writer, payments_reader, payments_reconciler;

-- Function SQL names tables unqualified.
ALTER ROLE payments_owner SET search_path = payments;
ALTER ROLE payments_writer SET search_path = payments;
ALTER ROLE payments_reader SET search_path = payments;
ALTER ROLE payments_reconciler SET search_path = payments;
