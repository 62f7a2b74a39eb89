//! Signing in to Google against the emulator's token endpoint: a service account with a real
//! RSA key made here, an access token that runs out in the middle of a cycle, the desktop
//! flow with PKCE and its stored refresh token, and a renewal that fails loudly.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;

use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::json;
use throughline_connector::http::Secret;
use throughline_connector::{Connector, ConnectorError};
use throughline_sheets::auth::read_token_file;
use throughline_sheets::{DesktopSignIn, SheetsAuth, SheetsConnector, sign_in_desktop};

const EMAIL: &str = "throughline-sync@content-team.iam.gserviceaccount.com";

/// A service account key file, as the Google Cloud console hands it out, with a fresh key.
fn key_file(email: &str) -> String {
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8 PEM");
    json!({
        "type": "service_account",
        "project_id": "content-team",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem.as_str(),
        "client_email": email,
        "client_id": "100000000000000000001",
        "token_uri": "https://oauth2.googleapis.com/token",
    })
    .to_string()
}

fn token_requests(sheet: &common::Sheet) -> Vec<String> {
    sheet
        .emu
        .requests()
        .iter()
        .filter(|r| r.path == "/token")
        .map(|r| format!("{}", r.status))
        .collect()
}

#[tokio::test]
async fn a_service_account_signs_in_with_its_key_and_a_token_running_out_mid_cycle_is_renewed() {
    let sheet = common::Sheet::new().await;
    let key = key_file(EMAIL);
    assert_eq!(sheet.emu.add_service_account(&key).unwrap(), EMAIL);
    sheet.emu.share_only_with(&sheet.id, &[EMAIL]);
    let mut settings = sheet.settings("writers-sheet");
    settings.auth = SheetsAuth::ServiceAccount {
        key_json: Secret::new(key.clone()),
    };
    let mut c = SheetsConnector::new(settings.clone()).unwrap();
    let first = c
        .observe(None)
        .await
        .expect("signed in as the service account");
    assert_eq!(token_requests(&sheet), ["200"]);
    let log = sheet.emu.requests();
    let grant = log.iter().find(|r| r.path == "/token").unwrap();
    assert!(grant.status == 200);
    assert!(
        log.iter()
            .filter(|r| r.is_api())
            .all(|r| r.principal.as_deref() == Some(EMAIL)),
        "every call is made as the service account"
    );

    // A person's edit, then the token runs out after the next call (Drive's): the cycle's
    // second call is refused, the token renewed, the call repeated.
    sheet.emu.person(&sheet.id, |p| {
        p.type_in("Sheet1!A1", vec![vec![json!("a person was here")]])
            .unwrap()
    });
    sheet.emu.expire_tokens_after(1);
    sheet.emu.clear_requests();
    let second = c.observe(first.cursor).await.expect("renewed mid-cycle");
    assert_eq!(second.tasks, first.tasks);
    let log = sheet.emu.requests();
    let statuses: Vec<(String, u16)> = log
        .iter()
        .map(|r| {
            (
                r.path
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(22)
                    .collect(),
                r.status,
            )
        })
        .collect();
    assert!(log.iter().any(|r| r.status == 401), "{statuses:?}");
    assert_eq!(token_requests(&sheet), ["200"], "{statuses:?}");
    assert_eq!(c.token_refreshes(), 2);
    assert!(log.last().unwrap().status == 200);

    // A key that is not the registered one (same e-mail) is refused by signature.
    let mut forged = settings.clone();
    forged.auth = SheetsAuth::ServiceAccount {
        key_json: Secret::new(key_file(EMAIL)),
    };
    let mut c = SheetsConnector::new(forged).unwrap();
    let e = c.observe(None).await.unwrap_err();
    let ConnectorError::Auth { message } = &e else {
        panic!("expected an auth error, got {e:?}")
    };
    assert!(message.contains("Invalid JWT Signature"), "{message}");
    assert!(message.contains("writers-sheet"), "{message}");
    assert!(!message.contains("PRIVATE KEY"), "{message}");
    let grant = sheet
        .emu
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/token")
        .unwrap();
    assert_eq!(grant.status, 400);

    // Someone who is not the service account cannot open the sheet.
    let mut other = sheet.connector();
    let e = other.observe(None).await.unwrap_err();
    assert!(matches!(e, ConnectorError::NotFound { .. }), "{e:?}");
}

#[tokio::test]
async fn the_desktop_flow_stores_a_refresh_token_and_a_failed_renewal_is_loud() {
    let sheet = common::Sheet::new().await;
    let (client_id, client_secret) = sheet.emu.add_oauth_client();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("google-token.json");
    let mut flow = DesktopSignIn::new(&client_id, Secret::new(&client_secret), token_file.clone());
    flow.auth_url = sheet.emu.auth_url();
    flow.token_url = sheet.emu.token_url();
    // The "browser": follows the sign-in page's redirect to the loopback listener.
    let stored = sign_in_desktop(&flow, |url| {
        let url = url.to_owned();
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        assert!(url.contains("access_type=offline"), "{url}");
        tokio::spawn(async move {
            let _ = reqwest::get(url).await;
        });
    })
    .await
    .expect("signed in");
    assert!(!stored.token.refresh_token.is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the token file is readable by its owner only");
    }
    let text = std::fs::read_to_string(&token_file).unwrap();
    assert!(
        !format!("{stored:?}").contains(&stored.token.refresh_token),
        "Debug hides the token"
    );

    let mut settings = sheet.settings("writers-sheet");
    settings.auth = SheetsAuth::OAuth {
        token_file: token_file.clone(),
        client_id: client_id.clone(),
        client_secret: Secret::new(&client_secret),
    };
    let mut c = SheetsConnector::new(settings.clone()).unwrap();
    c.observe(None)
        .await
        .expect("the stored access token works");
    let grants = || {
        sheet
            .emu
            .requests()
            .iter()
            .filter(|r| r.path == "/token" && r.status == 200)
            .count()
    };
    assert_eq!(grants(), 1, "no renewal while the stored token is fresh");

    // Expired: renewed with the refresh token (and the client stored with it), and the file
    // keeps the new access token.
    sheet.emu.expire_tokens();
    settings.auth = SheetsAuth::OAuth {
        token_file: token_file.clone(),
        client_id: String::new(),
        client_secret: Secret::new(""),
    };
    let mut c = SheetsConnector::new(settings.clone()).unwrap();
    c.observe(None)
        .await
        .expect("renewed with the refresh token");
    assert_eq!(grants(), 2);
    let renewed = read_token_file(&token_file).unwrap();
    assert_eq!(renewed.token.refresh_token, stored.token.refresh_token);
    assert_ne!(renewed.token.access_token, stored.token.access_token);
    assert_ne!(std::fs::read_to_string(&token_file).unwrap(), text);

    // The person removed throughline's access: the next renewal fails, loudly and clearly.
    sheet.emu.revoke_refresh_tokens();
    sheet.emu.expire_tokens();
    let e = c.observe(None).await.unwrap_err();
    let ConnectorError::Auth { message } = &e else {
        panic!("expected an auth error, got {e:?}")
    };
    assert!(message.contains("writers-sheet"), "{message}");
    assert!(
        message.contains("Token has been expired or revoked"),
        "{message}"
    );
    assert!(message.contains("throughline auth google"), "{message}");
    assert!(!message.contains(&stored.token.refresh_token), "{message}");
    assert!(!message.contains(&client_secret), "{message}");

    // A bare access token cannot be renewed: it says what to use instead.
    let mut bare = sheet.settings("writers-sheet");
    bare.auth = SheetsAuth::Token(Secret::new(renewed.token.access_token.unwrap()));
    let mut c = SheetsConnector::new(bare).unwrap();
    let e = c.observe(None).await.unwrap_err();
    assert!(
        matches!(&e, ConnectorError::Auth { message } if message.contains("service account")),
        "{e:?}"
    );
}
