//! Signing in with OAuth2 (authorization code, PKCE, loopback redirect) against the emulator's
//! `/-/oauth_authorize` and `/-/oauth_token`.

mod common;

use common::{Mode, Setup};
use throughline_asana::oauth::{self, OAuthApp};
use throughline_connector::http::Secret;

#[tokio::test]
async fn signing_in_stores_a_private_refresh_token_that_works() {
    let s = Setup::new(Mode::OAuth).await;
    let stored = oauth::read_token_file(&s.token_file()).unwrap();
    assert!(stored.refresh_token.starts_with("1/"));
    assert!(stored.access_token.is_some() && stored.expires_at.is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.token_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The access token works against the API.
    let me: serde_json::Value = s
        .http
        .get(format!("{}/users/me", s.emu.base_url()))
        .bearer_auth(stored.access_token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["data"]["email"], "ana@example.com");
}

#[tokio::test]
async fn a_code_without_its_pkce_verifier_is_refused() {
    let s = Setup::new(Mode::Marker).await;
    let (id, secret) = s.emu.add_oauth_client(&s.seeded.user);
    // A browser signs in with a challenge; someone else tries the code with a wrong verifier.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let challenge =
        oauth2::PkceCodeChallenge::from_code_verifier_sha256(&oauth2::PkceCodeVerifier::new(
            "the-right-verifier-0123456789-0123456789-0123456789".into(),
        ));
    let answer = browser
        .get(format!("{}/-/oauth_authorize", s.emu.root_url()))
        .query(&[
            ("client_id", id.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("response_type", "code"),
            ("state", "s1"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let url = reqwest::Url::parse(&location).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let token = |verifier: &'static str| {
        let code = code.clone();
        let (id, secret) = (id.clone(), secret.clone());
        let http = s.http.clone();
        let url = format!("{}/-/oauth_token", s.emu.root_url());
        async move {
            http.post(url)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", "http://127.0.0.1:9/callback"),
                    ("client_id", id.as_str()),
                    ("client_secret", secret.as_str()),
                    ("code_verifier", verifier),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = token("a-wrong-verifier-0123456789-0123456789-0123456789").await;
    assert_eq!(wrong.status().as_u16(), 400);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");

    // And a refresh with a refresh token of another app is refused too.
    let app = OAuthApp::for_base_url(&s.emu.base_url(), id.clone(), Secret::new(secret.clone()));
    let err = oauth::refresh(&app, "1/0:not-a-token").await.unwrap_err();
    assert!(err.to_string().contains("throughline auth asana"), "{err}");
}
