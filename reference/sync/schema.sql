-- The reference backend's tables: people, companies, who runs which company,
-- and the conversations it opened on Stream.
CREATE TABLE IF NOT EXISTS users (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    image_url  text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS companies (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    logo_url   text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS company_members (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    PRIMARY KEY (company_id, user_id)
);

CREATE TABLE IF NOT EXISTS conversations (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_type text NOT NULL
        CHECK (conversation_type IN ('user_user', 'user_company', 'company_company')),
    stream_channel_id text NOT NULL UNIQUE CHECK (length(stream_channel_id) <= 64),
    created_by_kind   text NOT NULL CHECK (created_by_kind IN ('user', 'company')),
    created_by_id     uuid NOT NULL,
    name              text,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS conversation_participants (
    conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    participant_kind text NOT NULL CHECK (participant_kind IN ('user', 'company')),
    participant_id   uuid NOT NULL,
    PRIMARY KEY (conversation_id, participant_kind, participant_id)
);
