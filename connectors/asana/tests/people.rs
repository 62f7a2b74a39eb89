//! Who can be an assignee, and what asking costs: nothing when the observation saw everyone as
//! an assignee already, else one listing of the workspace's users, once per connector.

mod common;

use std::collections::BTreeSet;

use common::{Mode, Setup, task};
use throughline_connector::{Change, Connector};

fn set(people: &[&str]) -> BTreeSet<String> {
    people.iter().map(|p| p.to_string()).collect()
}

/// Listings of the workspace's users since the log was cleared.
fn listings(s: &Setup) -> usize {
    let n = s
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/users"))
        .count();
    s.emu.clear_requests();
    n
}

#[tokio::test]
async fn users_by_email_or_the_people_map_listed_once() {
    let s = Setup::new(Mode::Marker).await;
    s.emu
        .add_people(&s.seeded.workspace, [("Noa Katz", "noa.katz@example.com")]);
    let mut settings = s.settings();
    settings
        .people
        .insert("noa@example.com".into(), "Noa.Katz@example.com".into());
    settings
        .people
        .insert("gil@example.com".into(), "gil@elsewhere.com".into());
    let mut c = throughline_asana::AsanaConnector::new(settings.clone()).unwrap();
    c.observe(None).await.unwrap();
    s.emu.clear_requests();

    let asked = set(&[
        "ana@example.com",
        "BEN@example.com",
        "noa@example.com",
        "gil@example.com",
        "eli@example.com",
    ]);
    let known = c.people_with_accounts(&asked).await.unwrap();
    assert_eq!(
        known,
        set(&["ana@example.com", "BEN@example.com", "noa@example.com"]),
        "by e-mail in any case, or through the map; not a map entry to a stranger"
    );
    assert_eq!(listings(&s), 1);
    assert_eq!(c.people_with_accounts(&asked).await.unwrap(), known);
    assert_eq!(listings(&s), 0, "listed once per connector");

    // Once everyone is an assignee the observation has seen, a new connector asks nothing.
    let mut t = task("post", "draft", 1, &["facts"]);
    t.fields.owner = Some("noa@example.com".into());
    let created = c.apply(&[Change::CreateTask { task: t }]).await;
    assert!(created.iter().all(Result::is_ok), "{created:?}");
    let mut fresh = throughline_asana::AsanaConnector::new(settings).unwrap();
    fresh.observe(c.cursor()).await.unwrap();
    s.emu.clear_requests();
    let seen = set(&["noa@example.com", "ben@example.com"]);
    assert_eq!(fresh.people_with_accounts(&seen).await.unwrap(), seen);
    assert_eq!(listings(&s), 0, "noa and ben are assignees of the project");
}
