//! Request parameters the way Trello reads them: the query string and the body (form-encoded or
//! JSON) together, body values winning.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::Value;

use super::server::ApiError;
use super::world::{Pos, is_id};

#[derive(Debug, Default, Clone)]
pub struct Params(pub HashMap<String, Value>);

impl Params {
    pub fn from_parts(query: Option<&str>, content_type: Option<&str>, body: &[u8]) -> Params {
        let mut map = HashMap::new();
        if let Some(q) = query {
            merge_form(&mut map, q);
        }
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if !body.is_empty() {
            if ct.contains("json") {
                if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) {
                    map.extend(obj);
                }
            } else if ct.contains("x-www-form-urlencoded") {
                merge_form(&mut map, &String::from_utf8_lossy(body));
            }
        }
        Params(map)
    }

    /// A value as text: strings as they are, numbers and booleans written out; `null` is
    /// absent.
    pub fn str(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Array(a) => Some(
                a.iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            other => Some(other.to_string()),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                "" => Ok(None),
                _ => Err(ApiError::invalid_value(name)),
            },
            Some(_) => Err(ApiError::invalid_value(name)),
        }
    }

    /// A required 24-hex id.
    pub fn id(&self, name: &str) -> Result<String, ApiError> {
        match self.str(name) {
            Some(v) if is_id(&v) => Ok(v),
            Some(_) => Err(ApiError::invalid_id()),
            None => Err(ApiError::invalid_value(name)),
        }
    }

    /// An optional 24-hex id; empty or `null` means none.
    pub fn opt_id(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.str(name).as_deref() {
            None | Some("") | Some("null") => Ok(None),
            Some(v) if is_id(v) => Ok(Some(v.to_owned())),
            Some(_) => Err(ApiError::invalid_value(name)),
        }
    }

    /// A comma-separated list of ids; empty means none.
    pub fn ids(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(v) = self.str(name) else {
            return Ok(None);
        };
        let v = v.trim();
        if v.is_empty() || v == "null" {
            return Ok(Some(Vec::new()));
        }
        let ids: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
        if ids.iter().all(|i| is_id(i)) {
            Ok(Some(ids))
        } else {
            Err(ApiError::invalid_value(name))
        }
    }

    /// A date or time for `due`/`start`: `Some(None)` clears it.
    pub fn when(&self, name: &str) -> Result<Option<Option<Timestamp>>, ApiError> {
        if !self.has(name) {
            return Ok(None);
        }
        let Some(v) = self.str(name) else {
            return Ok(Some(None));
        };
        let v = v.trim();
        if v.is_empty() || v == "null" {
            return Ok(Some(None));
        }
        parse_when(v)
            .map(|t| Some(Some(t)))
            .ok_or_else(|| ApiError::invalid_value(name))
    }

    pub fn pos(&self, name: &str) -> Result<Option<Pos>, ApiError> {
        match self.str(name).as_deref() {
            None | Some("") => Ok(None),
            Some("top") => Ok(Some(Pos::Top)),
            Some("bottom") => Ok(Some(Pos::Bottom)),
            Some(n) => n
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && *p >= 0.0)
                .map(|p| Some(Pos::At(p)))
                .ok_or_else(|| ApiError::invalid_value(name)),
        }
    }
}

/// The forms Trello accepts for a moment: RFC 3339, `YYYY-MM-DD HH:MM:SS UTC` (what some
/// clients send), a bare date (midnight UTC), or milliseconds since 1970.
pub fn parse_when(v: &str) -> Option<Timestamp> {
    if let Ok(t) = v.parse::<Timestamp>() {
        return Some(t);
    }
    if let Some(rest) = v.strip_suffix(" UTC")
        && let Ok(dt) = rest.replace(' ', "T").parse::<jiff::civil::DateTime>()
    {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(d) = v.parse::<Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(ms) = v.parse::<i64>() {
        return Timestamp::from_millisecond(ms).ok();
    }
    None
}

fn merge_form(map: &mut HashMap<String, Value>, text: &str) {
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k), decode(v));
        match map.get_mut(&k) {
            // Repeated parameters (`idMembers=a&idMembers=b`) mean a list.
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(&v);
            }
            _ => {
                map.insert(k, Value::String(v));
            }
        }
    }
}

/// Percent-decoding with `+` as a space.
pub fn decode(s: &str) -> String {
    throughline_connector::emulator_kit::percent_decode(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_merge_and_decode() {
        let p = Params::from_parts(
            Some("name=%D7%A9%D7%9C%D7%95%D7%9D+world&idMembers=a&idMembers=b&x=100%"),
            Some("application/json; charset=utf-8"),
            br#"{"desc": "from body", "due": null, "checked": true}"#,
        );
        assert_eq!(p.str("name").as_deref(), Some("שלום world"));
        assert_eq!(p.str("idMembers").as_deref(), Some("a,b"));
        assert_eq!(p.str("x").as_deref(), Some("100%"));
        assert_eq!(p.str("desc").as_deref(), Some("from body"));
        assert_eq!(p.when("due").unwrap(), Some(None));
        assert_eq!(p.bool("checked").unwrap(), Some(true));
    }

    #[test]
    fn moments_in_the_forms_clients_send() {
        let want: Timestamp = "2020-12-22T01:59:00Z".parse().unwrap();
        for v in [
            "2020-12-22T01:59:00.000Z",
            "2020-12-22T01:59:00+00:00",
            "2020-12-22 01:59:00 UTC",
            "1608602340000",
        ] {
            assert_eq!(parse_when(v), Some(want), "{v}");
        }
        assert_eq!(
            parse_when("2020-12-22"),
            Some("2020-12-22T00:00:00Z".parse().unwrap())
        );
        assert_eq!(parse_when("soon"), None);
    }
}
