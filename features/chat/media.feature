@chat @media
Feature: Pictures, files, voice messages
  The seed's checklist, media: send an image, send a file, record a voice
  message. The server judges a file by its bytes and keeps it, so the
  recipient opens exactly what was sent; a link must be one others can open.

  Background:
    Given the chat users Alice, Bob and Mallory
    And Alice has a conversation with Bob

  Scenario: Sending an image: the recipient gets the same picture
    When Alice sends a picture to Bob
    Then Bob's history with Alice shows an image from Alice
    And Bob opens it and gets the same bytes, as "image/png"

  Scenario: Sending a file: the recipient gets the same document
    When Alice sends a document to Bob
    Then Bob's history with Alice shows a file from Alice
    And Bob opens it and gets the same bytes, as "application/pdf"

  Scenario: Recording a voice message: its length is read from the audio
    When Alice records a 3 second voice message for Bob
    Then the upload says it lasts 3 seconds
    And Bob's history with Alice shows an audio from Alice
    And Bob opens it and gets the same bytes, as "audio"

  Scenario: Someone outside the conversation cannot open its media
    When Alice sends a picture to Bob
    Then Mallory cannot open it

  Scenario: A durable https link to a voice message is accepted
    When Alice sends a voice message link "https://cdn.example.org/voice/42.m4a" to Bob
    Then Bob's history with Alice shows an audio from Alice

  Scenario Outline: A <scheme> link to a voice message is refused
    When Alice sends a voice message link "<url>" to Bob
    Then it is refused with status 400, saying "https"
    And Bob's history with Alice is empty

    Examples:
      | scheme | url                                                   |
      | blob:  | blob:https://app.example.org/1b9d6bcd-bbfd-4b2d-9b5d |
      | data:  | data:audio/wav;base64,UklGRg==                        |
      | file:  | file:///home/alice/voice.wav                          |
      | http:  | http://cdn.example.org/voice/42.m4a                   |

  Scenario Outline: A program dressed up as <dress> is refused
    When Alice uploads a program as <kind>, claiming "<claim>"
    Then it is refused with status 400

    Examples:
      | dress          | kind  | claim                    |
      | a document     | file  | application/pdf          |
      | a plain file   | file  | application/octet-stream |
      | a picture      | image | image/png                |

  Scenario: A document is not an image
    When Alice uploads a document as image, claiming "application/octet-stream"
    Then it is refused with status 400
