//! Fault rules: what goes wrong with which requests.

use std::sync::Mutex;
use std::time::Duration;

use super::lock;

/// What goes wrong with a request a [`FaultRule`] matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status, in the tool's error shape, before doing anything (429 gets the
    /// tool's rate-limit body).
    Status(u16),
    /// Do the work, then answer with this status: the change happened, the client cannot
    /// tell.
    StatusAfterApply(u16),
    /// Answer `429` with `Retry-After: <seconds>` before doing anything.
    RateLimited {
        /// The seconds the client is told to wait.
        retry_after: u64,
    },
    /// Wait this long, then handle the request as usual.
    Delay(Duration),
    /// Close the connection without a complete answer, before doing anything.
    Drop,
    /// Do the work, then close the connection without a complete answer.
    DropAfterApply,
    /// The short-lived cursors handed out so far (Asana's page offsets) expire just before
    /// this request is answered; an emulator without such cursors answers as usual.
    ExpireCursors,
}

/// How a request ends early because of its fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Early {
    /// Answer with this status; `retry_after` in seconds when the fault names one.
    Status {
        /// The HTTP status code.
        code: u16,
        /// The seconds for a `Retry-After` header, if any.
        retry_after: Option<u64>,
    },
    /// Break the connection ([`super::broken_body`]).
    Drop,
}

impl Fault {
    /// Before the request is handled: waits out a [`Fault::Delay`], and says how the request
    /// ends when the fault ends it before anything is done.
    pub async fn before(fault: Option<&Fault>) -> Option<Early> {
        match fault? {
            Fault::Delay(wait) => {
                tokio::time::sleep(*wait).await;
                None
            }
            Fault::Status(code) => Some(Early::Status {
                code: *code,
                retry_after: None,
            }),
            Fault::RateLimited { retry_after } => Some(Early::Status {
                code: 429,
                retry_after: Some(*retry_after),
            }),
            Fault::Drop => Some(Early::Drop),
            _ => None,
        }
    }

    /// After the request was carried out: how the answer is lost, if it is.
    pub fn after(fault: Option<&Fault>) -> Option<Early> {
        match fault? {
            Fault::StatusAfterApply(code) => Some(Early::Status {
                code: *code,
                retry_after: None,
            }),
            Fault::DropAfterApply => Some(Early::Drop),
            _ => None,
        }
    }
}

/// A fault and which requests it hits.
#[derive(Debug, Clone)]
pub struct FaultRule {
    /// What goes wrong with the requests it hits.
    pub fault: Fault,
    /// `GET`, `POST`, ... (any when `None`).
    pub method: Option<String>,
    /// A part of the path (any when `None`), e.g. `"/cards"`, `":batchUpdate"`.
    pub path_contains: Option<String>,
    /// How many requests it hits before it stops (forever when `None`).
    pub times: Option<u32>,
    /// The chance that a matching request is hit, from 0 to 1.
    pub probability: f64,
}

impl FaultRule {
    /// A rule that hits every request, every time, with `fault`.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            fault,
            method: None,
            path_contains: None,
            times: None,
            probability: 1.0,
        }
    }

    /// Only requests with this method (`GET`, `post`: case does not matter).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only requests whose path contains `part`.
    pub fn path(mut self, part: &str) -> Self {
        self.path_contains = Some(part.to_owned());
        self
    }

    /// Only requests with this method whose path contains `part`.
    pub fn on(self, method: &str, part: &str) -> Self {
        self.method(method).path(part)
    }

    /// Only the first `n` requests it hits.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Hit a matching request with chance `p`, from 0 to 1.
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = p;
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self.times != Some(0)
    }
}

/// The rules of one emulator, tried in the order they were added.
#[derive(Debug, Default)]
pub struct FaultRules(Mutex<Vec<FaultRule>>);

impl FaultRules {
    /// Add a rule, tried after those already there.
    pub fn add(&self, rule: FaultRule) {
        lock(&self.0).push(rule);
    }

    /// Remove every rule: requests are answered as usual again.
    pub fn clear(&self) {
        lock(&self.0).clear();
    }

    /// The fault of the first rule this request hits, counted against the rule (a rule whose
    /// count runs out goes).
    pub fn pick(&self, method: &str, path: &str) -> Option<Fault> {
        let mut rules = lock(&self.0);
        let hit = rules.iter_mut().find(|rule| {
            rule.matches(method, path)
                && (rule.probability >= 1.0 || rand::random::<f64>() < rule.probability)
        });
        let fault = hit.map(|rule| {
            if let Some(n) = &mut rule.times {
                *n -= 1;
            }
            rule.fault.clone()
        });
        rules.retain(|r| r.times != Some(0));
        fault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_hits_its_matching_requests_as_many_times_as_asked_then_goes() {
        let rules = FaultRules::default();
        rules.add(
            FaultRule::new(Fault::Status(503))
                .on("post", "/batch")
                .times(2),
        );
        rules.add(FaultRule::new(Fault::Drop).method("GET"));
        assert_eq!(rules.pick("GET", "/batch"), Some(Fault::Drop));
        assert_eq!(rules.pick("POST", "/batch"), Some(Fault::Status(503)));
        assert_eq!(rules.pick("POST", "/tasks"), None);
        assert_eq!(rules.pick("POST", "/api/batch"), Some(Fault::Status(503)));
        assert_eq!(rules.pick("POST", "/batch"), None);
        assert_eq!(lock(&rules.0).len(), 1);
    }

    #[test]
    fn a_rule_that_never_fires_by_chance_hits_nothing() {
        let rules = FaultRules::default();
        rules.add(FaultRule::new(Fault::Status(500)).probability(0.0).times(1));
        assert!((0..50).all(|_| rules.pick("GET", "/x").is_none()));
    }

    #[tokio::test]
    async fn before_and_after_say_how_a_request_ends() {
        let retry = Fault::RateLimited { retry_after: 7 };
        assert_eq!(
            Fault::before(Some(&retry)).await,
            Some(Early::Status {
                code: 429,
                retry_after: Some(7)
            })
        );
        assert_eq!(Fault::after(Some(&retry)), None);
        assert_eq!(Fault::before(Some(&Fault::DropAfterApply)).await, None);
        assert_eq!(
            Fault::after(Some(&Fault::DropAfterApply)),
            Some(Early::Drop)
        );
        assert_eq!(Fault::before(None).await, None);
    }
}
