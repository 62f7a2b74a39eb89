//! throughline's connector for Google Sheets.

pub mod a1;
pub mod auth;
mod mapping;

pub use mapping::{
    DEFAULT_TOML, Field, HeaderLanguage, IdColumn, Language, MappingError, SheetsMapping,
    StateFrom, StatusWords,
};
