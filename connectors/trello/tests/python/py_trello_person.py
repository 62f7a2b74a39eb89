"""A person working in Trello through py-trello, a client nobody on this project wrote.

Usage: py_trello_person.py BASE_URL KEY TOKEN BOARD_ID LIST_NAME CARD_NAME ITEM

On the board: makes a new card with a checklist and ticks its first item; then ticks ITEM on
the existing card named CARD_NAME. Prints what it did as JSON.
"""

import json
import sys

import requests
from trello import TrelloClient

TRELLO = "https://api.trello.com/1"


class Rewriter:
    """py-trello's base URL is fixed; this sends its requests to the emulator instead."""

    def __init__(self, base):
        self.base = base.rstrip("/")

    def request(self, method, url, **kwargs):
        assert url.startswith(TRELLO), url
        return requests.request(method, self.base + url[len(TRELLO):], timeout=10, **kwargs)


def main():
    base, key, token, board_id, list_name, card_name, item = sys.argv[1:8]
    client = TrelloClient(api_key=key, token=token, http_service=Rewriter(base))
    board = client.get_board(board_id)
    lists = [l for l in board.list_lists("open") if l.name == list_name]
    assert lists, f"no open list named {list_name!r} on {board.name!r}"
    the_list = lists[0]

    card = the_list.add_card("Made with py-trello", desc="A person's own card")
    checklist = card.add_checklist("Checklist", ["First step", "Second step"])
    checklist.set_checklist_item("First step", True)

    theirs = [c for c in the_list.list_cards() if c.name == card_name]
    assert len(theirs) == 1, f"{len(theirs)} cards named {card_name!r}"
    ticked = False
    for cl in theirs[0].fetch_checklists():
        for i in cl.items:
            if i["name"] == item:
                cl.set_checklist_item(item, True)
                ticked = True
    assert ticked, f"no item {item!r} on {card_name!r}"
    print(json.dumps({"new_card": card.id, "ticked_on": theirs[0].id, "item": item}))


if __name__ == "__main__":
    main()
