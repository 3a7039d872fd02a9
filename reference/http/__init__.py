"""The reference backend's HTTP API (the documented OneCrew chat routes) over the
reference sync service: a dispatch function, served by `chatgate serve`."""
