-- The user-based chat's own table, beside the migrated chat tables: uploaded media,
-- stored durably in the database and served back at /api/chat/media/<id>.
CREATE TABLE IF NOT EXISTS chat_media (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    uploader_user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind             varchar(10) NOT NULL CHECK (kind IN ('image', 'file', 'voice')),
    mime             text NOT NULL,
    size_bytes       integer NOT NULL CHECK (size_bytes > 0),
    sha256           text NOT NULL,
    duration_seconds real,
    content          bytea NOT NULL,
    created_at       timestamp NOT NULL DEFAULT now()
);
