@chat @bad_input
Feature: Bad input is refused, precisely, and writes nothing
  Every route refuses a malformed request with a 4xx that says what is wrong,
  and a refused request changes nothing: afterwards the conversation lists,
  histories, blocked lists, settings and call logs are as they were.

  In the paths and bodies, {conversation} is Alice and Bob's conversation,
  {group} Alice's group, {call} a call of theirs, {alice} and {bob} their user ids, {nobody} an id
  nothing has, {long_text} 4001 characters and {long_query} 101 characters.

  Background:
    Given the chat users Alice, Bob and Carol
    And Alice has a conversation with Bob
    And Alice has sent "Kept as it was" to Bob
    And Alice has a group "Study group" with Bob
    And Alice has started a video call with Bob
    And Alice has blocked Carol
    And what Alice and Bob see is noted

  Scenario Outline: <route>: <problem> is refused
    When Alice calls <method> <path> with <body>
    Then it is refused with status <status>, saying "<words>"
    And nothing changed for Alice and Bob

    Examples:
      | route              | problem                      | method | path                                              | body                                                        | status | words               |
      | start              | a conversation with oneself  | POST   | /api/chat/conversations                           | {"type": "direct", "participant_user_ids": [{alice}]}       | 400    |                     |
      | start              | an unknown type              | POST   | /api/chat/conversations                           | {"type": "triple", "participant_user_ids": [{bob}]}         | 400    | type                |
      | start              | a user id that is text       | POST   | /api/chat/conversations                           | {"type": "direct", "participant_user_ids": ["bob"]}         | 400    |                     |
      | start              | a body that is not JSON      | POST   | /api/chat/conversations                           | this is not json                                            | 400    |                     |
      | group              | an empty name                | POST   | /api/chat/conversations                           | {"type": "group", "name": "", "participant_user_ids": [{bob}]} | 400 | name                |
      | group add          | a direct conversation        | POST   | /api/chat/conversations/{conversation}/participants | {"user_id": {bob}}                                       | 400    |                     |
      | group add          | a user who is not there      | POST   | /api/chat/conversations/{group}/participants      | {"user_id": {nobody}}                                       | 404    |                     |
      | send               | blank text                   | POST   | /api/chat/conversations/{conversation}/messages   | {"text": "   "}                                             | 400    | text                |
      | send               | text over 4000 characters    | POST   | /api/chat/conversations/{conversation}/messages   | {"text": "{long_text}"}                                     | 400    | 4000                |
      | send               | text that is a number        | POST   | /api/chat/conversations/{conversation}/messages   | {"text": 42}                                                | 400    | text                |
      | send               | text and a media link at once | POST  | /api/chat/conversations/{conversation}/messages   | {"text": "hi", "message_type": "image", "media_url": "https://cdn.example.org/a.png"} | 400 | |
      | send               | a blob: media link           | POST   | /api/chat/conversations/{conversation}/messages   | {"message_type": "audio", "media_url": "blob:https://app.example.org/1"} | 400 | https |
      | send               | a conversation that is not there | POST | /api/chat/conversations/{nobody}/messages       | {"text": "hello?"}                                          | 404    |                     |
      | send               | media that is not there      | POST   | /api/chat/conversations/{conversation}/messages   | {"media_id": "00000000-0000-0000-0000-000000000000"}        | 404    |                     |
      | send               | an unknown field             | POST   | /api/chat/conversations/{conversation}/messages   | {"text": "hi", "extra": 1}                                 | 400    | extra               |
      | history            | a limit of 0                 | GET    | /api/chat/conversations/{conversation}/messages?limit=0 | no body                                               | 400    | limit               |
      | history            | a limit over 100             | GET    | /api/chat/conversations/{conversation}/messages?limit=101 | no body                                             | 400    | limit               |
      | history            | a cursor that is text        | GET    | /api/chat/conversations/{conversation}/messages?before=abc | no body                                            | 400    | before              |
      | list               | a limit that is text         | GET    | /api/chat/conversations?limit=many                | no body                                                     | 400    | limit               |
      | list               | a negative offset            | GET    | /api/chat/conversations?offset=-1                 | no body                                                     | 400    | offset              |
      | search             | an empty query               | GET    | /api/chat/conversations/search?q=                 | no body                                                     | 400    |                     |
      | search             | a query over 100 characters  | GET    | /api/chat/conversations/search?q={long_query}     | no body                                                     | 400    | 100                 |
      | read               | a message id that is text    | PUT    | /api/chat/conversations/{conversation}/read       | {"up_to_message_id": "latest"}                              | 400    |                     |
      | read status        | a conversation that is not there | GET | /api/chat/conversations/{nobody}/read-status      | no body                                                     | 404    |                     |
      | delete             | a conversation that is not there | DELETE | /api/chat/conversations/{nobody}/history      | no body                                                     | 404    |                     |
      | upload             | an unknown kind              | POST   | /api/chat/media?kind=video                        | some bytes                                                  | 400    | kind                |
      | upload             | an empty upload              | POST   | /api/chat/media?kind=image                        | no body                                                     | 400    |                     |
      | download           | media that is not there      | GET    | /api/chat/media/00000000-0000-0000-0000-000000000000   | no body                                                     | 404    |                     |
      | call               | the call type audio          | POST   | /api/chat/calls                                   | {"conversation_id": {conversation}, "call_type": "audio"}   | 400    | call_type           |
      | call               | no conversation              | POST   | /api/chat/calls                                   | {"call_type": "voice"}                                      | 400    | conversation_id     |
      | call event         | an unknown event             | PUT    | /api/chat/calls/{call}                            | {"event": "hang up"}                                        | 400    | event               |
      | call event         | ending a call not answered   | PUT    | /api/chat/calls/{call}                            | {"event": "end"}                                            | 409    |                     |
      | call event         | a call that is not there     | PUT    | /api/chat/calls/{nobody}                          | {"event": "ring"}                                           | 404    |                     |
      | call log           | a limit of 0                 | GET    | /api/chat/calls?limit=0                           | no body                                                     | 400    | limit               |
      | block              | oneself                      | POST   | /api/chat/block                                   | {"user_id": {alice}}                                        | 400    |                     |
      | block              | a user who is not there      | POST   | /api/chat/block                                   | {"user_id": {nobody}}                                       | 404    |                     |
      | block              | a user id that is text       | POST   | /api/chat/block                                   | {"user_id": "bob"}                                          | 400    | user_id             |
      | unblock            | a user id that is text       | DELETE | /api/chat/block/bob                               | no body                                                     | 400    | user_id             |
      | settings           | an unknown who_can_message   | PUT    | /api/chat/settings                                | {"who_can_message": "friends"}                              | 400    | who_can_message     |
      | settings           | read_receipts as text        | PUT    | /api/chat/settings                                | {"read_receipts": "yes"}                                    | 400    | read_receipts       |
      | settings           | an unknown setting           | PUT    | /api/chat/settings                                | {"theme": "dark"}                                           | 400    | theme               |
      | settings           | no setting at all            | PUT    | /api/chat/settings                                | {}                                                          | 400    |                     |
