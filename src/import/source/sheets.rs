//! `sheets:<spreadsheet id>`: a live Google Sheet, read through the Sheets connector (one
//! `spreadsheets.get` and one `values:batchGet` for every tab). Credentials come from the
//! environment, as for a one-shot command: `THROUGHLINE_SHEETS_TOKEN` (a bearer access token)
//! or `GOOGLE_APPLICATION_CREDENTIALS` (a service account's JSON key file; share the sheet
//! with its address). `THROUGHLINE_SHEETS_URL` points at another server (the emulator).

use std::path::{Path, PathBuf};

use throughline_connector::http::Secret;
use throughline_sheets::{ImportTab, SheetsAuth, SheetsConnector, SheetsSettings};

use super::{SheetInfo, Source};
use crate::import::error::ImportError;
use crate::import::grid::{Grid, Value};
use crate::import::progress::Progress;

pub struct GoogleSheet {
    /// `sheets:<id>`, as the user wrote it.
    spec: PathBuf,
    tabs: Vec<ImportTab>,
}

fn failed(spec: &str, message: String) -> ImportError {
    ImportError::Sheets {
        spec: spec.to_string(),
        message,
    }
}

fn auth(spec: &str) -> Result<SheetsAuth, ImportError> {
    if let Ok(token) = std::env::var("THROUGHLINE_SHEETS_TOKEN")
        && !token.trim().is_empty()
    {
        return Ok(SheetsAuth::Token(Secret::new(token.trim().to_string())));
    }
    if let Ok(path) = std::env::var("GOOGLE_APPLICATION_CREDENTIALS") {
        let key = std::fs::read_to_string(&path).map_err(|e| {
            failed(
                spec,
                format!("GOOGLE_APPLICATION_CREDENTIALS names {path}, which cannot be read ({e})"),
            )
        })?;
        return Ok(SheetsAuth::ServiceAccount {
            key_json: Secret::new(key),
        });
    }
    Err(failed(
        spec,
        "no Google credentials: set THROUGHLINE_SHEETS_TOKEN to an access token, or \
         GOOGLE_APPLICATION_CREDENTIALS to a service account's key file (and share the sheet \
         with the account's address); or download the sheet as .xlsx (File > Download) and \
         import that file"
            .into(),
    ))
}

impl GoogleSheet {
    pub fn open(spec: &str, id: &str) -> Result<Self, ImportError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(failed(
                spec,
                "no spreadsheet id: write sheets:<id>, the long code in the sheet's address \
                 between /d/ and /edit"
                    .into(),
            ));
        }
        let mut settings = SheetsSettings::new("import", id, auth(spec)?);
        if let Ok(url) = std::env::var("THROUGHLINE_SHEETS_URL")
            && !url.trim().is_empty()
        {
            settings = settings.with_base_url(url.trim());
        }
        let connector = SheetsConnector::new(settings).map_err(|e| failed(spec, e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| failed(spec, format!("could not start the reader ({e})")))?;
        let tabs = runtime
            .block_on(connector.read_tabs())
            .map_err(|e| failed(spec, e.to_string()))?;
        Ok(GoogleSheet {
            spec: PathBuf::from(spec),
            tabs,
        })
    }
}

fn cell(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Empty,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => n.as_f64().map_or(Value::Empty, Value::Number),
        serde_json::Value::String(s) if s.is_empty() => Value::Empty,
        serde_json::Value::String(s) if s.starts_with('#') && s.ends_with(['!', '?', 'A']) => {
            Value::Error(s.clone())
        }
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

impl Source for GoogleSheet {
    fn path(&self) -> &Path {
        &self.spec
    }

    fn sheets(&self) -> Vec<SheetInfo> {
        self.tabs
            .iter()
            .map(|t| SheetInfo {
                name: t.title.clone(),
                hidden: false,
            })
            .collect()
    }

    fn read(&mut self, sheet: &str, _progress: &Progress) -> Result<Grid, ImportError> {
        let Some(tab) = self.tabs.iter_mut().find(|t| t.title == sheet) else {
            return Ok(Grid::new(sheet, (0, 0), Vec::new()));
        };
        let rows: Vec<Vec<Value>> = std::mem::take(&mut tab.rows)
            .iter()
            .map(|r| r.iter().map(cell).collect())
            .collect();
        let mut grid = Grid::new(sheet, (0, 0), rows);
        grid.right_to_left = tab.right_to_left;
        grid.limits.push(
            "merged cells and hidden rows of a Google Sheet are not read; every row was read as \
             an ordinary row"
                .into(),
        );
        Ok(grid)
    }

    fn notes(&self) -> Vec<String> {
        vec![format!(
            "read through the Google Sheets API: {} tab{}",
            self.tabs.len(),
            if self.tabs.len() == 1 { "" } else { "s" }
        )]
    }
}
