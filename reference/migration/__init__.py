"""The profile-to-user chat migration (Astegni's second incident), done online,
idempotent and reversible: the legacy schema, a data generator with every hard case,
and the migration itself (plan, apply, verify, rollback)."""
