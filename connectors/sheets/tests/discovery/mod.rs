//! An in-process validator of Sheets v4 and Drive v3 traffic against Google's own discovery
//! documents (shipped in the PyPI package `google-api-python-client`, pinned in
//! `tests/requirements.txt`): the method must exist for the path and HTTP method, query
//! parameters must be ones the method (or every Google API) takes, with valid values, and
//! request and response bodies must match their schemas. The schemas are closed here (Google
//! leaves them open), so a misspelt key is an error, not a silently ignored field.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// The documents this validator reads, as the package names them.
const DOCUMENTS: [&str; 2] = ["sheets.v4.json", "drive.v3.json"];

/// Where the discovery documents are: `THROUGHLINE_GOOGLE_DISCOVERY` (set by `scripts/test`),
/// else the `discovery_cache/documents` folder of the `googleapiclient` that `python3` finds.
/// The package is located, not imported, so its own dependencies need not be installed.
pub fn documents_dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("THROUGHLINE_GOOGLE_DISCOVERY") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let script = "import importlib.util, os, sys\n\
                          s = importlib.util.find_spec('googleapiclient')\n\
                          s or sys.exit('googleapiclient is not installed')\n\
                          print(os.path.join(s.submodule_search_locations[0], \
                          'discovery_cache', 'documents'))";
            let out = Command::new("python3")
                .args(["-c", script])
                .output()
                .map_err(|e| format!("python3 does not run ({e})"))?;
            if !out.status.success() {
                return Err(format!(
                    "python3 has no google-api-python-client ({})",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        }
    };
    match DOCUMENTS.iter().find(|name| !dir.join(name).is_file()) {
        Some(name) => Err(format!("{} is not there", dir.join(name).display())),
        None => Ok(dir),
    }
}

struct Method {
    id: String,
    http: String,
    /// The path template from the root, e.g. `/v4/spreadsheets/{spreadsheetId}:batchUpdate`.
    template: String,
    params: serde_json::Map<String, Value>,
    request: Option<String>,
    response: Option<String>,
    api: usize,
}

pub struct Discovery {
    docs: Vec<Value>,
    methods: Vec<Method>,
}

impl Discovery {
    /// The documents, or `None` with the reason printed when they are not installed; a
    /// failure instead when `THROUGHLINE_REQUIRE_EXTERNAL_CHECKS=1`.
    pub fn load() -> Option<Discovery> {
        let dir = match documents_dir() {
            Ok(dir) => dir,
            Err(why) => {
                let msg = format!(
                    "Google's discovery documents are not found: {why} \
                     (pip install -r tests/requirements.txt)"
                );
                if std::env::var("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").as_deref() == Ok("1") {
                    panic!("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS=1 but {msg}");
                }
                println!("SKIPPED: {msg}");
                return None;
            }
        };
        let read = |name: &str| -> Value {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
        };
        let docs: Vec<Value> = DOCUMENTS.iter().map(|name| read(name)).collect();
        let mut methods = Vec::new();
        for (api, doc) in docs.iter().enumerate() {
            let service = doc["servicePath"].as_str().unwrap_or("");
            collect(&doc["resources"], service, api, &mut methods);
        }
        Some(Discovery { docs, methods })
    }

    /// The method a request is, or why it is none.
    fn method(&self, http: &str, path: &str) -> Result<&Method, String> {
        let mut best: Option<(&Method, usize)> = None;
        for m in self.methods.iter().filter(|m| m.http == http) {
            if let Some(literal) = matches(&m.template, path)
                && best.is_none_or(|(_, l)| literal > l)
            {
                best = Some((m, literal));
            }
        }
        best.map(|(m, _)| m)
            .ok_or_else(|| format!("{http} {path} is no method of the Sheets or Drive API"))
    }

    /// Check one request; returns the method id.
    pub fn request(
        &self,
        http: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<String, Vec<String>> {
        let m = self.method(http, path).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let globals = self.docs[m.api]["parameters"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut seen: Vec<&str> = Vec::new();
        for (k, v) in query {
            let spec = m
                .params
                .get(k)
                .filter(|p| p["location"] == "query")
                .or_else(|| globals.get(k));
            let Some(spec) = spec else {
                errors.push(format!("{}: unknown query parameter `{k}`", m.id));
                continue;
            };
            if seen.contains(&k.as_str()) && spec["repeated"] != true {
                errors.push(format!(
                    "{}: `{k}` given twice but it is not repeated",
                    m.id
                ));
            }
            seen.push(k);
            errors.extend(check_scalar(spec, v).map(|e| format!("{}: query `{k}`: {e}", m.id)));
        }
        for (name, spec) in &m.params {
            if spec["required"] == true
                && spec["location"] == "query"
                && !seen.contains(&name.as_str())
            {
                errors.push(format!(
                    "{}: required query parameter `{name}` is missing",
                    m.id
                ));
            }
        }
        match (&m.request, body) {
            (Some(schema), Some(b)) => self.check(m.api, &json_ref(schema), b, "body", &mut errors),
            (Some(_), None) => errors.push(format!("{}: the request needs a body", m.id)),
            (None, Some(b)) if !b.is_null() => {
                errors.push(format!("{}: the request takes no body", m.id))
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(m.id.clone())
        } else {
            Err(errors)
        }
    }

    /// Check one answer to a request.
    pub fn response(
        &self,
        http: &str,
        path: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Vec<String> {
        let Ok(m) = self.method(http, path) else {
            return Vec::new();
        };
        let mut errors = Vec::new();
        let Some(body) = body else {
            return vec![format!("{}: answer {status} has no JSON body", m.id)];
        };
        if status >= 400 {
            // Google's error shape: `error.code` and `error.message`, and `status` on Sheets.
            let e = &body["error"];
            if e["code"].as_u64() != Some(u64::from(status)) || !e["message"].is_string() {
                errors.push(format!("{}: error body {body} is not Google's shape", m.id));
            }
            if m.api == 0 && !e["status"].is_string() {
                errors.push(format!("{}: a Sheets error names its status", m.id));
            }
            return errors;
        }
        if let Some(schema) = &m.response {
            self.check(m.api, &json_ref(schema), body, "answer", &mut errors);
        }
        errors
            .into_iter()
            .map(|e| format!("{}: {e}", m.id))
            .collect()
    }

    fn schema(&self, api: usize, name: &str) -> &Value {
        &self.docs[api]["schemas"][name]
    }

    fn check(&self, api: usize, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        if let Some(r) = schema["$ref"].as_str() {
            let s = self.schema(api, r).clone();
            return self.check(api, &s, v, at, errors);
        }
        match schema["type"].as_str().unwrap_or("any") {
            "object" => {
                let Some(obj) = v.as_object() else {
                    errors.push(format!("{at}: {v} is not an object"));
                    return;
                };
                let props = schema["properties"].as_object();
                let extra = schema.get("additionalProperties");
                for (k, val) in obj {
                    match (props.and_then(|p| p.get(k)), extra) {
                        (Some(p), _) => self.check(api, p, val, &format!("{at}.{k}"), errors),
                        (None, Some(e)) => self.check(api, e, val, &format!("{at}.{k}"), errors),
                        (None, None) => errors.push(format!("{at}: unknown member `{k}`")),
                    }
                }
            }
            "array" => {
                let Some(items) = v.as_array() else {
                    errors.push(format!("{at}: {v} is not an array"));
                    return;
                };
                for (i, item) in items.iter().enumerate() {
                    self.check(api, &schema["items"], item, &format!("{at}[{i}]"), errors);
                }
            }
            "any" => {}
            _ => {
                if let Some(e) = check_json_scalar(schema, v) {
                    errors.push(format!("{at}: {e}"));
                }
            }
        }
    }
}

fn json_ref(name: &str) -> Value {
    serde_json::json!({ "$ref": name })
}

fn collect(resources: &Value, service: &str, api: usize, out: &mut Vec<Method>) {
    let Some(resources) = resources.as_object() else {
        return;
    };
    for r in resources.values() {
        if let Some(methods) = r["methods"].as_object() {
            for m in methods.values() {
                let path = m["flatPath"].as_str().or(m["path"].as_str()).unwrap_or("");
                out.push(Method {
                    id: m["id"].as_str().unwrap_or("").to_owned(),
                    http: m["httpMethod"].as_str().unwrap_or("").to_owned(),
                    template: format!("/{service}{path}"),
                    params: m["parameters"].as_object().cloned().unwrap_or_default(),
                    request: m["request"]["$ref"].as_str().map(str::to_owned),
                    response: m["response"]["$ref"].as_str().map(str::to_owned),
                    api,
                });
            }
        }
        collect(&r["resources"], service, api, out);
    }
}

/// Whether `path` fits `template`; the number of literal characters matched (more is a
/// better match). `{range}` may hold anything; other parameters no `/` or `:`.
fn matches(template: &str, path: &str) -> Option<usize> {
    fn go(t: &str, p: &str) -> Option<usize> {
        if t.is_empty() {
            return p.is_empty().then_some(0);
        }
        if let Some(rest) = t.strip_prefix('{') {
            let close = rest.find('}')?;
            let name = &rest[..close];
            let after = &rest[close + 1..];
            let mut best = None;
            for end in (1..=p.len()).rev() {
                if !p.is_char_boundary(end) {
                    continue;
                }
                let piece = &p[..end];
                if name != "range" && piece.contains(['/', ':']) {
                    continue;
                }
                if let Some(n) = go(after, &p[end..]) {
                    best = best.max(Some(n));
                    break;
                }
            }
            return best;
        }
        let lit_len = t.find('{').unwrap_or(t.len());
        let lit = &t[..lit_len];
        let rest = p.strip_prefix(lit)?;
        go(&t[lit_len..], rest).map(|n| n + lit.len())
    }
    go(template, path)
}

/// A query parameter's value (always text) against its spec.
fn check_scalar(spec: &Value, v: &str) -> Option<String> {
    if let Some(values) = spec["enum"].as_array()
        && !values.iter().any(|e| e.as_str() == Some(v))
    {
        return Some(format!("\"{v}\" is not one of {values:?}"));
    }
    match spec["type"].as_str() {
        Some("boolean") if !matches!(v.to_ascii_lowercase().as_str(), "true" | "false") => {
            Some(format!("\"{v}\" is not a boolean"))
        }
        Some("integer") if v.parse::<i64>().is_err() => Some(format!("\"{v}\" is not an integer")),
        _ => None,
    }
}

/// A JSON value against a scalar schema.
fn check_json_scalar(schema: &Value, v: &Value) -> Option<String> {
    let kind = schema["type"].as_str().unwrap_or("");
    let format = schema["format"].as_str().unwrap_or("");
    match kind {
        "string" => {
            let Some(s) = v.as_str() else {
                return Some(format!("{v} is not a string"));
            };
            if let Some(values) = schema["enum"].as_array()
                && !values.iter().any(|e| e.as_str() == Some(s))
            {
                return Some(format!("\"{s}\" is not one of the allowed values"));
            }
            match format {
                "int64" | "uint64" if s.parse::<i128>().is_err() => {
                    Some(format!("\"{s}\" is not a 64-bit integer in a string"))
                }
                "google-datetime" | "date-time" if s.parse::<jiff::Timestamp>().is_err() => {
                    Some(format!("\"{s}\" is not an RFC 3339 timestamp"))
                }
                _ => None,
            }
        }
        "integer" => match v.as_i64() {
            Some(n) if format == "int32" && i32::try_from(n).is_err() => {
                Some(format!("{n} is out of int32 range"))
            }
            Some(_) => None,
            None => Some(format!("{v} is not an integer")),
        },
        "number" => v.as_f64().is_none().then(|| format!("{v} is not a number")),
        "boolean" => v
            .as_bool()
            .is_none()
            .then(|| format!("{v} is not a boolean")),
        _ => None,
    }
}
