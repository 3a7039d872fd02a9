// Drive chatgate's fake Stream Chat with the official JS SDK (npm `stream-chat`).
//
// Usage: node compat.mjs '<config JSON>'
//   config: {baseURL, apiKey, apiSecret, channelId, droppedChannelId, owner, member, late,
//            outsider, missing}
//
// Every step's outcome is collected and printed as ONE JSON object on stdout;
// tests/test_compat_js_sdk.py asserts on it. A step never aborts the run: it
// records either {ok: true, value} or {ok: false, error}.

import { StreamChat } from 'stream-chat';

const config = JSON.parse(process.argv[2]);
const {
  baseURL, apiKey, apiSecret, channelId, droppedChannelId, owner, member, late, outsider, missing,
} = config;
// The SDK's default is 3 s; the fake answers in milliseconds, this is only a bound.
const options = { baseURL, timeout: 10000 };

function describeError(err) {
  return {
    name: err?.name ?? null,
    message: err?.message ?? String(err),
    code: err?.code ?? null,
    status: err?.status ?? null,
    data: err?.response?.data ?? null,
    ...(err?.cause?.code ? { causeCode: err.cause.code } : {}),
  };
}

async function step(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

const memberIds = (members) => members.map((m) => m.user_id ?? m.user?.id);

// A client that authenticates as `userId` with a user token, exactly as
// connectUser() would set it up, minus the WebSocket (which the fake does not
// serve): connectUser sets `userID`, hands the token to the public
// `tokenManager.setTokenOrProvider(token, user)` and then opens the socket. With
// no socket, `wsPromise` stays null, `channel.query()` goes straight to REST and
// every request carries `Authorization: <user token>`, `stream-auth-type: jwt`,
// `api_key` and `user_id`, as a connected browser client would send them.
async function userClient(userId, token) {
  const client = new StreamChat(apiKey, options); // no secret: client-side auth
  client.userID = userId;
  client.user = { id: userId };
  await client.tokenManager.setTokenOrProvider(token, { id: userId });
  return client;
}

async function readChannelAs(userId, token) {
  const client = await userClient(userId, token);
  const state = await client.channel('messaging', channelId).query({ messages: { limit: 10 } });
  return {
    cid: state.channel.cid,
    members: memberIds(state.members),
    messages: state.messages.map((m) => m.text),
    authType: client.getAuthType(),
  };
}

const server = new StreamChat(apiKey, apiSecret, options);
const result = {
  sdkVersion: server.getUserAgent(),
  baseURL: server.baseURL,
};

result.upsertUsers = await step(async () => {
  const response = await server.upsertUsers(
    [owner, member, late, outsider].map((id) => ({ id, name: `name of ${id}` })),
  );
  return { users: Object.keys(response.users).sort() };
});

const channel = server.channel('messaging', channelId, {
  members: [owner, member],
  created_by_id: owner,
  name: 'JS compat',
});

result.createChannel = await step(async () => {
  const state = await channel.create();
  return {
    cid: state.channel.cid,
    name: state.channel.name,
    createdBy: state.channel.created_by?.id ?? null,
    memberCount: state.channel.member_count,
    members: memberIds(state.members),
    messages: state.messages,
  };
});

result.createWithMissingMember = await step(async () => {
  await server
    .channel('messaging', `${channelId}-ghost`, { members: [owner, missing], created_by_id: owner })
    .create();
  return 'created (should have failed)';
});

result.addMembers = await step(async () => {
  const response = await channel.addMembers([late]);
  return { members: memberIds(response.members), memberCount: response.channel.member_count };
});

result.addMissingMember = await step(async () => {
  await channel.addMembers([missing]);
  return 'added (should have failed)';
});

result.sendMessage = await step(async () => {
  const response = await channel.sendMessage({ text: 'hello from node', user_id: member });
  const m = response.message;
  return { id: m.id, text: m.text, user: m.user?.id ?? null, cid: m.cid, type: m.type };
});

result.queryChannels = await step(async () => {
  const channels = await server.queryChannels(
    { type: 'messaging', members: { $in: [member] } },
    [{ created_at: 1 }],
    { watch: false, state: true },
  );
  return channels.map((c) => ({
    cid: c.cid,
    members: Object.keys(c.state.members),
    messages: c.state.messages.map((m) => m.text),
  }));
});

result.memberRead = await step(() => readChannelAs(member, server.createToken(member)));
result.nonMemberRead = await step(() => readChannelAs(outsider, server.createToken(outsider)));

result.wrongSecret = await step(async () => {
  const wrong = new StreamChat(apiKey, 'not-the-secret-of-this-fake-stream-app', options);
  await wrong.upsertUsers([{ id: owner }]);
  return 'accepted (should have failed)';
});

// The fake's drop fault on this channel's create, and on GetApp: a network error.
result.droppedCreate = await step(async () => {
  await server
    .channel('messaging', droppedChannelId, { members: [owner], created_by_id: owner })
    .create();
  return 'created (should have failed)';
});
result.droppedFetch = await step(async () => {
  const response = await fetch(`${baseURL}/app?api_key=${apiKey}`);
  return `answered ${response.status} (should have failed)`;
});

process.stdout.write(`${JSON.stringify(result)}\n`);
