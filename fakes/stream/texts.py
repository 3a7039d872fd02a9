"""Stream's error texts that more than one place of the fake sends, in one module.

Each is a `str.format` template (like fakeredis's `_msgs.py`); the reason goes
into `<Operation> failed with error: "<reason>"`. Texts marked UNCONFIRMED are
not on record from the live API (stream-api-contract.md); the rest are.
"""

from __future__ import annotations

# Authentication (contract §2.1-2.3).
API_KEY_MISSING = "api_key not provided"
# UNCONFIRMED: the current live text for an unknown key (older: this one).
API_KEY_INVALID = "api_key is invalid"
AUTH_TYPE_INVALID = "stream-auth-type missing or invalid"
# Go's JWT library says this for an empty or non-JWT token (seen live for a
# malformed token); for a missing header the live text is UNCONFIRMED.
MALFORMED_TOKEN = "JWTAuth error: token contains an invalid number of segments"
SIGNATURE_INVALID = "Token signature is invalid"
TOKEN_EXPIRED = "JWTAuth error: token is expired (exp)"
TOKEN_NOT_VALID_YET = "JWTAuth error: token is not valid yet (nbf)"  # UNCONFIRMED
TOKEN_USED_BEFORE_IAT = "JWTAuth error: token used before issued (iat)"  # UNCONFIRMED
# UNCONFIRMED: a validly signed token that names neither server nor user.
TOKEN_WITHOUT_USER = "JWTAuth error: token has no user_id claim"
# UNCONFIRMED: a user token issued before its app's or its user's revocation time.
TOKEN_REVOKED = "JWTAuth error: token has been revoked"

# Transport-level refusals.
PAYLOAD_TOO_BIG = "request body is too large"
# UNCONFIRMED: the live 429 body is not on record.
RATE_LIMITED = "Too many requests, check response headers for more information."

# Input rules (validation.py and the handlers).
REQUIRED_FIELD = "{path} is a required field"
MAX_LENGTH_EXCEEDED = "{path} max length exceeded ({limit})"
USER_DOES_NOT_EXIST = "the user {user_id} does not exist"
# The text of the incident: a channel create or update naming users Stream does not have.
USERS_DONT_EXIST = (
    "The following users are involved in channel {operation} operation, but don't exist: "
    "[{ids}]. Please create the user objects before setting up the channel."
)

# Missing resources. UNCONFIRMED texts; the live API mentions "Can't find channel".
CHANNEL_NOT_FOUND = 'Can\'t find channel with id "{cid}"'
MESSAGE_NOT_FOUND = "message with id {message_id} doesn't exist"  # UNCONFIRMED
# UNCONFIRMED: status and text for an unknown channel type (contract §5.2).
CHANNEL_TYPE_NOT_FOUND = 'channel type "{name}" doesn\'t exist'
USER_NOT_FOUND = "user {user_id} does not exist"  # UNCONFIRMED

# Messages (handlers/messages.py). UNCONFIRMED texts unless noted.
MESSAGE_NOT_PENDING = "message {message_id} is not pending"
# The docs: "Pending messages cannot be updated."
PENDING_NOT_UPDATABLE = "pending messages cannot be updated"
# The docs: soft deleting a pending message "will return an error".
PENDING_SOFT_DELETE = "pending messages must be hard deleted"
PENDING_SERVER_ONLY = "pending messages are only allowed with server side auth"
MESSAGE_NOT_DELETED = "message {message_id} is not deleted"
NOT_MESSAGE_AUTHOR = "user {user_id} cannot update a message of user {author_id}"
LANGUAGE_NOT_SUPPORTED = 'language "{language}" is not supported'
PIN_EXPIRES_INVALID = "{path} must be a number of seconds above 0 or a future RFC 3339 timestamp"
INVALID_CURSOR = "{path} is not a valid pagination cursor"
OFFSET_WITH_CURSOR = "cannot use offset with sort or next parameters"  # the SDK's own check

# Events (handlers/events.py). UNCONFIRMED texts.
EVENT_TYPE_RESERVED = 'event type "{type}" is reserved for events Stream sends'
CHANNEL_FEATURE_DISABLED = "{feature} are disabled for channel type {channel_type}"

# Reads (handlers/reads.py). UNCONFIRMED texts.
MESSAGE_NOT_IN_CHANNEL = "message {message_id} does not exist in channel {cid}"
THREAD_NOT_FOUND = "thread {thread_id} does not exist"
MARK_UNREAD_TARGET = "either message_id or thread_id must be provided"

# Search (handlers/search.py). UNCONFIRMED text.
SEARCH_QUERY_OR_FILTER = "either query or message_filter_conditions must be provided, not both"

# Moderation.
# Live text for a banned user's send (code 17; GetStream/stream-chat-flutter#888, 2022);
# UNCONFIRMED for a channel ban, which the fake answers the same way.
BANNED_FROM_SENDING = (
    "Sorry, you do not have access to this feature. Your account is currently suspended from chat."
)
# Live text of UnmuteChannel for a missing channel (contract §5.7); MuteChannel says the same.
CHANNELS_DO_NOT_EXIST = "some channels do not exist or were deleted: ({cids})"

# App configuration (handlers/app.py, handlers/config.py). UNCONFIRMED texts.
UNKNOWN_SETTING = '"{key}" is not a channel type setting'
CHANNEL_TYPE_EXISTS = 'channel type "{name}" already exists'
TOO_MANY_CHANNEL_TYPES = "an app can have at most {limit} channel types"
CHANNEL_TYPE_IN_USE = 'channel type "{name}" still has channels'
COMMAND_NOT_FOUND = 'command "{name}" doesn\'t exist'
COMMAND_EXISTS = 'command "{name}" already exists'
COMMAND_BUILT_IN = 'command "{name}" is a built-in command and cannot be changed'
BLOCKLIST_NOT_FOUND = 'blocklist "{name}" doesn\'t exist'
BLOCKLIST_EXISTS = 'blocklist "{name}" already exists'
BLOCKLIST_BEHAVIOR = "blocklist_behavior must be one of flag, block"
BLOCKLIST_TYPE = "type must be one of {types}"
# Live text (contract §5.7, GetCustomPermission); the other permission texts follow it.
PERMISSION_NOT_FOUND = 'custom permission "{id}" not found'
PERMISSION_EXISTS = 'custom permission "{id}" already exists'
# A message hitting a blocklist with behaviour `block` (UNCONFIRMED: the live text).
MESSAGE_BLOCKED = "Message was blocked by moderation policies"
BAD_PATTERN = "words[{index}] is not a valid regular expression: {error}"

# Channels (handlers/channels.py).
# Live text (contract §4.6, JSOLD invites.js).
DISTINCT_INVITE = (
    "cannot invite members to the distinct channel, please create a new distinct channel "
    "with the desired members"
)
# UNCONFIRMED texts.
NOT_INVITED = "user {user_id} is not invited to channel {cid}"
ACCEPT_AND_REJECT = "accept_invite and reject_invite cannot both be set"
NOT_A_MEMBER = "user {user_id} is not a member of channel {cid}"

# Push (handlers/push.py).
PUSH_PROVIDER_TYPE = "{path} must be one of {types}"  # UNCONFIRMED
DEVICE_NOT_FOUND = "device {id} of user {user_id} does not exist"  # UNCONFIRMED
PUSH_PROVIDER_NOT_FOUND = 'push provider "{type}/{name}" does not exist'  # UNCONFIRMED
PUSH_NOT_SENT = "chatgate's fake Stream sends no push notifications"
SQS_URL_INVALID = "invalid SQS url"  # live text (the SDK's test_check_sqs)
SNS_PUBLISH_FAILED = "publishing the message failed."  # live text (the SDK's test_check_sns)
SNS_ARN_INVALID = "invalid SNS topic ARN"  # UNCONFIRMED
SQS_SEND_FAILED = "sending the message failed."  # UNCONFIRMED
AWS_NOT_CONTACTED = "chatgate's fake Stream does not contact AWS"

# Exports and guests (handlers/exports.py).
TASK_NOT_FOUND = 'Can\'t find task with id "{task_id}"'  # the live start (the SDK's test)
NOT_A_TIMESTAMP = "{path} is not an RFC 3339 timestamp"  # UNCONFIRMED
USER_EXISTS = "user {user_id} already exists"  # UNCONFIRMED

# Drafts, reminders (handlers/drafts.py). UNCONFIRMED texts.
DRAFT_NOT_FOUND = "draft of user {user_id} in channel {cid} does not exist"
REMINDERS_DISABLED = "reminders are not enabled for channel {cid}"
REMINDER_EXISTS = "reminder for message {message_id} already exists"
REMINDER_NOT_FOUND = "reminder for message {message_id} does not exist"
BATCH_OPERATION = "operation must be one of {operations}"  # UNCONFIRMED
LOCATION_NOT_FOUND = "message {message_id} shares no location of this user"  # UNCONFIRMED
NOT_AN_ACTION_MESSAGE = "message {message_id} has no actions"  # UNCONFIRMED
UNKNOWN_ACTION = "form_data.image_action must be one of {actions}"  # UNCONFIRMED

# Uploads and imports (uploads.py, handlers/files.py). UNCONFIRMED texts.
MULTIPART_EXPECTED = "the request body must be multipart/form-data with a file field"
FILE_TOO_BIG = "file must be at most {limit} bytes"
NOT_AN_IMAGE = "file {name} is not an image ({content_type})"
FILE_NOT_FOUND = "file {url} does not exist in channel {cid}"
IMPORT_NOT_FOUND = 'import "{id}" does not exist'
IMPORT_PATH_UNKNOWN = "path {path} was not created by create_import_url"
IMPORT_MODE = "mode must be one of insert, upsert"

# Webhooks (webhooks.py, handlers/app.py): the fake's own rules, not Stream's.
WEBHOOK_NOT_LOOPBACK = (
    "webhook_url {url} is not a loopback URL: chatgate's fake only calls this machine"
)
WEBHOOK_EVENT_UNKNOWN = 'webhook_events: "{type}" is not an event the fake sends ({types})'

# Segments and campaigns (handlers/segments.py, handlers/campaigns.py). UNCONFIRMED texts.
SEGMENT_NOT_FOUND = 'segment "{id}" does not exist'
CAMPAIGN_NOT_FOUND = 'campaign "{id}" does not exist'
RECORD_EXISTS = '{kind} "{id}" already exists'
RECORD_ID_INVALID = '{path} "{id}" invalid: 1 to 64 characters of "^[\\w-]*$"'
CAMPAIGN_STATUS = 'campaign "{id}" cannot be {action} while it is {status}'
CAMPAIGN_TARGETS = "either segment_ids or user_ids must be provided, not both"
NOT_UPDATABLE = "{path} cannot be updated"
AT_LEAST_ONE = "{path} must contain at least 1 item"

# Team usage statistics (handlers/usage.py). UNCONFIRMED texts.
DATE_FORMAT = "{path} must be a date in {layout} format"
