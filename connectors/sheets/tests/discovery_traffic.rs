//! Every request the connector sends and every answer the emulator gives validates against
//! Google's discovery documents (schemas closed, so misspelt keys fail); canaries show the
//! check rejects what it should.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;
mod discovery;

use async_trait::async_trait;
use serde_json::{Value, json};
use throughline_connector::State;
use throughline_connector::conformance::{Harness, run};
use throughline_sheets::{Field, SheetsConnector};

use discovery::Discovery;

fn discovery() -> Option<Discovery> {
    Discovery::load()
}

struct SheetsHarness {
    sheet: common::Sheet,
}

#[async_trait]
impl Harness for SheetsHarness {
    type C = SheetsConnector;

    async fn connector(&mut self) -> SheetsConnector {
        self.sheet.connector()
    }

    async fn person_sets_state(&mut self, identity: &str, state: State) {
        self.sheet.set_state(identity, state);
    }

    async fn person_checks_entry(&mut self, identity: &str, checked: bool) {
        self.sheet.type_into(identity, Field::Done, json!(checked));
    }
}

#[tokio::test]
async fn the_connectors_requests_and_the_emulators_answers_match_the_discovery_documents() {
    let Some(d) = discovery() else { return };
    let mut h = SheetsHarness {
        sheet: common::Sheet::new().await,
    };
    run(&mut h).await;
    let log = h.sheet.emu.requests();
    let api: Vec<_> = log.iter().filter(|r| r.is_api()).collect();
    assert!(api.len() > 50, "the suite made {} API requests", api.len());
    let mut errors = Vec::new();
    let mut methods = std::collections::BTreeSet::new();
    for r in &api {
        match d.request(&r.method, &r.path, &r.query, r.body.as_ref()) {
            Ok(id) => {
                methods.insert(id);
            }
            Err(e) => errors.extend(
                e.into_iter()
                    .map(|e| format!("{} {}: {e}", r.method, r.path)),
            ),
        }
        errors.extend(d.response(&r.method, &r.path, r.status, r.response.as_ref()));
    }
    assert!(
        errors.is_empty(),
        "{} problems:\n{}",
        errors.len(),
        errors.join("\n")
    );
    for m in [
        "drive.files.get",
        "sheets.spreadsheets.get",
        "sheets.spreadsheets.values.batchGet",
        "sheets.spreadsheets.batchUpdate",
        "sheets.spreadsheets.values.batchUpdateByDataFilter",
    ] {
        assert!(methods.contains(m), "{m} was never called: {methods:?}");
    }
}

#[tokio::test]
async fn the_emulators_answers_to_other_clients_and_its_errors_match_too() {
    let Some(d) = discovery() else { return };
    let sheet = common::Sheet::new().await;
    let base = format!("{}/v4/spreadsheets/{}", sheet.emu.base_url(), sheet.id);
    let http = reqwest::Client::new();
    let token = sheet.emu.access_token();
    let send = |method: reqwest::Method, url: String, body: Option<Value>| {
        let mut r = http.request(method, url).bearer_auth(&token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    use reqwest::Method as M;
    send(
        M::PUT,
        format!("{base}/values/Sheet1!A1?valueInputOption=USER_ENTERED"),
        Some(json!({"values": [["=4/2", "2020-01-01", "text", 53], ["x", true, "", null]]})),
    )
    .await
    .unwrap();
    send(
        M::GET,
        format!("{base}/values/Sheet1?valueRenderOption=FORMULA"),
        None,
    )
    .await
    .unwrap();
    send(
        M::GET,
        format!(
            "{base}/values:batchGet?ranges=Sheet1!A1:B2&ranges=Sheet1!C:C&majorDimension=COLUMNS"
        ),
        None,
    )
    .await
    .unwrap();
    send(M::POST, format!("{base}/values:batchUpdate"),
         Some(json!({"valueInputOption": "RAW", "data": [{"range": "Sheet1!D4", "values": [["=no"]]}]}))).await.unwrap();
    send(
        M::POST,
        format!("{base}/values/Sheet1!A1:append?valueInputOption=RAW"),
        Some(json!({"values": [["appended"]]})),
    )
    .await
    .unwrap();
    send(
        M::POST,
        format!("{base}/values:batchClear"),
        Some(json!({"ranges": ["Sheet1!D4"]})),
    )
    .await
    .unwrap();
    send(M::POST, format!("{base}:batchUpdate"), Some(json!({"requests": [
        {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}},
        {"sortRange": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 5}, "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}]}},
        {"createDeveloperMetadata": {"developerMetadata": {"metadataKey": "k", "metadataValue": "v", "visibility": "DOCUMENT",
            "location": {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}}}}},
        {"moveDimension": {"source": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}, "destinationIndex": 0}},
    ]}))).await.unwrap();
    send(
        M::POST,
        format!("{base}/developerMetadata:search"),
        Some(json!({"dataFilters": [{"developerMetadataLookup": {"metadataKey": "k"}}]})),
    )
    .await
    .unwrap();
    send(
        M::GET,
        format!("{base}?includeGridData=true&ranges=Sheet1!A1:C3"),
        None,
    )
    .await
    .unwrap();
    // Errors: a missing spreadsheet, a bad range, a malformed body (as recorded), no token.
    send(
        M::GET,
        format!(
            "{}/v4/spreadsheets/test?includeGridData=false",
            sheet.emu.base_url()
        ),
        None,
    )
    .await
    .unwrap();
    send(M::GET, format!("{base}/values/Nope!A1"), None)
        .await
        .unwrap();
    send(
        M::PUT,
        format!("{base}/values/Sheet1!A1?valueInputOption=RAW"),
        Some(json!({"values": "X", "majorDimension": null})),
    )
    .await
    .unwrap();
    http.get(format!("{base}/values/Sheet1!A1"))
        .send()
        .await
        .unwrap();
    http.get(format!(
        "{}/drive/v3/files/{}?fields=modifiedTime,version",
        sheet.emu.base_url(),
        "missing"
    ))
    .bearer_auth(&token)
    .send()
    .await
    .unwrap();

    let mut errors = Vec::new();
    let log = sheet.emu.requests();
    for r in &log {
        errors.extend(d.response(&r.method, &r.path, r.status, r.response.as_ref()));
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(&statuses[statuses.len() - 5..], &[404, 400, 400, 401, 404]);
    // The recorded error body for a malformed `values`.
    let bad = &log[log.len() - 3].response.clone().unwrap();
    assert_eq!(bad["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        bad["error"]["details"][0]["@type"],
        "type.googleapis.com/google.rpc.BadRequest"
    );
    assert_eq!(
        bad["error"]["details"][0]["fieldViolations"][0]["field"],
        "data.values"
    );
    assert_eq!(
        log[log.len() - 5].response.clone().unwrap(),
        json!({"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})
    );
}

#[tokio::test]
async fn canaries_misspelt_or_unknown_requests_are_rejected() {
    let Some(d) = discovery() else { return };
    let path = "/v4/spreadsheets/abc/values:batchUpdateByDataFilter";
    let good = json!({"valueInputOption": "RAW", "data": [{"dataFilter": {"developerMetadataLookup": {"metadataId": 7}},
                      "majorDimension": "ROWS", "values": [["a", null, 3, true]]}]});
    assert!(d.request("POST", path, &[], Some(&good)).is_ok());
    // A misspelt member, a misspelt enum value, a member of the wrong type.
    let mut typo = good.clone();
    typo["valueInputOptoin"] = typo["valueInputOption"].take();
    typo.as_object_mut().unwrap().remove("valueInputOption");
    let e = d.request("POST", path, &[], Some(&typo)).unwrap_err();
    assert!(
        e.iter()
            .any(|e| e.contains("unknown member `valueInputOptoin`")),
        "{e:?}"
    );
    let mut bad_enum = good.clone();
    bad_enum["valueInputOption"] = json!("RAWW");
    assert!(d.request("POST", path, &[], Some(&bad_enum)).is_err());
    let mut deep = good.clone();
    deep["data"][0]["dataFilter"]["developerMetadataLookup"]["metadataID"] = json!(7);
    assert!(d.request("POST", path, &[], Some(&deep)).is_err());
    // An unknown request kind in a batch, a misspelt query parameter, an unknown method.
    let batch = json!({"requests": [{"addSheeet": {"properties": {"title": "x"}}}]});
    assert!(
        d.request(
            "POST",
            "/v4/spreadsheets/abc:batchUpdate",
            &[],
            Some(&batch)
        )
        .is_err()
    );
    let q = vec![("valueRenderOptoin".to_owned(), "FORMULA".to_owned())];
    assert!(
        d.request("GET", "/v4/spreadsheets/abc/values/Sheet1!A1", &q, None)
            .is_err()
    );
    assert!(
        d.request("GET", "/v4/spreadsheets/abc/values:batchGett", &[], None)
            .is_err()
    );
    // And the answers: a made-up member in a reply.
    let reply = json!({"spreadsheetId": "abc", "replies": [{"addSheet": {"properties": {"sheetId": 1, "titel": "x"}}}]});
    assert!(
        !d.response(
            "POST",
            "/v4/spreadsheets/abc:batchUpdate",
            200,
            Some(&reply)
        )
        .is_empty()
    );

    // The emulator refuses the same canary on the wire.
    let sheet = common::Sheet::new().await;
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/v4/spreadsheets/{}:batchUpdate",
            sheet.emu.base_url(),
            sheet.id
        ))
        .bearer_auth(sheet.emu.access_token())
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Invalid JSON payload received. Unknown name \"addSheeet\" at 'requests[0]': Cannot find field."
    );
}
