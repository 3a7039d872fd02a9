-- The legacy (role/profile-based) chat schema, as Astegni's
-- migrate_create_chat_tables.py, migrate_chat_settings.py,
-- migrate_chat_delete_columns.py and migrate_enhanced_chat_privacy.py left it
-- (real-world-cases.md, part B1.a). Every chat row names its actor by
-- (profile_id, profile_type); user_id is there "for quick user lookup".
-- Profile ids are independent SERIALs per profile table, so they overlap across types.

CREATE TABLE users (
    id              serial PRIMARY KEY,
    email           varchar(255) NOT NULL UNIQUE,
    first_name      varchar(100),
    father_name     varchar(100),
    last_name       varchar(100),
    phone           varchar(30),
    roles           json,
    active_role     varchar(20),
    profile_picture varchar(500),
    is_active       boolean DEFAULT true,
    created_at      timestamp DEFAULT now()
);

CREATE TABLE student_profiles (
    id         serial PRIMARY KEY,
    user_id    integer UNIQUE REFERENCES users (id),
    username   varchar(100) UNIQUE,
    is_active  boolean DEFAULT true,
    created_at timestamp DEFAULT now()
);

CREATE TABLE tutor_profiles (
    id         serial PRIMARY KEY,
    user_id    integer UNIQUE REFERENCES users (id),
    username   varchar(100) UNIQUE,
    is_active  boolean DEFAULT true,
    created_at timestamp DEFAULT now()
);

CREATE TABLE parent_profiles (
    id         serial PRIMARY KEY,
    user_id    integer NOT NULL UNIQUE REFERENCES users (id),
    created_at timestamp DEFAULT now()
);

-- user_id is nullable: since the advertiser decoupling (commit 0411851) an
-- advertiser may have no user in this database.
CREATE TABLE advertiser_profiles (
    id           serial PRIMARY KEY,
    user_id      integer UNIQUE REFERENCES users (id),
    company_name varchar(255),
    created_at   timestamp DEFAULT now()
);

-- Who is connected to whom: already keyed by users (requested_by, recipient_id), with
-- the profiles that asked, as in the dump. The migration leaves it as it is; the chat
-- reads it for who_can_message = connections.
CREATE TABLE connections (
    id                   serial PRIMARY KEY,
    requested_by         integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_id         integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    requester_type       varchar(50),
    recipient_type       varchar(50),
    requester_profile_id integer,
    recipient_profile_id integer,
    status               varchar(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at           timestamp DEFAULT now()
);

CREATE TABLE conversations (
    id                      serial PRIMARY KEY,
    type                    varchar(20) NOT NULL DEFAULT 'direct'
        CHECK (type IN ('direct', 'group')),
    name                    varchar(255),
    description             text,
    avatar_url              varchar(500),
    created_by_profile_id   integer,
    created_by_profile_type varchar(50)
        CHECK (created_by_profile_type IS NULL
               OR created_by_profile_type IN ('tutor', 'student', 'parent', 'advertiser')),
    is_archived             boolean DEFAULT false,
    is_muted                boolean DEFAULT false,
    created_at              timestamp DEFAULT now(),
    updated_at              timestamp DEFAULT now(),
    last_message_at         timestamp
);
CREATE INDEX idx_conversations_type ON conversations (type);
CREATE INDEX idx_conversations_created_by ON conversations (created_by_profile_id, type);
CREATE INDEX idx_conversations_last_message ON conversations (last_message_at DESC);
CREATE INDEX idx_conversations_updated ON conversations (updated_at DESC);

CREATE TABLE conversation_participants (
    id                   serial PRIMARY KEY,
    conversation_id      integer NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    profile_id           integer NOT NULL,
    profile_type         varchar(50) NOT NULL
        CHECK (profile_type IN ('tutor', 'student', 'parent', 'advertiser')),
    user_id              integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role                 varchar(20) DEFAULT 'member' CHECK (role IN ('admin', 'member')),
    is_muted             boolean DEFAULT false,
    is_pinned            boolean DEFAULT false,
    last_read_at         timestamp,
    last_read_message_id integer,
    is_active            boolean DEFAULT true,
    joined_at            timestamp DEFAULT now(),
    left_at              timestamp,
    chat_cleared_at      timestamp,
    created_at           timestamp DEFAULT now(),
    updated_at           timestamp DEFAULT now(),
    CONSTRAINT unique_participant UNIQUE (conversation_id, profile_id, profile_type)
);
CREATE INDEX idx_participants_conversation ON conversation_participants (conversation_id);
CREATE INDEX idx_participants_profile ON conversation_participants (profile_id, profile_type);
CREATE INDEX idx_participants_user ON conversation_participants (user_id);
CREATE INDEX idx_participants_active ON conversation_participants (conversation_id)
    WHERE is_active;

CREATE TABLE chat_messages (
    id                     serial PRIMARY KEY,
    conversation_id        integer NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    sender_profile_id      integer NOT NULL,
    sender_profile_type    varchar(50) NOT NULL
        CHECK (sender_profile_type IN ('tutor', 'student', 'parent', 'advertiser', 'system')),
    sender_user_id         integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_type           varchar(20) NOT NULL DEFAULT 'text'
        CHECK (message_type IN ('text', 'image', 'audio', 'video', 'file', 'system',
                                'location', 'gif')),
    content                text,
    media_url              varchar(500),
    media_metadata         jsonb,
    reply_to_id            integer REFERENCES chat_messages (id) ON DELETE SET NULL,
    forwarded_from_id      integer REFERENCES chat_messages (id) ON DELETE SET NULL,
    is_edited              boolean DEFAULT false,
    edited_at              timestamp,
    original_content       text,
    is_deleted             boolean DEFAULT false,
    deleted_at             timestamp,
    deleted_for_everyone   boolean DEFAULT false,
    deleted_for_user_ids   jsonb DEFAULT '[]'::jsonb,
    is_pinned              boolean DEFAULT false,
    pinned_at              timestamp,
    pinned_by_profile_id   integer,
    pinned_by_profile_type varchar(50),
    created_at             timestamp DEFAULT now(),
    updated_at             timestamp DEFAULT now()
);
CREATE INDEX idx_messages_conversation ON chat_messages (conversation_id);
CREATE INDEX idx_messages_sender ON chat_messages (sender_profile_id, sender_profile_type);
CREATE INDEX idx_messages_created ON chat_messages (created_at DESC);
CREATE INDEX idx_messages_conversation_created ON chat_messages (conversation_id, created_at DESC);
CREATE INDEX idx_messages_reply ON chat_messages (reply_to_id) WHERE reply_to_id IS NOT NULL;
CREATE INDEX idx_messages_pinned ON chat_messages (conversation_id) WHERE is_pinned;
CREATE INDEX idx_messages_not_deleted ON chat_messages (conversation_id) WHERE NOT is_deleted;

CREATE TABLE message_reactions (
    id           serial PRIMARY KEY,
    message_id   integer NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    profile_id   integer NOT NULL,
    profile_type varchar(50) NOT NULL
        CHECK (profile_type IN ('tutor', 'student', 'parent', 'advertiser')),
    user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reaction     varchar(50) NOT NULL,
    created_at   timestamp DEFAULT now(),
    CONSTRAINT unique_reaction UNIQUE (message_id, profile_id, profile_type, reaction)
);
CREATE INDEX idx_reactions_message ON message_reactions (message_id);

CREATE TABLE message_read_receipts (
    id           serial PRIMARY KEY,
    message_id   integer NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    profile_id   integer NOT NULL,
    profile_type varchar(50) NOT NULL
        CHECK (profile_type IN ('tutor', 'student', 'parent', 'advertiser')),
    user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_at      timestamp DEFAULT now(),
    CONSTRAINT unique_read_receipt UNIQUE (message_id, profile_id, profile_type)
);
CREATE INDEX idx_read_receipts_message ON message_read_receipts (message_id);

CREATE TABLE call_logs (
    id                  serial PRIMARY KEY,
    conversation_id     integer NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    caller_profile_id   integer NOT NULL,
    caller_profile_type varchar(50) NOT NULL
        CHECK (caller_profile_type IN ('tutor', 'student', 'parent', 'advertiser')),
    caller_user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    call_type           varchar(20) NOT NULL CHECK (call_type IN ('voice', 'video')),
    status              varchar(20) NOT NULL DEFAULT 'initiated'
        CHECK (status IN ('initiated', 'ringing', 'answered', 'missed', 'declined', 'ended',
                          'failed')),
    started_at          timestamp DEFAULT now(),
    answered_at         timestamp,
    ended_at            timestamp,
    duration_seconds    integer,
    participants        jsonb,
    created_at          timestamp DEFAULT now()
);
CREATE INDEX idx_call_logs_conversation ON call_logs (conversation_id);

CREATE TABLE blocked_chat_contacts (
    id                   serial PRIMARY KEY,
    blocker_profile_id   integer NOT NULL,
    blocker_profile_type varchar(50) NOT NULL
        CHECK (blocker_profile_type IN ('tutor', 'student', 'parent', 'advertiser')),
    blocker_user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_profile_id   integer NOT NULL,
    blocked_profile_type varchar(50) NOT NULL
        CHECK (blocked_profile_type IN ('tutor', 'student', 'parent', 'advertiser')),
    blocked_user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason               text,
    block_type           varchar(20) DEFAULT 'manual',
    blocked_at           timestamp DEFAULT now(),
    CONSTRAINT unique_block UNIQUE (blocker_profile_id, blocker_profile_type,
                                    blocked_profile_id, blocked_profile_type)
);
CREATE INDEX idx_blocked_blocker ON blocked_chat_contacts (blocker_profile_id, blocker_profile_type);

CREATE TABLE chat_settings (
    id                       serial PRIMARY KEY,
    user_id                  integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    profile_id               integer NOT NULL,
    profile_type             varchar(20) NOT NULL,
    who_can_message          varchar(20) DEFAULT 'everyone',
    read_receipts            boolean DEFAULT true,
    online_status            boolean DEFAULT true,
    typing_indicators        boolean DEFAULT true,
    message_notifications    boolean DEFAULT true,
    sound_alerts             boolean DEFAULT true,
    mute_duration            varchar(20) DEFAULT 'off',
    mute_until               timestamp,
    bubble_style             varchar(20) DEFAULT 'rounded',
    font_size                varchar(20) DEFAULT 'medium',
    message_density          varchar(20) DEFAULT 'comfortable',
    enter_key                varchar(20) DEFAULT 'send',
    auto_download            varchar(20) DEFAULT 'wifi',
    image_quality            varchar(20) DEFAULT 'compressed',
    default_translation      varchar(20) DEFAULT 'none',
    auto_translate           boolean DEFAULT false,
    tts_voice                varchar(50),
    last_seen_visibility     varchar(20) DEFAULT 'everyone',
    profile_photo_visibility varchar(20) DEFAULT 'everyone',
    about_visibility         varchar(20) DEFAULT 'everyone',
    groups_visibility        varchar(20) DEFAULT 'everyone',
    block_screenshots        boolean DEFAULT false,
    disable_forwarding       boolean DEFAULT false,
    hide_phone_number        boolean DEFAULT true,
    hide_email               boolean DEFAULT false,
    allow_calls_from         varchar(20) DEFAULT 'everyone',
    allow_group_adds         varchar(20) DEFAULT 'everyone',
    allow_channel_adds       varchar(20) DEFAULT 'everyone',
    created_at               timestamp DEFAULT now(),
    updated_at               timestamp DEFAULT now(),
    CONSTRAINT unique_chat_settings UNIQUE (user_id, profile_id, profile_type)
);
