@listing
Feature: Each profile lists its own conversations
  GET /api/chat/conversations lists the acting profile's conversations, as
  the token endpoint names the profile, with the last message and the unread
  count from Stream. Nobody else's conversations are ever listed.

  Background:
    Given the company "Sat Education" is run by "the owner" as its owner
    And the user "Amr"

  Scenario: The company's list shows the chat with its last message and unread count
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "Amr" sends "Is the course still open?" in the channel
    Then the conversation list of "the owner", acting as "Sat Education", shows the conversation
    And its last message is "Is the course still open?"
    And it has 1 unread message

  Scenario: The recipient's list shows the chat with nothing unread of their own
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "Amr" sends "Is the course still open?" in the channel
    Then the conversation list of "Amr" shows the conversation
    And its last message is "Is the course still open?"
    And it has 0 unread messages

  Scenario: A stranger's list never shows the conversation
    Given the user "a stranger"
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then the conversation list of "a stranger" is empty

  Scenario: The owner's own list does not show the company's chats
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then the conversation list of "the owner" is empty

  Scenario: Listing as a company you do not run is refused
    When "Amr", acting as "Sat Education", lists their conversations
    Then the request is refused with status 403

  Scenario: The conversation's name reaches Stream and comes back
    When "the owner", acting as "Sat Education", starts a conversation named "Course questions" with "Amr"
    And "Amr" reads the conversation
    Then the conversation is named "Course questions"
    And the Stream channel is named "Course questions"
    And the conversation list of "Amr" shows the conversation
    And it is named "Course questions"
