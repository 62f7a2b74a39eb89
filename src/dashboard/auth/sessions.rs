//! Signed-in sessions and the limits on sign-in attempts, kept in memory: a restart signs
//! everyone out, which is the safe way to fail.
//!
//! - A session id is 32 random bytes (base64url) in the cookie; the table is keyed by its
//!   SHA-256, so a lookup's timing says nothing about the ids it holds, and a copy of the
//!   table's memory holds no usable cookie.
//! - Each session has its own CSRF token (32 random bytes), compared in constant time.
//! - Sign-in attempts are limited per client address and for everyone together (a guesser
//!   with many addresses still meets the second).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// At most this many sessions are kept; past it the oldest goes (a flood of sign-ins cannot
/// grow memory without bound).
const MAX_SESSIONS: usize = 10_000;

/// Attempts one client address may make at once, then one more a minute.
pub const PER_CLIENT_BURST: u32 = 5;
/// Attempts everyone together may make at once, then one more every two seconds.
pub const GLOBAL_BURST: u32 = 60;

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub csrf: String,
    pub expires: Instant,
    created: Instant,
}

/// The sessions of one dashboard and its sign-in limits.
pub struct Sessions {
    table: Mutex<HashMap<[u8; 32], Session>>,
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    global: DefaultDirectRateLimiter,
}

impl Default for Sessions {
    fn default() -> Self {
        let per_client = Quota::per_minute(NonZeroU32::MIN)
            .allow_burst(NonZeroU32::new(PER_CLIENT_BURST).unwrap_or(NonZeroU32::MIN));
        let global = Quota::per_minute(NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(GLOBAL_BURST).unwrap_or(NonZeroU32::MIN));
        Sessions {
            table: Mutex::new(HashMap::new()),
            per_client: governor::RateLimiter::keyed(per_client),
            global: governor::RateLimiter::direct(global),
        }
    }
}

/// A new random token: 32 bytes, base64url without padding (43 characters).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// Constant-time equality of two secrets (the length may show; the tokens' lengths are fixed).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Why a sign-in attempt is not even tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// This address tried too often.
    Client,
    /// Everyone together tried too often.
    Everyone,
}

impl Sessions {
    /// Count one sign-in attempt from `client` (`None`: the address is unknown, only the limit
    /// for everyone applies).
    pub fn attempt(&self, client: Option<IpAddr>) -> Result<(), Limited> {
        if let Some(ip) = client
            && self.per_client.check_key(&ip).is_err()
        {
            return Err(Limited::Client);
        }
        self.global.check().map_err(|_| Limited::Everyone)?;
        // The keyed table forgets addresses whose allowance is full again.
        if self.per_client.len() > MAX_SESSIONS {
            self.per_client.retain_recent();
        }
        Ok(())
    }

    /// Start a session for `user`, lasting `ttl`: (the cookie's id, the session).
    pub fn start(&self, user: &str, ttl: Duration) -> (String, Session) {
        let id = random_token();
        let now = Instant::now();
        let session = Session {
            user: user.to_string(),
            csrf: random_token(),
            expires: now + ttl,
            created: now,
        };
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.retain(|_, s| s.expires > now);
        if table.len() >= MAX_SESSIONS
            && let Some(oldest) = table.iter().min_by_key(|(_, s)| s.created).map(|(k, _)| *k)
        {
            table.remove(&oldest);
        }
        table.insert(key(&id), session.clone());
        (id, session)
    }

    /// The live session of a cookie's id.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let k = key(id);
        match table.get(&k) {
            Some(s) if s.expires > now => Some(s.clone()),
            Some(_) => {
                table.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Sign a session out.
    pub fn end(&self, id: &str) {
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_id_until_it_ends() {
        let s = Sessions::default();
        let (id, session) = s.start("dana", Duration::from_secs(60));
        assert_eq!(id.len(), 43);
        assert_eq!(s.get(&id).unwrap().user, "dana");
        assert_eq!(s.get(&id).unwrap().csrf, session.csrf);
        assert!(s.get(&random_token()).is_none());
        s.end(&id);
        assert!(s.get(&id).is_none());
    }

    #[test]
    fn an_expired_session_is_gone() {
        let s = Sessions::default();
        let (id, _) = s.start("dana", Duration::ZERO);
        assert!(s.get(&id).is_none());
    }

    #[test]
    fn attempts_are_limited_per_address_and_for_everyone() {
        let s = Sessions::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..PER_CLIENT_BURST {
            assert_eq!(s.attempt(Some(a)), Ok(()));
        }
        assert_eq!(s.attempt(Some(a)), Err(Limited::Client));
        // Other addresses still may, until everyone together has used the allowance.
        let mut n = PER_CLIENT_BURST;
        let mut last = 0u32;
        while n < GLOBAL_BURST {
            last += 1;
            let ip = IpAddr::from([10, 1, (last / 200) as u8, (last % 200) as u8]);
            assert_eq!(s.attempt(Some(ip)), Ok(()));
            n += 1;
        }
        assert_eq!(
            s.attempt(Some("10.9.9.9".parse().unwrap())),
            Err(Limited::Everyone)
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
