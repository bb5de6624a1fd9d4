//! HTTP API and server-rendered pages.
