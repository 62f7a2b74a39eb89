//! Talking to Trello: the key and token in the query string, the shared rate limiters (one
//! budget per token and one per API key, whatever the number of targets), and the few request
//! shapes the connector uses.

use reqwest::Method;
use serde::de::DeserializeOwned;
use throughline_connector::ConnectorError;
use throughline_connector::http::{
    HttpClient, HttpConfig, LimiterRegistry, RequestCounts, Secret, account_key,
};

use crate::settings::{SetupError, TrelloSettings};
use crate::webhook::Webhook;
use crate::wire;

/// What the board read asks for: everything an observation needs, nested, in one request.
const BOARD_READ: &[(&str, &str)] = &[
    ("fields", "name"),
    ("actions", "none"),
    ("lists", "all"),
    ("list_fields", "name,closed,pos"),
    ("cards", "all"),
    (
        "card_fields",
        "name,desc,closed,idList,due,start,dueComplete,idMembers,dateLastActivity,idLabels",
    ),
    ("card_customFieldItems", "true"),
    ("checklists", "all"),
    ("checklist_fields", "name,idCard,pos"),
    ("labels", "all"),
    ("label_fields", "name"),
    ("members", "all"),
    ("member_fields", "username"),
    ("customFields", "true"),
];

/// One board's API access.
pub(crate) struct Trello {
    http: HttpClient,
    /// The API root without a trailing `/`.
    base: String,
    key: Secret,
    token: Secret,
    target: String,
    board: String,
    /// The board's name as last read, for messages.
    board_name: String,
}

impl Trello {
    /// Check the settings a client needs and build it on the shared limiters.
    pub(crate) fn new(settings: &TrelloSettings) -> Result<Trello, SetupError> {
        let target = settings.target.clone();
        if settings.board.trim().is_empty() {
            return Err(SetupError::MissingBoard { target });
        }
        for (secret, which) in [(&settings.key, "API key"), (&settings.token, "token")] {
            if secret.is_empty() {
                return Err(SetupError::MissingCredential { target, which });
            }
        }
        let base = settings.base_url.trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&base).is_err() {
            return Err(SetupError::BadBaseUrl {
                target,
                url: settings.base_url.clone(),
            });
        }
        let mut config = HttpConfig::new("Trello");
        config.auth_hint = format!(
            "Check the Trello key and token of target `{target}`: create a token at \
             https://trello.com/app-key, and make sure its owner is a member of the board"
        );
        config.request_timeout = settings.request_timeout;
        config.retry = settings.retry.clone();
        // Trello's 429 names no Retry-After: wait out the window it counts in.
        config.rate_limit_wait = Some(
            settings
                .limits
                .per_token
                .per
                .min(settings.limits.per_key.per),
        );
        let registry = LimiterRegistry::global();
        let http = HttpClient::new(config)
            .map_err(|e| SetupError::Client {
                target: target.clone(),
                message: e.to_string(),
            })?
            .with_secret(&settings.key)
            .with_secret(&settings.token)
            .with_limiter(registry.limiter(
                &account_key("trello", "token", &settings.token),
                settings.limits.per_token,
            ))
            .with_limiter(registry.limiter(
                &account_key("trello", "key", &settings.key),
                settings.limits.per_key,
            ));
        Ok(Trello {
            http,
            base,
            key: settings.key.clone(),
            token: settings.token.clone(),
            target,
            board: settings.board.clone(),
            board_name: String::new(),
        })
    }

    /// The board id (or short link) of the target.
    pub(crate) fn board(&self) -> &str {
        &self.board
    }

    /// Remember the board's name for messages (empty: name it by its id).
    pub(crate) fn set_board_name(&mut self, name: &str) {
        name.clone_into(&mut self.board_name);
    }

    /// The board as messages name it.
    pub(crate) fn board_label(&self) -> String {
        if self.board_name.is_empty() {
            format!("board {}", self.board)
        } else {
            format!("board \"{}\"", self.board_name)
        }
    }

    /// Requests sent so far, retries included.
    pub(crate) fn counts(&self) -> RequestCounts {
        self.http.counts()
    }

    fn auth(&self) -> [(&'static str, String); 2] {
        [
            ("key", self.key.expose().to_owned()),
            ("token", self.token.expose().to_owned()),
        ]
    }

    /// `what`, completed with the board and the target, for errors.
    fn describe(&self, what: &str) -> String {
        format!(
            "{what} ({} of target `{}`)",
            self.board_label(),
            self.target
        )
    }

    /// One request with its parameters in the query string, as Trello's OpenAPI description
    /// declares them.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<T, ConnectorError> {
        let url = format!("{}{path}", self.base);
        let auth = self.auth();
        let reply = self
            .http
            .send(&self.describe(what), |c| {
                c.request(method.clone(), &url).query(&auth).query(params)
            })
            .await?;
        reply.json()
    }

    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<T, ConnectorError> {
        self.call(Method::GET, path, params, what).await
    }

    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<T, ConnectorError> {
        self.call(Method::POST, path, params, what).await
    }

    /// A `PUT` whose answer is not needed.
    pub(crate) async fn put(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<(), ConnectorError> {
        self.call::<serde_json::Value>(Method::PUT, path, params, what)
            .await
            .map(drop)
    }

    /// A `PUT` with a JSON body (the custom field item, whose body the description declares).
    pub(crate) async fn put_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        what: &str,
    ) -> Result<(), ConnectorError> {
        let url = format!("{}{path}", self.base);
        let auth = self.auth();
        self.http
            .send(&self.describe(what), |c| {
                c.put(&url).query(&auth).json(body)
            })
            .await
            .map(drop)
    }

    /// The one request an observation costs.
    /// The board in one read; with `comments`, its newest comments too (blocked reasons).
    pub(crate) async fn read_board(&self, comments: bool) -> Result<wire::Board, ConnectorError> {
        let mut params: Vec<(&str, String)> = BOARD_READ
            .iter()
            .filter(|(k, _)| !comments || *k != "actions")
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect();
        if comments {
            params.extend([
                ("actions", "commentCard".to_owned()),
                ("actions_limit", "1000".to_owned()),
                ("action_fields", "type,data".to_owned()),
            ]);
        }
        self.get(
            &format!("/boards/{}", self.board),
            &params,
            "reading the board",
        )
        .await
    }

    /// Every checklist of the board, with its items.
    pub(crate) async fn read_checklists(&self) -> Result<Vec<wire::Checklist>, ConnectorError> {
        self.get(
            &format!("/boards/{}/checklists", self.board),
            &[],
            "reading the checklists of the new cards",
        )
        .await
    }

    /// The board's id, when the target names it by its short link.
    pub(crate) async fn read_board_id(&self) -> Result<String, ConnectorError> {
        let board: wire::Created = self
            .get(
                &format!("/boards/{}", self.board),
                &[("fields", "id".to_owned())],
                "reading the board's id",
            )
            .await?;
        Ok(board.id)
    }

    /// Every webhook of the token: `GET /tokens/{token}/webhooks`.
    pub(crate) async fn list_webhooks(&self) -> Result<Vec<Webhook>, ConnectorError> {
        self.get(
            &format!("/tokens/{}/webhooks", self.token.expose()),
            &[],
            "listing the token's webhooks",
        )
        .await
    }

    /// `POST /webhooks` on a model (the board's id).
    pub(crate) async fn create_webhook(
        &self,
        id_model: &str,
        callback_url: &str,
        description: &str,
    ) -> Result<Webhook, ConnectorError> {
        self.post(
            "/webhooks",
            &[
                ("idModel", id_model.to_owned()),
                ("callbackURL", callback_url.to_owned()),
                ("description", description.to_owned()),
            ],
            &format!("creating a webhook that calls {callback_url}"),
        )
        .await
    }

    /// `DELETE /webhooks/{id}`.
    pub(crate) async fn delete_webhook(&self, id: &str) -> Result<(), ConnectorError> {
        self.call::<serde_json::Value>(
            Method::DELETE,
            &format!("/webhooks/{id}"),
            &[],
            &format!("deleting webhook {id}"),
        )
        .await
        .map(drop)
    }
}
