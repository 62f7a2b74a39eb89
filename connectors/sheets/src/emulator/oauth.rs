//! Google's OAuth endpoints: the token endpoint (JWT bearer grant checked against the service
//! account's key, refresh tokens, the authorization code with PKCE) and the consent page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::server::*;
use super::{CodeGrant, RefreshGrant, Shared, Token, World};
use crate::auth::JWT_BEARER_GRANT;
use throughline_connector::emulator_kit::lock;

pub(super) fn oauth_error(status: u16, error: &str, description: &str) -> Answer {
    Answer {
        status,
        body: json!({"error": error, "error_description": description}),
        headers: Vec::new(),
    }
}

pub(super) fn issue(world: &mut World, principal: &str, scopes: Vec<String>) -> (String, u64) {
    let token = format!(
        "ya29.a0{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    );
    let lifetime = world.token_lifetime;
    world.tokens.insert(
        token.clone(),
        Token {
            principal: principal.to_owned(),
            scopes,
            expires: Some(Instant::now() + lifetime),
            revoked: false,
        },
    );
    (token, lifetime.as_secs())
}

/// The form's value of `key`.
fn field<'f>(form: &'f [(String, String)], key: &str) -> Option<&'f str> {
    form.iter().find(|(n, _)| n == key).map(|(_, v)| v.as_str())
}

pub(super) fn token_endpoint(shared: &Shared, form: &[(String, String)]) -> Answer {
    let base = lock(&shared.base_url).clone();
    let mut world = shared.world();
    match field(form, "grant_type") {
        Some(g) if g == JWT_BEARER_GRANT => jwt_grant(&mut world, form, &base),
        Some("refresh_token") => refresh_grant(&mut world, form),
        Some("authorization_code") => code_grant(&mut world, form),
        Some(other) => oauth_error(
            400,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {other}"),
        ),
        None => oauth_error(400, "unsupported_grant_type", "Invalid grant_type: "),
    }
}

/// A service account's signed assertion for an access token.
fn jwt_grant(world: &mut World, form: &[(String, String)], base: &str) -> Answer {
    let Some(assertion) = field(form, "assertion") else {
        return oauth_error(
            400,
            "invalid_request",
            "Missing required parameter: assertion",
        );
    };
    match verify_jwt(world, assertion, &format!("{base}/token")) {
        Ok((email, scopes)) => {
            let (token, secs) = issue(world, &email, scopes);
            Answer::ok(json!({"access_token": token, "expires_in": secs, "token_type": "Bearer"}))
        }
        Err(description) => oauth_error(400, "invalid_grant", &description),
    }
}

/// The OAuth client named in the form, if its secret matches.
fn client<'f>(world: &World, form: &'f [(String, String)]) -> Result<&'f str, Answer> {
    let (Some(id), Some(secret)) = (field(form, "client_id"), field(form, "client_secret")) else {
        return Err(oauth_error(
            401,
            "invalid_client",
            "The OAuth client was not found.",
        ));
    };
    if world.clients.get(id).map(String::as_str) != Some(secret) {
        return Err(oauth_error(401, "invalid_client", "Unauthorized"));
    }
    Ok(id)
}

/// A refresh token for a new access token.
fn refresh_grant(world: &mut World, form: &[(String, String)]) -> Answer {
    let id = match client(world, form) {
        Ok(id) => id,
        Err(a) => return a,
    };
    let Some(grant) = field(form, "refresh_token")
        .and_then(|r| world.refresh_tokens.get(r))
        .cloned()
    else {
        return oauth_error(400, "invalid_grant", "Token has been expired or revoked.");
    };
    if grant.client_id != id {
        return oauth_error(400, "unauthorized_client", "Unauthorized");
    }
    let scopes = grant.scopes.clone();
    let (token, secs) = issue(world, &grant.principal, scopes.clone());
    Answer::ok(
        json!({"access_token": token, "expires_in": secs, "scope": scopes.join(" "), "token_type": "Bearer"}),
    )
}

/// The desktop flow's code (with its PKCE verifier) for an access and a refresh token.
fn code_grant(world: &mut World, form: &[(String, String)]) -> Answer {
    let id = match client(world, form) {
        Ok(id) => id,
        Err(a) => return a,
    };
    let Some(grant) = field(form, "code").and_then(|c| world.codes.remove(c)) else {
        return oauth_error(400, "invalid_grant", "Malformed auth code.");
    };
    if grant.client_id != id || Some(grant.redirect_uri.as_str()) != field(form, "redirect_uri") {
        return oauth_error(400, "redirect_uri_mismatch", "Bad Request");
    }
    if let Some(challenge) = &grant.challenge {
        let verifier = field(form, "code_verifier").unwrap_or("");
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        if URL_SAFE_NO_PAD.encode(digest.as_ref()) != *challenge {
            return oauth_error(400, "invalid_grant", "Invalid code verifier.");
        }
    }
    let user = world.user.clone();
    let (token, secs) = issue(world, &user, grant.scopes.clone());
    let refresh = format!("1//0{:032x}", rand::random::<u128>());
    world.refresh_tokens.insert(
        refresh.clone(),
        RefreshGrant {
            client_id: id.to_owned(),
            principal: user,
            scopes: grant.scopes.clone(),
        },
    );
    Answer::ok(
        json!({"access_token": token, "expires_in": secs, "refresh_token": refresh,
                      "scope": grant.scopes.join(" "), "token_type": "Bearer"}),
    )
}

/// Check a service account's signed assertion; returns its e-mail and scopes.
pub(super) fn verify_jwt(
    world: &World,
    jwt: &str,
    audience: &str,
) -> Result<(String, Vec<String>), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [h, c, sig] = parts.as_slice() else {
        return Err("Invalid JWT: not three parts".to_owned());
    };
    let decode = |p: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|_| "Invalid JWT: not base64url".to_owned())?;
        serde_json::from_slice(&bytes).map_err(|_| "Invalid JWT: not JSON".to_owned())
    };
    let header = decode(h)?;
    let claims = decode(c)?;
    if header["alg"] != "RS256" {
        return Err("Invalid JWT: unsupported signing algorithm".to_owned());
    }
    let iss = claims["iss"].as_str().unwrap_or("");
    let Some(public) = world.service_accounts.get(iss) else {
        return Err("Invalid grant: account not found".to_owned());
    };
    let signature = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| "Invalid JWT Signature.".to_owned())?;
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        public,
    );
    key.verify(format!("{h}.{c}").as_bytes(), &signature)
        .map_err(|_| "Invalid JWT Signature.".to_owned())?;
    let aud = claims["aud"].as_str().unwrap_or("");
    if aud != audience && aud != crate::auth::GOOGLE_TOKEN_URL {
        return Err(format!("Invalid JWT: Invalid audience: {aud}"));
    }
    let now = Timestamp::now().as_second();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    if exp <= now || iat > now + 300 || exp - iat > 3600 {
        return Err(
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable \
                    timeframe. Check your iat and exp values in the JWT claim."
                .to_owned(),
        );
    }
    let scopes: Vec<String> = claims["scope"]
        .as_str()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err("Invalid OAuth scope or ID token audience provided.".to_owned());
    }
    Ok((iss.to_owned(), scopes))
}

/// The desktop flow's consent page: it agrees at once and sends the browser back with a code.
pub(super) fn authorize_endpoint(shared: &Shared, query: &[(String, String)]) -> Answer {
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut world = shared.world();
    let (Some(client_id), Some(redirect)) = (get("client_id"), get("redirect_uri")) else {
        return oauth_error(
            400,
            "invalid_request",
            "Missing required parameter: client_id or redirect_uri",
        );
    };
    if !world.clients.contains_key(&client_id) {
        return oauth_error(401, "invalid_client", "The OAuth client was not found.");
    }
    if get("response_type").as_deref() != Some("code") {
        return oauth_error(
            400,
            "unsupported_response_type",
            "response_type must be code",
        );
    }
    let challenge = get("code_challenge");
    if challenge.is_some() && get("code_challenge_method").as_deref() != Some("S256") {
        return oauth_error(400, "invalid_request", "code_challenge_method must be S256");
    }
    let scopes: Vec<String> = get("scope")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let code = format!("4/0A{:032x}", rand::random::<u128>());
    world.codes.insert(
        code.clone(),
        CodeGrant {
            client_id,
            redirect_uri: redirect.clone(),
            challenge,
            scopes,
        },
    );
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let state = get("state")
        .map(|s| format!("&state={}", crate::client::encode_path(&s)))
        .unwrap_or_default();
    Answer {
        status: 302,
        body: Value::Null,
        headers: vec![(
            "location",
            format!(
                "{redirect}{sep}code={}{state}",
                crate::client::encode_path(&code)
            ),
        )],
    }
}
