//! Seeding people (`throughline emulate trello --people/--deployment`): each person is a member
//! of the board with a username Trello would accept, made from their address, and never one
//! that someone on the emulator has already.

use throughline_trello::emulator::Emulator;

#[tokio::test]
async fn people_become_board_members_with_usernames_from_their_addresses() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("Content");
    emu.add_member(&board, "dana", "Someone Else");
    let usernames = emu.add_people(
        &board,
        [
            ("Dana Levi", "Dana@example.com"),
            ("Dana L", "dana@example.org"),
            ("Yossi Cohen", "yossi.cohen+work@example.com"),
            ("Al", "al@example.com"),
        ],
    );
    assert_eq!(usernames, ["dana1", "dana2", "yossicohenwork", "al_"]);

    let members: Vec<serde_json::Value> = reqwest::get(format!(
        "{}/boards/{board}/members?key={}&token={}",
        emu.base_url(),
        emu.key(),
        emu.token()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let seen: Vec<(&str, &str)> = members
        .iter()
        .map(|m| {
            (
                m["username"].as_str().unwrap(),
                m["fullName"].as_str().unwrap(),
            )
        })
        .collect();
    for (username, name) in [
        ("dana1", "Dana Levi"),
        ("dana2", "Dana L"),
        ("yossicohenwork", "Yossi Cohen"),
        ("al_", "Al"),
    ] {
        assert!(seen.contains(&(username, name)), "{username}: {seen:?}");
    }
}
