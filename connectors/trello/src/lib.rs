//! throughline's connector for Trello boards: each task is a card in the list of its stage,
//! with its checklist, member, due and start dates, and people's ticks read back.
//!
//! The constraints of Trello's REST API it was built around:
//!
//! - **Rate limits.** 100 requests per 10 s per token and 300 per 10 s per API key, counted
//!   across every board the token touches, both enforced client-side before each request (two
//!   targets on one token share one budget). Trello's 429 (`API_TOKEN_LIMIT_EXCEEDED`,
//!   `API_KEY_LIMIT_EXCEEDED`) carries no `Retry-After`; what follows a 429 or any other
//!   passing failure is [`throughline_connector::http::retry`].
//! - **One read per observation.** `GET /boards/{id}` nests lists, cards (open and archived),
//!   checklists with their items, labels, members, custom field definitions and each card's
//!   custom field items, with actions off: one request, whatever the size of the board.
//! - **One request per new card.** A card with its checklist is copied from a template card
//!   (`POST /cards` with `idCardSource` and `keepFromSource=checklists`). The templates live in
//!   an archived list of the connector's own and are made once per distinct checklist. Trello's
//!   answer to a copy does not include the new check items, so after a batch of creates one
//!   `GET /boards/{id}/checklists` reads all their ids. Items that must differ from the template
//!   (ticked, a member or due date on the item) cost one request each.
//! - **Updates send only what changed**, compared with what the board shows: one `PUT` per card
//!   with all its changed fields, one per check item.
//! - **No field for an identity.** A card's identity is the last line of its description,
//!   `throughline: spring-sale/copy` (readable, copied along with the card), and also a text
//!   custom field when the board has the Custom Fields power-up and a field of the mapping's
//!   name. Check items have no field at all: the marker line lists each entry's key with a
//!   short hash of its text (see [`marker`]).
//! - **Dates are moments.** `due` and `start` are UTC instants. A due date is written as
//!   17:00 (start: 09:00) on that day in the process's time zone (`[dates]` in the mapping) and
//!   any moment is read back as its day in that zone, so a round trip keeps the civil date.
//! - **Parameters in the query string.** The official OpenAPI description declares every write
//!   parameter as a query parameter, so the connector sends them there (the one exception is
//!   the custom field item, whose body the description declares). Names and descriptions are
//!   limited to 16,384 characters.
//! - **No deletes.** Archive is `closed=true`. Trello cannot archive a check item, so an
//!   archived entry moves to a second checklist on the card ("Archived by throughline").
//!   Lists are created when missing and never renamed, moved or archived.
//! - **Done** is the card's `dueComplete` tick and/or its place in a "Done" list (the mapping
//!   says which). Trello has no "doing": it reads back as to do.
//! - **Blocked** is a label ("Blocked"), its reason a text custom field or a `Blocked: …`
//!   comment; the comments come nested in the board read (`actions=commentCard`, at most the
//!   newest 1,000 of the board), so the read stays one request.
//! - **Webhooks** belong to the token that made them and watch one model (the board). Trello
//!   checks the callback with a `HEAD` before it creates one, refuses a second with the same
//!   token, model and callback, and turns one off after repeated failed deliveries, never back
//!   on: [`TrelloConnector::ensure_webhook`] keeps one active per board for the daemon.
//!
//! Entry points: [`TrelloConnector::new`] with [`TrelloSettings`] and a [`TrelloMapping`]
//! (from `mappings/trello.toml`); with the `emulator` feature, [`emulator::Emulator`] for tests
//! and `throughline emulate trello`.

mod apply;
mod blocked;
mod client;
mod connector;
mod dates;
mod entries;
mod mapping;
pub mod marker;
mod observe;
mod settings;
pub mod target;
mod webhook;
mod wire;

#[cfg(feature = "emulator")]
pub mod emulator;

// Fuzz properties of the board decoding and observation (private, hence inside the crate).
#[cfg(test)]
mod fuzz_tests;

pub use connector::TrelloConnector;
pub use mapping::{DEFAULT_TOML, LabelsFrom, MappingError, TrelloMapping};
pub use settings::{SetupError, TrelloLimits, TrelloSettings};
pub use throughline_connector::http::Secret;
pub use webhook::{EnsuredWebhook, Webhook};
