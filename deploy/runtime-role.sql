-- The privileges of the role the portal's services connect as (the web, the SMS and export
-- workers, the daily jobs), when it is not the role that owns the tables (docs/deployment.md,
-- "A role for the services"). It may read and write every table but the append-only ones:
-- the audit trail and the draws' records it may only read and add to, whatever it sets in its
-- session (pgtrigger.ignore lets a session past the triggers, not past a privilege it lacks).
-- Run by the owner (or postgres) after the first migrate and after every upgrade's migrate,
-- which may add tables:
--   sudo -u postgres psql -d portal -v runtime=portal_app -f deploy/runtime-role.sql
\set ON_ERROR_STOP on
-- One transaction: the grants below give UPDATE and DELETE on every table before the revokes
-- take them back from the append-only ones; no other session sees that in between.
BEGIN;

GRANT CONNECT ON DATABASE :"DBNAME" TO :"runtime";
GRANT USAGE ON SCHEMA public TO :"runtime";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"runtime";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"runtime";

-- Never changed, never deleted by the portal: the audit trail (purged by the owner's monthly
-- job, docs/audit.md) and the records of every draw.
REVOKE UPDATE, DELETE, TRUNCATE ON
    audit_auditevent,
    draws_draw, draws_quota, draws_round, draws_pick, draws_event, draws_void
FROM :"runtime";
-- Who was in an export 含敏感信息: never changed; a failed export's rows are deleted by the
-- worker (experts.exports.forget_exported), so DELETE stays, within the trigger's rule.
REVOKE UPDATE, TRUNCATE ON experts_exportedapplication FROM :"runtime";
-- Every later step on a draw (确认参加, 递补, 补抽, 短信通知, 作废) locks its row first
-- (draws.services: SELECT … FOR UPDATE), which PostgreSQL allows only to a role that may
-- update one of the row's columns. The key is that column: the trigger still refuses every
-- UPDATE, and a changed key would break every record that names the draw.
GRANT UPDATE (id) ON draws_draw TO :"runtime";

COMMIT;
