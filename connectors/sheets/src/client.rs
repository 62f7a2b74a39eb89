//! The five calls the connector makes, through the shared HTTP client: Drive `files.get` (has
//! anything changed?), `spreadsheets.get` with a field mask (tabs, and the developer metadata
//! that says which row is which task), `values:batchGet`, `spreadsheets:batchUpdate` and
//! `values:batchUpdateByDataFilter`. Reads and writes draw on separate per-user quotas; an
//! access token Google refuses (401) is renewed once and the call repeated.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use throughline_connector::ConnectorError;
use throughline_connector::http::{
    HttpClient, HttpConfig, Limiter, LimiterRegistry, RateQuota, Reply, RequestCounts, Secret,
    SendOptions, account_key,
};

use crate::a1;
use crate::auth::TokenSource;

/// Google's default quotas: requests per minute per user, for reads and for writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetsQuota {
    /// Read requests per `per`.
    pub reads: u32,
    /// Write requests per `per`.
    pub writes: u32,
    /// The window the counts are for (a minute at Google).
    pub per: Duration,
}

impl Default for SheetsQuota {
    /// 60 reads and 60 writes per minute per user.
    fn default() -> Self {
        SheetsQuota {
            reads: 60,
            writes: 60,
            per: Duration::from_secs(60),
        }
    }
}

/// The field mask of the structure read: every tab's properties, the tab markers, and the
/// developer metadata of every row (the rows' identities and where they are now).
pub(crate) const STRUCTURE_FIELDS: &str = "sheets(properties(sheetId,title,index,\
gridProperties(rowCount,columnCount,frozenRowCount),rightToLeft),\
developerMetadata(metadataId,metadataKey,metadataValue),\
data(rowMetadata(developerMetadata(metadataId,metadataKey,metadataValue))))";

/// Drive's answer to `files.get?fields=modifiedTime,version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileMeta {
    pub modified: Option<Timestamp>,
    pub version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DriveFile {
    #[serde(default)]
    modified_time: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

/// One request to make.
pub(crate) struct Call {
    pub method: Method,
    pub url: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// It draws on the write quota.
    pub write: bool,
    /// Sending it twice does what sending it once does.
    pub idempotent: bool,
}

pub(crate) struct SheetsClient {
    http: HttpClient,
    tokens: Arc<TokenSource>,
    reads: Arc<Limiter>,
    writes: Arc<Limiter>,
    spreadsheet: String,
    sheets_url: String,
    drive_url: String,
}

impl SheetsClient {
    /// Drive's API root (`…/drive/v3` is below it).
    pub(crate) fn drive_url(&self) -> &str {
        &self.drive_url
    }

    /// The spreadsheet's id, which is also its Drive file id.
    pub(crate) fn spreadsheet(&self) -> &str {
        &self.spreadsheet
    }

    pub fn new(
        tokens: Arc<TokenSource>,
        account: &Secret,
        spreadsheet: &str,
        sheets_url: &str,
        drive_url: &str,
        quota: SheetsQuota,
        retry: Option<throughline_connector::http::RetryPolicy>,
    ) -> Result<SheetsClient, ConnectorError> {
        let mut config = HttpConfig::new("Google Sheets");
        config.auth_hint = "Check that the spreadsheet is shared with the account throughline \
                            signs in as (for a service account, its client_email), and that the \
                            sign-in is still valid"
            .to_owned();
        if let Some(retry) = retry {
            config.retry = retry;
        }
        let mut http = HttpClient::new(config)?;
        for secret in tokens.secrets() {
            http = http.with_secret(&secret);
        }
        let registry = LimiterRegistry::global();
        let quota_of = |n: u32| {
            RateQuota::new(n, quota.per).ok_or_else(|| ConnectorError::Invalid {
                message: "the Google Sheets quota must allow at least one request".to_owned(),
            })
        };
        let reads = registry.limiter(
            &account_key("google-sheets", "reads", account),
            quota_of(quota.reads)?,
        );
        let writes = registry.limiter(
            &account_key("google-sheets", "writes", account),
            quota_of(quota.writes)?,
        );
        Ok(SheetsClient {
            http,
            tokens,
            reads,
            writes,
            spreadsheet: spreadsheet.to_owned(),
            sheets_url: sheets_url.trim_end_matches('/').to_owned(),
            drive_url: drive_url.trim_end_matches('/').to_owned(),
        })
    }

    pub fn counts(&self) -> RequestCounts {
        self.http.counts()
    }

    fn spreadsheet_url(&self) -> String {
        format!(
            "{}/v4/spreadsheets/{}",
            self.sheets_url,
            encode_path(&self.spreadsheet)
        )
    }

    /// One call: with a fresh token, repeated once with a renewed token after a 401.
    pub(crate) async fn call(&self, call: Call, what: &str) -> Result<Reply, ConnectorError> {
        let Call {
            method,
            url,
            query,
            body,
            write,
            idempotent,
        } = call;
        let options = SendOptions {
            idempotent: Some(idempotent),
            limiters: vec![if write {
                Arc::clone(&self.writes)
            } else {
                Arc::clone(&self.reads)
            }],
            accept: vec![401],
        };
        let mut stale: Option<Secret> = None;
        loop {
            let token = self.tokens.token(stale.as_ref()).await?;
            let reply = self
                .http
                .send_with(&options, what, |c| {
                    let mut r = c
                        .request(method.clone(), &url)
                        .query(&query)
                        .bearer_auth(token.expose());
                    if let Some(body) = &body {
                        r = r.json(body);
                    }
                    r
                })
                .await?;
            if reply.status.as_u16() != 401 {
                return Ok(reply);
            }
            if stale.is_some() {
                let said = reply
                    .json::<Value>()
                    .ok()
                    .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                return Err(ConnectorError::Auth {
                    message: self.http.redactor().redact(&format!(
                        "Google refused a freshly renewed access token for {what} ({said}); \
                         sign in again (`throughline auth google`) or check the service account"
                    )),
                });
            }
            tracing::info!(what, "Google refused the access token; renewing it");
            stale = Some(token);
        }
    }

    /// Drive `files.get`: when the spreadsheet last changed, and its version.
    pub async fn file_meta(&self) -> Result<FileMeta, ConnectorError> {
        let url = format!(
            "{}/drive/v3/files/{}",
            self.drive_url,
            encode_path(&self.spreadsheet)
        );
        let query = vec![
            ("fields".to_owned(), "modifiedTime,version".to_owned()),
            ("supportsAllDrives".to_owned(), "true".to_owned()),
        ];
        let what = format!("spreadsheet {}", self.spreadsheet);
        let reply = self
            .call(
                Call {
                    method: Method::GET,
                    url,
                    query,
                    body: None,
                    write: false,
                    idempotent: true,
                },
                &what,
            )
            .await
            .map_err(|e| self.explain(e))?;
        let file: DriveFile = reply.json()?;
        let modified = file.modified_time.as_deref().and_then(|t| t.parse().ok());
        let version = file
            .version
            .or_else(|| file.modified_time.clone())
            .unwrap_or_default();
        Ok(FileMeta { modified, version })
    }

    /// `spreadsheets.get` with [`STRUCTURE_FIELDS`].
    pub async fn structure(&self) -> Result<Value, ConnectorError> {
        let query = vec![("fields".to_owned(), STRUCTURE_FIELDS.to_owned())];
        let what = format!("the tabs of spreadsheet {}", self.spreadsheet);
        let reply = self
            .call(
                Call {
                    method: Method::GET,
                    url: self.spreadsheet_url(),
                    query,
                    body: None,
                    write: false,
                    idempotent: true,
                },
                &what,
            )
            .await
            .map_err(|e| self.explain(e))?;
        reply.json()
    }

    /// `values:batchGet` of whole tabs, values unformatted and dates as serial numbers.
    pub async fn values(&self, titles: &[String]) -> Result<Vec<Value>, ConnectorError> {
        self.values_rendered(titles, "SERIAL_NUMBER").await
    }

    /// `values:batchGet` of whole tabs, values unformatted and dates as `dates` says
    /// (`SERIAL_NUMBER`, or `FORMATTED_STRING`: as the sheet shows them).
    pub async fn values_rendered(
        &self,
        titles: &[String],
        dates: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut query: Vec<(String, String)> = titles
            .iter()
            .map(|t| ("ranges".to_owned(), a1::quoted(t)))
            .collect();
        query.push(("majorDimension".to_owned(), "ROWS".to_owned()));
        query.push((
            "valueRenderOption".to_owned(),
            "UNFORMATTED_VALUE".to_owned(),
        ));
        query.push(("dateTimeRenderOption".to_owned(), dates.to_owned()));
        let what = format!("the rows of spreadsheet {}", self.spreadsheet);
        let url = format!("{}/values:batchGet", self.spreadsheet_url());
        let reply = self
            .call(
                Call {
                    method: Method::GET,
                    url,
                    query,
                    body: None,
                    write: false,
                    idempotent: true,
                },
                &what,
            )
            .await?;
        let body: Value = reply.json()?;
        Ok(body["valueRanges"].as_array().cloned().unwrap_or_default())
    }

    /// `spreadsheets:batchUpdate`: applied all or nothing by Google. Not repeated after a
    /// failure that may hide a success (it inserts rows).
    pub async fn batch_update(&self, requests: Vec<Value>) -> Result<Value, ConnectorError> {
        let url = format!("{}:batchUpdate", self.spreadsheet_url());
        let body = json!({ "requests": requests });
        let what = format!("the rows and formats of spreadsheet {}", self.spreadsheet);
        let reply = self
            .call(
                Call {
                    method: Method::POST,
                    url,
                    query: Vec::new(),
                    body: Some(body),
                    write: true,
                    idempotent: false,
                },
                &what,
            )
            .await?;
        reply.json()
    }

    /// `values:batchUpdateByDataFilter`, written RAW so text stays text. Writing the same
    /// values twice is harmless, so it is repeated after passing failures.
    pub async fn write_values(&self, data: Vec<Value>) -> Result<Value, ConnectorError> {
        let url = format!("{}/values:batchUpdateByDataFilter", self.spreadsheet_url());
        let body = json!({ "valueInputOption": "RAW", "data": data });
        let what = format!("the cells of spreadsheet {}", self.spreadsheet);
        let reply = self
            .call(
                Call {
                    method: Method::POST,
                    url,
                    query: Vec::new(),
                    body: Some(body),
                    write: true,
                    idempotent: true,
                },
                &what,
            )
            .await?;
        reply.json()
    }

    /// A missing spreadsheet or one not shared: say which and what to do.
    pub(crate) fn explain(&self, e: ConnectorError) -> ConnectorError {
        match e {
            ConnectorError::NotFound { what } => ConnectorError::NotFound {
                what: format!(
                    "{what}. Check the `spreadsheet` id (the long code in the sheet's address \
                     between /d/ and /edit) and that the sheet is shared with the account \
                     throughline signs in as"
                ),
            },
            e => e,
        }
    }
}

/// What stays as it is in a path segment: the unreserved characters of RFC 3986.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path segment with everything but unreserved characters percent-encoded.
pub(crate) fn encode_path(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}
