//! Signing in to the dashboard: a password whose hash is in `throughline.toml` or an API token
//! (`env:`/`file:`), sessions in secure HttpOnly SameSite cookies, a CSRF token on every POST,
//! and rate-limited login attempts. With no sign-in configured the dashboard is read-only and
//! binds to loopback only.
