//! An Excel target as `throughline.toml` writes it, and the connector it opens:
//!
//! ```toml
//! [[target]]
//! id = "books"
//! kind = "excel"
//! path = "plan.xlsx"          # relative to throughline.toml's folder
//! ```
//!
//! A workbook needs no credentials and has no webhook: the daemon watches the file.

use throughline_connector::Connector;
use throughline_connector::settings::{
    Accounts, KindSpec, LocationKey, SettingsError, TargetSettings, Tool, no_checks, no_people,
};

use crate::{ExcelConnector, ExcelMapping};

/// The Excel kind, for the root crate's registry.
pub const TOOL: Tool = Tool {
    spec: KindSpec {
        kind: "excel",
        tool: "Excel",
        location: &[LocationKey {
            key: "path",
            hint: "the workbook file, like path = \"plan.xlsx\"",
        }],
        options: &[],
        credentials: &[],
        accounts: Accounts {
            by_map_only: false,
            word: "name",
        },
        check: no_checks,
    },
    connect,
    check_mapping: |t| ExcelMapping::from_toml(t).map(|_| ()),
    mapping_people: no_people,
    sign_in: None,
    default_mapping: Some(("mappings/excel.toml", crate::DEFAULT_TOML)),
    local_file: Some(("path", "Workbook")),
    webhooks: None,
    // A workbook row has no address; the daemon names the file.
    task_url: None,
};

/// The connector for one workbook; an empty mapping table is the default layout.
pub fn connect(
    target: &TargetSettings,
    mapping: &toml::Table,
) -> Result<Box<dyn Connector>, SettingsError> {
    let path = target
        .path("path")
        .ok_or_else(|| target.error("needs `path = \"plan.xlsx\"`, the workbook to keep"))?;
    let mapping = if mapping.is_empty() {
        ExcelMapping::default()
    } else {
        ExcelMapping::from_toml(mapping).map_err(|e| target.error(e.to_string()))?
    };
    Ok(Box::new(ExcelConnector::new(
        target.id.clone(),
        path,
        mapping,
    )))
}
