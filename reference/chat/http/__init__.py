"""The user-based chat over HTTP: the route table (`routes`), the dispatcher that serves
it (`api.ChatApi`), its OpenAPI document (`openapi`), provider states for tests
(`provider_state`) and the server (`server.serving_chat`). Normative: docs/chat-contract.md."""
