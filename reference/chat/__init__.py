"""The user-based chat on the migrated schema (reference/migration): the seed's checklist."""
