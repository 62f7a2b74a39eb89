//! The shared conformance suite against the emulator, with the default mapping and with the
//! other ways a mapping can hold things.

mod common;

use common::Board;
use throughline_connector::conformance;
use throughline_trello::TrelloMapping;

#[tokio::test]
async fn default_mapping_conforms() {
    let mut board = Board::new(TrelloMapping::default()).await;
    conformance::run(&mut board).await;
}

#[tokio::test]
async fn advanced_checklists_without_templates_and_a_custom_field_conform() {
    let m = TrelloMapping {
        templates: false,
        entry_owner: true,
        entry_due: true,
        ..TrelloMapping::default()
    };
    let mut board = Board::new(m).await;
    board.emu.enable_custom_fields(&board.board);
    board.tz = "America/New_York";
    conformance::run(&mut board).await;
}

#[tokio::test]
async fn advanced_checklists_from_templates_conform() {
    let m = TrelloMapping {
        entry_owner: true,
        entry_due: true,
        ..TrelloMapping::default()
    };
    let mut board = Board::new(m).await;
    board.tz = "Pacific/Auckland";
    conformance::run(&mut board).await;
}

#[tokio::test]
async fn done_as_a_list_conforms() {
    let m = TrelloMapping {
        due_complete: false,
        move_to_done_list: true,
        ..TrelloMapping::default()
    };
    let mut board = Board::new(m).await;
    conformance::run(&mut board).await;
}
