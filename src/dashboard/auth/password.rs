//! Passwords: only their argon2id hashes are kept (in `[dashboard.users]`), made by
//! `throughline dashboard hash-password`; a sign-in is checked against the hash.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// A hash no password matches: checked when the name is unknown, so that a wrong name takes
/// as long as a wrong password and the answer's time does not tell which names exist.
const NOBODY: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bm9ib2R5bm9ib2R5$ScX4YQ2qv1pq6d5kNw1tDlJrYBvY0iT0Jq6j8VYH0mU";

/// The shortest password accepted by `hash-password`.
pub const MIN_LENGTH: usize = 12;

/// Why a password cannot be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(
        "the password is empty; type it on standard input, like: printf '%s' \"$PASSWORD\" | throughline dashboard hash-password"
    )]
    Empty,
    #[error(
        "the password has {0} characters; use at least {MIN_LENGTH} (a few words make a good one)"
    )]
    Short(usize),
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// The argon2id hash of `password` (argon2's recommended cost: 19 MiB, 2 passes), with a new
/// random salt, as the PHC string `[dashboard.users]` takes.
pub fn hash(password: &str) -> Result<String, HashError> {
    let length = password.chars().count();
    if length == 0 {
        return Err(HashError::Empty);
    }
    if length < MIN_LENGTH {
        return Err(HashError::Short(length));
    }
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

/// Whether `password` matches `hash` (at the hash's own cost); `None` checks against a hash
/// nothing matches, taking the same time. The comparison inside is constant-time.
pub fn verify(hash: Option<&str>, password: &str) -> bool {
    let known = hash.is_some();
    let Ok(parsed) = PasswordHash::new(hash.unwrap_or(NOBODY)) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    known && matches
}

/// The password from standard input: its first line, without the line end (so both
/// `printf '%s' pw |` and `echo pw |` work, and a person can type it and press Enter).
pub fn read_password(input: &mut dyn std::io::BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(Some(&h), "correct horse battery"));
        assert!(!verify(Some(&h), "correct horse batterY"));
        assert!(!verify(None, "correct horse battery"));
        // A new salt each time.
        assert_ne!(h, hash("correct horse battery").unwrap());
    }

    #[test]
    fn short_and_empty_passwords_are_refused() {
        assert!(matches!(hash(""), Err(HashError::Empty)));
        assert!(matches!(hash("short"), Err(HashError::Short(5))));
    }

    #[test]
    fn the_line_end_is_not_part_of_the_password() {
        let mut input = std::io::Cursor::new(b"pass word here\r\nmore".to_vec());
        assert_eq!(read_password(&mut input).unwrap(), "pass word here");
        let mut input = std::io::Cursor::new(b"no line end".to_vec());
        assert_eq!(read_password(&mut input).unwrap(), "no line end");
    }

    #[test]
    fn the_stand_in_hash_reads() {
        assert!(PasswordHash::new(NOBODY).is_ok());
    }
}
