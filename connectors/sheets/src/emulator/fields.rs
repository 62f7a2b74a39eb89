//! Google's partial-response field masks (`fields=sheets(properties(title),data.rowMetadata)`):
//! parsed into a tree and applied to a JSON answer.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A parsed mask: which members to keep; an empty mask below a name keeps all of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mask {
    /// Member name → the mask below it (`*` keeps every member).
    pub children: BTreeMap<String, Mask>,
}

impl Mask {
    /// Parse `a,b.c,d(e,f(g))`. `*` keeps everything.
    pub fn parse(text: &str) -> Result<Mask, String> {
        let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut pos = 0;
        let mask = parse_list(&chars, &mut pos)?;
        if pos != chars.len() {
            return Err(format!("Invalid field selection {text}"));
        }
        Ok(mask)
    }

    /// `true` when the mask keeps every member at this level (empty, or `*`).
    pub fn keeps_all(&self) -> bool {
        self.children.is_empty() || self.children.contains_key("*")
    }

    /// The mask below `name`, if `name` is kept at all.
    pub fn child(&self, name: &str) -> Option<Mask> {
        if self.keeps_all() {
            return Some(Mask::default());
        }
        self.children.get(name).cloned()
    }

    /// Whether anything under the dotted path is asked for.
    pub fn wants(&self, path: &[&str]) -> bool {
        let mut m = self.clone();
        for p in path {
            match m.child(p) {
                Some(c) => m = c,
                None => return false,
            }
        }
        true
    }

    /// Keep only what the mask names. Array elements are kept (empty objects too), as Google
    /// does; a member whose object came out empty is dropped.
    pub fn apply(&self, value: &Value) -> Value {
        if self.keeps_all() {
            return value.clone();
        }
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, sub) in &self.children {
                    if let Some(v) = map.get(k) {
                        let filtered = sub.apply(v);
                        let empty = matches!(&filtered, Value::Object(o) if o.is_empty())
                            && !matches!(v, Value::Object(o) if o.is_empty());
                        if !empty {
                            out.insert(k.clone(), filtered);
                        }
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.apply(v)).collect()),
            other => other.clone(),
        }
    }

    fn insert_path(&mut self, path: &[String], sub: Mask) {
        let mut m = self;
        for (i, p) in path.iter().enumerate() {
            let entry = m.children.entry(p.clone()).or_default();
            if i + 1 == path.len() {
                for (k, v) in sub.children {
                    entry.children.insert(k, v);
                }
                return;
            }
            m = entry;
        }
    }
}

fn parse_list(chars: &[char], pos: &mut usize) -> Result<Mask, String> {
    let mut mask = Mask::default();
    loop {
        let mut path = Vec::new();
        loop {
            let start = *pos;
            while *pos < chars.len() && !matches!(chars[*pos], ',' | '.' | '/' | '(' | ')') {
                *pos += 1;
            }
            if start == *pos {
                return Err("Invalid field selection".to_owned());
            }
            path.push(chars[start..*pos].iter().collect::<String>());
            // Google takes `a/b` as well as `a.b`.
            if *pos < chars.len() && matches!(chars[*pos], '.' | '/') {
                *pos += 1;
                continue;
            }
            break;
        }
        let mut sub = Mask::default();
        if *pos < chars.len() && chars[*pos] == '(' {
            *pos += 1;
            sub = parse_list(chars, pos)?;
            if *pos >= chars.len() || chars[*pos] != ')' {
                return Err("Invalid field selection: unbalanced parentheses".to_owned());
            }
            *pos += 1;
        }
        mask.insert_path(&path, sub);
        if *pos < chars.len() && chars[*pos] == ',' {
            *pos += 1;
            continue;
        }
        return Ok(mask);
    }
}

/// Copy what a request's `fields` mask names from `from` into `into` (a member the mask names
/// but `from` lacks is cleared), as `updateCells`, `repeatCell` and the `update*Properties`
/// requests do.
pub fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>, mask: &Mask) {
    if mask.keeps_all() {
        *into = from.clone();
        return;
    }
    for (k, sub) in &mask.children {
        match from.get(k) {
            Some(Value::Object(f)) if !sub.keeps_all() => {
                let entry = into
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(i) = entry {
                    merge(i, f, sub);
                    if i.is_empty() {
                        into.remove(k);
                    }
                }
            }
            Some(v) => {
                into.insert(k.clone(), v.clone());
            }
            None => {
                into.remove(k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_keep_what_they_name() {
        let m = Mask::parse("sheets(properties(sheetId,title),data.rowMetadata.developerMetadata)")
            .unwrap();
        let v = json!({"spreadsheetId": "x", "sheets": [{
            "properties": {"sheetId": 1, "title": "T", "index": 0},
            "data": [{"rowMetadata": [{"pixelSize": 21}, {"pixelSize": 21, "developerMetadata": [{"metadataId": 5}]}],
                      "rowData": [{}]}]}]});
        assert_eq!(
            m.apply(&v),
            json!({"sheets": [{"properties": {"sheetId": 1, "title": "T"},
                "data": [{"rowMetadata": [{}, {"developerMetadata": [{"metadataId": 5}]}]}]}]})
        );
        assert!(m.wants(&["sheets", "data", "rowMetadata"]));
        assert!(!m.wants(&["sheets", "data", "rowData"]));
        assert!(Mask::parse("a(b").is_err());
        assert_eq!(Mask::parse("*").unwrap().apply(&v), v);
    }

    #[test]
    fn merge_copies_and_clears_the_named_members() {
        let mut cell = json!({"userEnteredValue": {"stringValue": "x"}, "note": "keep",
                              "userEnteredFormat": {"textFormat": {"bold": true}, "numberFormat": {"type": "DATE"}}})
            .as_object()
            .unwrap()
            .clone();
        let from = json!({"userEnteredFormat": {"numberFormat": {"type": "NUMBER"}}});
        merge(
            &mut cell,
            from.as_object().unwrap(),
            &Mask::parse("userEnteredValue,userEnteredFormat.numberFormat").unwrap(),
        );
        assert_eq!(
            Value::Object(cell),
            json!({"note": "keep", "userEnteredFormat": {"textFormat": {"bold": true}, "numberFormat": {"type": "NUMBER"}}})
        );
    }
}
