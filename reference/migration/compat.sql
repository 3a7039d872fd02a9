-- Compatibility triggers: they keep legacy (profile-only) writers working on the
-- migrated schema. Each one, before a row is written:
--   * fills every user column the writer left NULL from the row's profile;
--   * moves a write into a conversation merged away to the one it was merged into,
--     recording the row as written (so rollback can put it back);
--   * absorbs a legacy writer's insert (one naming a profile) that repeats a user-keyed
--     fact the table already holds (the same user's participant row, reaction, read
--     receipt, block or settings row): the fact is there already, and the new unique
--     index would refuse it. User-only writers are left to the unique index (and their
--     own ON CONFLICT).

CREATE OR REPLACE FUNCTION chatgate_migration.profile_user(kind text, profile integer)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE kind
        WHEN 'student' THEN (SELECT user_id FROM student_profiles WHERE id = profile)
        WHEN 'tutor' THEN (SELECT user_id FROM tutor_profiles WHERE id = profile)
        WHEN 'parent' THEN (SELECT user_id FROM parent_profiles WHERE id = profile)
        WHEN 'advertiser' THEN (SELECT user_id FROM advertiser_profiles WHERE id = profile)
    END
$$;

-- The conversation a write into `conversation` lands in (itself unless merged away).
CREATE OR REPLACE FUNCTION chatgate_migration.landing(conversation integer)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT merged_into FROM chatgate_migration.merged_conversations
         WHERE conversation_id = conversation),
        conversation)
$$;

-- A row written into a merged conversation, kept as written (rollback moves it back).
CREATE OR REPLACE FUNCTION chatgate_migration.remember_repointed(tbl text, written jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO chatgate_migration.original_rows (table_name, row_id, row, columns, reason)
    VALUES (tbl, (written ->> 'id')::integer, written, ARRAY['conversation_id'],
            'written into a merged conversation')
    ON CONFLICT DO NOTHING
$$;

-- The application changed or removed a row after the verify baseline was taken:
-- the baseline follows, so verify judges only what the migration did. (The
-- migration's own session sets chatgate.migrating and is not followed.)
CREATE OR REPLACE FUNCTION chatgate_migration.follow_application() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    -- TG_TABLE_NAME is a `name`, whose collation ("C") would keep the comparison off
    -- the baseline's primary key; a text variable has the column's.
    tbl text := TG_TABLE_NAME;
BEGIN
    IF current_setting('chatgate.migrating', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM chatgate_migration.checksums WHERE table_name = tbl AND row_id = OLD.id;
    ELSE
        UPDATE chatgate_migration.checksums
        SET digest = md5((to_jsonb(NEW) - 'created_by_user_id' - 'merged_into_id'
                          - 'pinned_by_user_id')::text)
        WHERE table_name = tbl AND row_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION chatgate_migration.keep_conversations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.created_by_user_id IS NULL AND NEW.created_by_profile_type IS NOT NULL THEN
        NEW.created_by_user_id := chatgate_migration.profile_user(
            NEW.created_by_profile_type, NEW.created_by_profile_id);
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION chatgate_migration.keep_conversation_participants() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NULL AND NEW.profile_type IS NOT NULL THEN
        NEW.user_id := chatgate_migration.profile_user(NEW.profile_type, NEW.profile_id);
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF chatgate_migration.landing(NEW.conversation_id) <> NEW.conversation_id THEN
            PERFORM chatgate_migration.remember_repointed(TG_TABLE_NAME, to_jsonb(NEW));
            NEW.conversation_id := chatgate_migration.landing(NEW.conversation_id);
        END IF;
        IF NEW.profile_type IS NOT NULL AND EXISTS (
            SELECT 1 FROM conversation_participants t
            WHERE t.conversation_id = NEW.conversation_id AND t.user_id = NEW.user_id) THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION chatgate_migration.keep_chat_messages() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sender_user_id IS NULL AND NEW.sender_profile_type IS NOT NULL THEN
        NEW.sender_user_id := chatgate_migration.profile_user(
            NEW.sender_profile_type, NEW.sender_profile_id);
    END IF;
    IF NEW.pinned_by_user_id IS NULL AND NEW.pinned_by_profile_type IS NOT NULL THEN
        NEW.pinned_by_user_id := chatgate_migration.profile_user(
            NEW.pinned_by_profile_type, NEW.pinned_by_profile_id);
    END IF;
    IF TG_OP = 'INSERT' AND chatgate_migration.landing(NEW.conversation_id) <> NEW.conversation_id THEN
        PERFORM chatgate_migration.remember_repointed(TG_TABLE_NAME, to_jsonb(NEW));
        NEW.conversation_id := chatgate_migration.landing(NEW.conversation_id);
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION chatgate_migration.keep_message_reactions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NULL AND NEW.profile_type IS NOT NULL THEN
        NEW.user_id := chatgate_migration.profile_user(NEW.profile_type, NEW.profile_id);
    END IF;
    IF TG_OP = 'INSERT' AND NEW.profile_type IS NOT NULL AND EXISTS (
        SELECT 1 FROM message_reactions t
        WHERE t.message_id = NEW.message_id AND t.user_id = NEW.user_id
          AND t.reaction = NEW.reaction) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION chatgate_migration.keep_message_read_receipts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NULL AND NEW.profile_type IS NOT NULL THEN
        NEW.user_id := chatgate_migration.profile_user(NEW.profile_type, NEW.profile_id);
    END IF;
    IF TG_OP = 'INSERT' AND NEW.profile_type IS NOT NULL AND EXISTS (
        SELECT 1 FROM message_read_receipts t
        WHERE t.message_id = NEW.message_id AND t.user_id = NEW.user_id) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION chatgate_migration.keep_call_logs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.caller_user_id IS NULL AND NEW.caller_profile_type IS NOT NULL THEN
        NEW.caller_user_id := chatgate_migration.profile_user(
            NEW.caller_profile_type, NEW.caller_profile_id);
    END IF;
    IF TG_OP = 'INSERT' AND chatgate_migration.landing(NEW.conversation_id) <> NEW.conversation_id THEN
        PERFORM chatgate_migration.remember_repointed(TG_TABLE_NAME, to_jsonb(NEW));
        NEW.conversation_id := chatgate_migration.landing(NEW.conversation_id);
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION chatgate_migration.keep_blocked_chat_contacts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.blocker_user_id IS NULL AND NEW.blocker_profile_type IS NOT NULL THEN
        NEW.blocker_user_id := chatgate_migration.profile_user(
            NEW.blocker_profile_type, NEW.blocker_profile_id);
    END IF;
    IF NEW.blocked_user_id IS NULL AND NEW.blocked_profile_type IS NOT NULL THEN
        NEW.blocked_user_id := chatgate_migration.profile_user(
            NEW.blocked_profile_type, NEW.blocked_profile_id);
    END IF;
    IF TG_OP = 'INSERT' AND NEW.blocker_profile_type IS NOT NULL AND EXISTS (
        SELECT 1 FROM blocked_chat_contacts t
        WHERE t.blocker_user_id = NEW.blocker_user_id
          AND t.blocked_user_id = NEW.blocked_user_id) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION chatgate_migration.keep_chat_settings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NULL AND NEW.profile_type IS NOT NULL THEN
        NEW.user_id := chatgate_migration.profile_user(NEW.profile_type, NEW.profile_id);
    END IF;
    IF TG_OP = 'INSERT' AND NEW.profile_type IS NOT NULL AND EXISTS (
        SELECT 1 FROM chat_settings t WHERE t.user_id = NEW.user_id) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER chatgate_keep BEFORE INSERT OR UPDATE ON conversations
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.keep_conversations();
CREATE OR REPLACE TRIGGER chatgate_keep BEFORE INSERT OR UPDATE ON conversation_participants
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.keep_conversation_participants();
CREATE OR REPLACE TRIGGER chatgate_keep BEFORE INSERT OR UPDATE ON chat_messages
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.keep_chat_messages();
CREATE OR REPLACE TRIGGER chatgate_keep BEFORE INSERT OR UPDATE ON message_reactions
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.keep_message_reactions();
CREATE OR REPLACE TRIGGER chatgate_keep BEFORE INSERT OR UPDATE ON message_read_receipts
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.keep_message_read_receipts();
CREATE OR REPLACE TRIGGER chatgate_keep BEFORE INSERT OR UPDATE ON call_logs
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.keep_call_logs();
CREATE OR REPLACE TRIGGER chatgate_keep BEFORE INSERT OR UPDATE ON blocked_chat_contacts
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.keep_blocked_chat_contacts();
CREATE OR REPLACE TRIGGER chatgate_keep BEFORE INSERT OR UPDATE ON chat_settings
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.keep_chat_settings();

CREATE OR REPLACE TRIGGER chatgate_baseline AFTER UPDATE OR DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.follow_application();
CREATE OR REPLACE TRIGGER chatgate_baseline AFTER UPDATE OR DELETE ON conversation_participants
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.follow_application();
CREATE OR REPLACE TRIGGER chatgate_baseline AFTER UPDATE OR DELETE ON chat_messages
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.follow_application();
CREATE OR REPLACE TRIGGER chatgate_baseline AFTER UPDATE OR DELETE ON message_reactions
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.follow_application();
CREATE OR REPLACE TRIGGER chatgate_baseline AFTER UPDATE OR DELETE ON message_read_receipts
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.follow_application();
CREATE OR REPLACE TRIGGER chatgate_baseline AFTER UPDATE OR DELETE ON call_logs
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.follow_application();
CREATE OR REPLACE TRIGGER chatgate_baseline AFTER UPDATE OR DELETE ON blocked_chat_contacts
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.follow_application();
CREATE OR REPLACE TRIGGER chatgate_baseline AFTER UPDATE OR DELETE ON chat_settings
    FOR EACH ROW EXECUTE FUNCTION chatgate_migration.follow_application();
