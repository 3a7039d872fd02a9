@logs
Feature: The backend logs the sync as the fix brief expects
  Support reads these lines to tell whether the participants were synced.

  Scenario: Creating a conversation logs each step of the sync
    Given the company "Sat Education" is run by "the owner" as its owner
    And the user "Amr"
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then the conversation is created
    And the backend logged, in order:
      | line                                                            |
      | [createConversation] Syncing all participants to StreamChat...  |
      | [createConversation] Upserting users to StreamChat...           |
      | [createConversation] All users upserted successfully            |
      | [createConversation] Channel created successfully with members  |
    And the upsert log line counts 2 users: "Sat Education" and "Amr"
