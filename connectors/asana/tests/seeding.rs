//! Seeding people (`throughline emulate asana --people/--deployment`): each person is a user of
//! the workspace, found by address; the token belongs to the first of them.

use throughline_asana::emulator::Emulator;

#[tokio::test]
async fn people_become_workspace_users_found_by_address() {
    let emu = Emulator::start().await.unwrap();
    let seeded = emu.seed_with(&[
        ("Dana Levi", "dana@example.com"),
        ("Yossi", "yossi@example.com"),
    ]);
    let dana = emu.user_by_email("dana@example.com").unwrap();
    assert_eq!(seeded.user, dana);
    // Someone already there (any case) is the same user, not a second one.
    let again = emu.add_people(&seeded.workspace, [("Dana", "DANA@example.com")]);
    assert_eq!(again, [dana]);

    let users = get(
        &format!(
            "{}/workspaces/{}/users?opt_fields=name,email",
            emu.base_url(),
            seeded.workspace
        ),
        &seeded.token,
    )
    .await;
    let mut seen: Vec<(&str, &str)> = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["email"].as_str().unwrap()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("Dana Levi", "dana@example.com"),
            ("Yossi", "yossi@example.com")
        ]
    );

    // The token acts as the first person.
    let me = get(
        &format!("{}/users/me?opt_fields=email", emu.base_url()),
        &seeded.token,
    )
    .await;
    assert_eq!(me["data"]["email"], "dana@example.com");
}

async fn get(url: &str, token: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
