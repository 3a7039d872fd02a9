"""The route table: HTTP method and path template -> Stream operation and handler.

Operation names are the OpenAPI operationIds Stream uses in its error texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .call import Call
from .handlers import (
    app,
    campaigns,
    channels,
    config,
    drafts,
    events,
    exports,
    files,
    messages,
    moderation,
    push,
    reactions,
    reads,
    roles,
    search,
    segments,
    usage,
    users,
)

Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    operation: str
    handler: Handler
    # Allowed with a user token (client-side auth); everything else is server-only.
    client_side: bool = False
    # The top-level body fields the handler honours, declared where several SDK
    # methods share the route (coverage.py checks each method's fields against it).
    fields: frozenset[str] | None = None
    # The body is multipart/form-data (file uploads), not JSON.
    multipart: bool = False

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile(self.template)


_PARAM = re.compile(r"\{(\w+)\}")
_COMPILED: dict[str, re.Pattern[str]] = {}


def _compile(template: str) -> re.Pattern[str]:
    pattern = _COMPILED.get(template)
    if pattern is None:
        pattern = re.compile("^" + _PARAM.sub(r"(?P<\1>[^/]+)", template) + "$")
        _COMPILED[template] = pattern
    return pattern


ROUTES: tuple[Route, ...] = (
    # users
    Route("POST", "/users", "UpdateUsers", users.upsert_users),
    Route("GET", "/users", "QueryUsers", users.query_users, client_side=True),
    Route("PATCH", "/users", "UpdateUsersPartial", users.update_users_partial),
    Route("POST", "/users/delete", "DeleteUsers", users.delete_users),
    Route("POST", "/users/restore", "RestoreUsers", users.restore_users),
    Route("POST", "/users/deactivate", "DeactivateUsers", users.deactivate_users),
    Route("DELETE", "/users/{user_id}", "DeleteUser", users.delete_user),
    Route("POST", "/users/{user_id}/deactivate", "DeactivateUser", users.deactivate_user),
    Route("POST", "/users/{user_id}/reactivate", "ReactivateUser", users.reactivate_user),
    Route("GET", "/tasks/{task_id}", "GetTask", users.get_task),
    Route("GET", "/users/{user_id}/export", "ExportUser", exports.export_user),
    Route("POST", "/export/users", "ExportUsers", exports.export_users),
    Route("POST", "/export_channels", "ExportChannels", exports.export_channels),
    Route(
        "GET",
        "/export_channels/{task_id}",
        "GetExportChannelsStatus",
        exports.get_export_channels_status,
    ),
    Route("POST", "/guest", "CreateGuest", exports.create_guest),
    # channels
    Route("POST", "/channels", "QueryChannels", channels.query_channels, client_side=True),
    Route(
        "POST",
        "/channels/{type}/query",
        "GetOrCreateDistinctChannel",
        channels.get_or_create_channel,
        client_side=True,
    ),
    Route(
        "POST",
        "/channels/{type}/{id}/query",
        "GetOrCreateChannel",
        channels.get_or_create_channel,
        client_side=True,
    ),
    Route(
        "POST",
        "/channels/{type}/{id}",
        "UpdateChannel",
        channels.update_channel,
        fields=channels.UPDATE_CHANNEL_FIELDS,
    ),
    Route("DELETE", "/channels/{type}/{id}", "DeleteChannel", channels.delete_channel),
    Route(
        "PATCH", "/channels/{type}/{id}", "UpdateChannelPartial", channels.update_channel_partial
    ),
    Route("POST", "/channels/{type}/{id}/truncate", "TruncateChannel", channels.truncate_channel),
    Route(
        "POST", "/channels/{type}/{id}/hide", "HideChannel", channels.hide_channel, client_side=True
    ),
    Route(
        "POST", "/channels/{type}/{id}/show", "ShowChannel", channels.show_channel, client_side=True
    ),
    Route("POST", "/channels/delete", "DeleteChannels", channels.delete_channels),
    Route("PUT", "/channels/batch", "UpdateChannelBatch", channels.update_channels_batch),
    Route(
        "PATCH",
        "/channels/{type}/{id}/member/{user_id}",
        "UpdateMemberPartial",
        channels.update_member_partial,
        client_side=True,
    ),
    Route("GET", "/members", "QueryMembers", channels.query_members, client_side=True),
    Route(
        "GET",
        "/channels/{type}/{id}/messages",
        "GetManyMessages",
        messages.get_many_messages,
        client_side=True,
    ),
    Route("POST", "/channels/{type}/{id}/read", "MarkRead", reads.mark_read, client_side=True),
    Route("GET", "/unread", "UnreadCounts", reads.unread_counts, client_side=True),
    Route("POST", "/unread_batch", "UnreadCountsBatch", reads.unread_counts_batch),
    Route("POST", "/channels/read", "MarkChannelsRead", reads.mark_all_read, client_side=True),
    Route("POST", "/channels/delivered", "MarkDelivered", reads.mark_delivered, client_side=True),
    Route(
        "POST", "/channels/{type}/{id}/unread", "MarkUnread", reads.mark_unread, client_side=True
    ),
    # messages
    Route(
        "POST",
        "/channels/{type}/{id}/message",
        "SendMessage",
        messages.send_message,
        client_side=True,
    ),
    Route(
        "POST",
        "/messages/history",
        "QueryMessageHistory",
        messages.query_message_history,
    ),
    Route("GET", "/messages/{message_id}", "GetMessage", messages.get_message, client_side=True),
    Route("POST", "/messages/{message_id}", "UpdateMessage", messages.update_message),
    Route(
        "PUT",
        "/messages/{message_id}",
        "UpdateMessagePartial",
        messages.update_message_partial,
        client_side=True,
    ),
    Route("POST", "/messages/{message_id}/commit", "CommitMessage", messages.commit_message),
    Route(
        "POST",
        "/messages/{message_id}/action",
        "RunMessageAction",
        messages.run_message_action,
        client_side=True,
    ),
    Route("POST", "/messages/{message_id}/undelete", "UndeleteMessage", messages.undelete_message),
    Route(
        "POST",
        "/messages/{message_id}/translate",
        "TranslateMessage",
        messages.translate_message,
        client_side=True,
    ),
    Route(
        "POST",
        "/channels/{type}/{id}/event",
        "SendEvent",
        events.send_event,
        client_side=True,
    ),
    Route("POST", "/users/{user_id}/event", "SendUserCustomEvent", events.send_user_custom_event),
    Route("DELETE", "/messages/{message_id}", "DeleteMessage", messages.delete_message),
    Route(
        "POST",
        "/messages/{message_id}/reaction",
        "SendReaction",
        reactions.send_reaction,
        client_side=True,
    ),
    Route(
        "DELETE",
        "/messages/{message_id}/reaction/{type}",
        "DeleteReaction",
        reactions.delete_reaction,
        client_side=True,
    ),
    Route(
        "GET",
        "/messages/{message_id}/reactions",
        "GetReactions",
        reactions.get_reactions,
        client_side=True,
    ),
    Route(
        "GET",
        "/messages/{message_id}/replies",
        "GetReplies",
        reactions.get_replies,
        client_side=True,
    ),
    Route("GET", "/search", "Search", search.search, client_side=True),
    Route(
        "POST", "/channels/{type}/{id}/draft", "CreateDraft", drafts.create_draft, client_side=True
    ),
    Route("GET", "/channels/{type}/{id}/draft", "GetDraft", drafts.get_draft, client_side=True),
    Route(
        "DELETE",
        "/channels/{type}/{id}/draft",
        "DeleteDraft",
        drafts.delete_draft,
        client_side=True,
    ),
    Route("POST", "/drafts/query", "QueryDrafts", drafts.query_drafts, client_side=True),
    Route(
        "POST",
        "/messages/{message_id}/reminders",
        "CreateReminder",
        drafts.create_reminder,
        client_side=True,
    ),
    Route(
        "PATCH",
        "/messages/{message_id}/reminders",
        "UpdateReminder",
        drafts.update_reminder,
        client_side=True,
    ),
    Route(
        "DELETE",
        "/messages/{message_id}/reminders",
        "DeleteReminder",
        drafts.delete_reminder,
        client_side=True,
    ),
    Route("POST", "/reminders/query", "QueryReminders", drafts.query_reminders, client_side=True),
    Route("POST", "/threads", "QueryThreads", drafts.query_threads, client_side=True),
    Route(
        "GET",
        "/users/live_locations",
        "GetUserLiveLocations",
        drafts.get_user_locations,
        client_side=True,
    ),
    Route(
        "PUT",
        "/users/live_locations",
        "UpdateLiveLocation",
        drafts.update_user_location,
        client_side=True,
    ),
    Route(
        "POST",
        "/channels/{type}/{id}/file",
        "UploadFile",
        files.upload_file,
        client_side=True,
        multipart=True,
    ),
    Route(
        "POST",
        "/channels/{type}/{id}/image",
        "UploadImage",
        files.upload_image,
        client_side=True,
        multipart=True,
    ),
    Route(
        "DELETE", "/channels/{type}/{id}/file", "DeleteFile", files.delete_file, client_side=True
    ),
    Route(
        "DELETE", "/channels/{type}/{id}/image", "DeleteImage", files.delete_file, client_side=True
    ),
    Route("POST", "/import_urls", "CreateImportURL", files.create_import_url),
    Route("POST", "/imports", "CreateImport", files.create_import),
    Route("GET", "/imports", "ListImports", files.list_imports),
    Route("GET", "/imports/{id}", "GetImport", files.get_import),
    # moderation
    Route("POST", "/moderation/ban", "Ban", moderation.ban_user),
    Route("DELETE", "/moderation/ban", "Unban", moderation.unban_user),
    Route("GET", "/query_banned_users", "QueryBannedUsers", moderation.query_banned_users),
    Route(
        "GET",
        "/query_future_channel_bans",
        "QueryFutureChannelBans",
        moderation.query_future_channel_bans,
    ),
    Route("POST", "/moderation/mute", "MuteUser", moderation.mute_user, client_side=True),
    Route("POST", "/moderation/unmute", "UnmuteUser", moderation.unmute_user, client_side=True),
    Route(
        "POST",
        "/moderation/mute/channel",
        "MuteChannel",
        moderation.mute_channel,
        client_side=True,
    ),
    Route(
        "POST",
        "/moderation/unmute/channel",
        "UnmuteChannel",
        moderation.unmute_channel,
        client_side=True,
    ),
    Route("POST", "/users/block", "BlockUsers", moderation.block_user, client_side=True),
    Route("POST", "/users/unblock", "UnblockUsers", moderation.unblock_user, client_side=True),
    Route("GET", "/users/block", "GetBlockedUsers", moderation.get_blocked_users, client_side=True),
    Route("POST", "/moderation/flag", "Flag", moderation.flag, client_side=True),
    Route("POST", "/moderation/unflag", "Unflag", moderation.unflag, client_side=True),
    Route("GET", "/moderation/flags/message", "QueryMessageFlags", moderation.query_message_flags),
    # app
    Route("GET", "/app", "GetApp", app.get_app),
    Route("PATCH", "/app", "UpdateApp", app.update_app),
    Route("GET", "/rate_limits", "GetRateLimits", app.get_rate_limits),
    Route("GET", "/channeltypes", "ListChannelTypes", app.list_channel_types),
    Route("GET", "/channeltypes/{name}", "GetChannelType", app.get_channel_type),
    Route("POST", "/channeltypes", "CreateChannelType", app.create_channel_type),
    Route("PUT", "/channeltypes/{name}", "UpdateChannelType", app.update_channel_type),
    Route("DELETE", "/channeltypes/{name}", "DeleteChannelType", app.delete_channel_type),
    Route("POST", "/commands", "CreateCommand", config.create_command),
    Route("GET", "/commands", "ListCommands", config.list_commands),
    Route("GET", "/commands/{name}", "GetCommand", config.get_command),
    Route("PUT", "/commands/{name}", "UpdateCommand", config.update_command),
    Route("DELETE", "/commands/{name}", "DeleteCommand", config.delete_command),
    Route("POST", "/blocklists", "CreateBlockList", config.create_blocklist),
    Route("GET", "/blocklists", "ListBlockLists", config.list_blocklists),
    Route("GET", "/blocklists/{name}", "GetBlockList", config.get_blocklist),
    Route("PUT", "/blocklists/{name}", "UpdateBlockList", config.update_blocklist),
    Route("DELETE", "/blocklists/{name}", "DeleteBlockList", config.delete_blocklist),
    Route("POST", "/permissions", "CreateCustomPermission", config.create_permission),
    Route("GET", "/permissions", "ListPermissions", config.list_permissions),
    Route("GET", "/permissions/{id}", "GetCustomPermission", config.get_permission),
    Route("PUT", "/permissions/{id}", "UpdateCustomPermission", config.update_permission),
    Route("DELETE", "/permissions/{id}", "DeleteCustomPermission", config.delete_permission),
    # push
    Route("POST", "/devices", "CreateDevice", push.add_device, client_side=True),
    Route("GET", "/devices", "ListDevices", push.list_devices, client_side=True),
    Route("DELETE", "/devices", "DeleteDevice", push.delete_device, client_side=True),
    Route("POST", "/push_providers", "UpsertPushProvider", push.upsert_push_provider),
    Route("GET", "/push_providers", "ListPushProviders", push.list_push_providers),
    Route(
        "DELETE", "/push_providers/{type}/{name}", "DeletePushProvider", push.delete_push_provider
    ),
    Route("POST", "/check_push", "CheckPush", push.check_push),
    Route("POST", "/check_sqs", "CheckSQS", push.check_sqs),
    Route("POST", "/check_sns", "CheckSNS", push.check_sns),
    # campaigns, segments, team usage statistics
    Route("POST", "/campaigns", "CreateCampaign", campaigns.create_campaign),
    Route("POST", "/campaigns/query", "QueryCampaigns", campaigns.query_campaigns),
    Route("GET", "/campaigns/{id}", "GetCampaign", campaigns.get_campaign),
    Route("PUT", "/campaigns/{id}", "UpdateCampaign", campaigns.update_campaign),
    Route("DELETE", "/campaigns/{id}", "DeleteCampaign", campaigns.delete_campaign),
    Route("POST", "/campaigns/{id}/start", "StartCampaign", campaigns.start_campaign),
    Route("POST", "/campaigns/{id}/stop", "StopCampaign", campaigns.stop_campaign),
    Route("POST", "/campaigns/{id}/test", "TestCampaign", campaigns.send_test),
    Route("POST", "/segments", "CreateSegment", segments.create_segment),
    Route("POST", "/segments/query", "QuerySegments", segments.query_segments),
    Route("GET", "/segments/{id}", "GetSegment", segments.get_segment),
    Route("PUT", "/segments/{id}", "UpdateSegment", segments.update_segment),
    Route("DELETE", "/segments/{id}", "DeleteSegment", segments.delete_segment),
    Route("POST", "/segments/{id}/addtargets", "AddSegmentTargets", segments.add_segment_targets),
    Route(
        "POST",
        "/segments/{id}/deletetargets",
        "DeleteSegmentTargets",
        segments.delete_segment_targets,
    ),
    Route(
        "POST",
        "/segments/{id}/targets/query",
        "QuerySegmentTargets",
        segments.query_segment_targets,
    ),
    Route(
        "GET",
        "/segments/{id}/target/{target_id}",
        "SegmentTargetExists",
        segments.segment_target_exists,
    ),
    Route("POST", "/stats/team_usage", "QueryTeamUsageStats", usage.query_team_usage_stats),
    # roles
    Route("POST", "/roles", "CreateRole", roles.create_role),
    Route("GET", "/roles", "ListRoles", roles.list_roles),
    Route("DELETE", "/roles/{name}", "DeleteRole", roles.delete_role),
)


def _by_method() -> dict[str, tuple[tuple[re.Pattern[str], Route], ...]]:
    """Each method's routes with their patterns, in table order (the first match wins)."""
    table: dict[str, list[tuple[re.Pattern[str], Route]]] = {}
    for route in ROUTES:
        table.setdefault(route.method, []).append((route.pattern, route))
    return {method: tuple(routes) for method, routes in table.items()}


_BY_METHOD = _by_method()


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a request and its path parameters, or None."""
    for pattern, route in _BY_METHOD.get(method, ()):
        found = pattern.match(path)
        if found:
            return route, found.groupdict()
    return None
