//! Reading a request: its parts, and percent-decoding.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, Uri};

/// A whole request, read: what every emulator handler starts from.
pub struct Incoming {
    /// The request's method.
    pub method: Method,
    /// The path and query, as sent.
    pub uri: Uri,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The whole body, read.
    pub body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Incoming {
    type Rejection = axum::response::Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let body = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(axum::response::IntoResponse::into_response)?;
        Ok(Incoming {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        })
    }
}

/// Percent-decoding of a path or a query part; `+` is a space in queries and forms, itself in
/// paths. A `%` not followed by two hex digits stays as it is, as the tools take it.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    // `+` becomes a space before decoding, so that `%2B` stays a plus.
    let spaced = if plus_is_space {
        s.replace('+', " ")
    } else {
        s.to_owned()
    };
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_the_tools_do() {
        assert_eq!(percent_decode("%D7%A9+a%2Bb", true), "ש a+b");
        assert_eq!(percent_decode("'Tab+1'!A1%3AB2", false), "'Tab+1'!A1:B2");
        assert_eq!(percent_decode("100%", true), "100%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
    }
}
