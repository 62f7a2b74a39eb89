//! Fuzz properties of webhook intake (`daemon::hooks`): Trello and Asana deliveries with
//! damaged bodies (a real-shaped delivery mutated: bytes flipped, cut short, spliced, huge
//! numbers, deep nesting, Hebrew and direction marks, NUL, very long bodies), and signature
//! headers that are garbage, cut short, non-ASCII or of odd length. The daemon never parses a
//! body (a webhook is only a hint), so the signature check is the whole parser of outside input.
//!
//! What must hold: no panic; the true signature of a body is accepted; the signature of
//! another body, or a damaged header, is refused. The number of cases is
//! `THROUGHLINE_FUZZ_CASES` (default 256); `scripts/fuzz` runs 100,000.

use crate::mutate;

use proptest::prelude::*;
use throughline::daemon::hooks::{
    asana_signature, asana_signature_ok, trello_signature, trello_signature_ok,
};

const TRELLO: &str = r#"{"model":{"id":"4e99eb7aa9797361bc22e6ce","name":"שיווק"},"action":{"id":"580d0d3c29b5d0a1dcfd8e3b","idMemberCreator":"4e7185f7bea5e0834f2f753d","data":{"listAfter":{"name":"Done","id":"l3"},"listBefore":{"name":"כתיבה","id":"l2"},"board":{"shortLink":"rq2mYJNn","id":"4e99eb7aa9797361bc22e6ce"},"card":{"shortLink":"4OQEWt3S","idShort":21,"name":"מבצע אביב: כתיבה","id":"c2","idList":"l3"},"old":{"idList":"l2"}},"type":"updateCard","date":"2026-03-02T10:00:00.000Z"}}"#;
const ASANA: &str = r#"{"events":[{"user":{"gid":"1200000000000900","resource_type":"user"},"created_at":"2026-03-02T10:00:00.000Z","action":"changed","resource":{"gid":"1200000000000101","resource_type":"task"},"parent":null,"change":{"field":"completed","action":"changed"}}]}"#;
const CALLBACK: &str = "https://sync.example.com/hooks/trello/studio";

fn header_damage() -> impl Strategy<Value = Vec<mutate::Mutation>> {
    proptest::collection::vec(mutate::mutation(), 1..4)
}

#[test]
fn fuzz_trello_webhook() {
    let strategy = (
        mutate::mutated(vec![TRELLO.as_bytes().to_vec()]),
        mutate::odd_text(),
        header_damage(),
    );
    mutate::run("trello webhook", strategy, |(body, secret, damage)| {
        let good = trello_signature(secret.as_bytes(), &body, CALLBACK);
        prop_assert!(trello_signature_ok(
            secret.as_bytes(),
            &body,
            CALLBACK,
            &good
        ));
        let padded = format!(" {good}\n");
        prop_assert!(trello_signature_ok(
            secret.as_bytes(),
            &body,
            CALLBACK,
            &padded
        ));
        if body != TRELLO.as_bytes() {
            let original = trello_signature(secret.as_bytes(), TRELLO.as_bytes(), CALLBACK);
            prop_assert!(!trello_signature_ok(
                secret.as_bytes(),
                &body,
                CALLBACK,
                &original
            ));
        }
        let mut header = good.clone().into_bytes();
        for m in &damage {
            mutate::apply(&mut header, m);
        }
        let header = mutate::lossy(&header);
        if header.trim() != good {
            // Base64 has spellings that decode alike only with trailing bits set; those are
            // refused by the decoder, so any other header is a refusal.
            prop_assert!(
                !trello_signature_ok(secret.as_bytes(), &body, CALLBACK, &header),
                "{header:?} accepted"
            );
        }
        Ok(())
    });
}

#[test]
fn fuzz_asana_webhook() {
    let strategy = (
        mutate::mutated(vec![ASANA.as_bytes().to_vec()]),
        mutate::odd_text(),
        header_damage(),
    );
    mutate::run("asana webhook", strategy, |(body, secret, damage)| {
        let good = asana_signature(secret.as_bytes(), &body);
        prop_assert!(asana_signature_ok(secret.as_bytes(), &body, &good));
        if body != ASANA.as_bytes() {
            let original = asana_signature(secret.as_bytes(), ASANA.as_bytes());
            prop_assert!(!asana_signature_ok(secret.as_bytes(), &body, &original));
        }
        let mut header = good.clone().into_bytes();
        for m in &damage {
            mutate::apply(&mut header, m);
        }
        let header = mutate::lossy(&header);
        if !header.trim().eq_ignore_ascii_case(&good) {
            prop_assert!(
                !asana_signature_ok(secret.as_bytes(), &body, &header),
                "{header:?} accepted"
            );
        }
        Ok(())
    });
}
