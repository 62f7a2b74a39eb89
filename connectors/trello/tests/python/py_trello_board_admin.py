"""A person organising Trello through py-trello, a client nobody on this project wrote: opens the
board and a card by their short links, comments on the card, renames one checklist and removes
another, makes a new board and brings a colleague onto it (by member id and by e-mail). Prints
what it did as JSON.

Usage: py_trello_board_admin.py BASE_URL KEY TOKEN BOARD_ID CARD_NAME COLLEAGUE_ID
"""

import json
import sys

from trello import Member, TrelloClient

from py_trello_person import Rewriter


def short_link(url):
    """`https://trello.com/b/AbCd1234/name` -> `AbCd1234`."""
    return url.split("/")[4]


def main():
    base, key, token, board_id, card_name, colleague = sys.argv[1:7]
    client = TrelloClient(api_key=key, token=token, http_service=Rewriter(base))

    board = client.get_board(board_id)
    by_short = client.get_board(short_link(board.url))
    assert by_short.id == board.id, (by_short.id, board.id)

    cards = [c for c in board.open_cards() if c.name == card_name]
    assert len(cards) == 1, f"{len(cards)} cards named {card_name!r}"
    card = client.get_card(short_link(cards[0].url))
    assert card.id == cards[0].id, (card.id, cards[0].id)

    before = card.get_comments()
    card.comment("Looks good, shipping Friday")
    card.fetch()
    comments = card.fetch_comments()

    checklist = card.fetch_checklists()[0]
    checklist.rename("Steps to launch")
    scratch = card.add_checklist("Scratch", ["Throw away"])
    left = client.fetch_json(
        "/cards/%s/checklists/%s" % (short_link(card.url), scratch.id), http_method="DELETE"
    )

    new_board = client.add_board("Made with py-trello")
    lists = [l.name for l in new_board.list_lists("open")]
    new_board.add_member(Member(client, colleague), "normal")
    client.fetch_json(
        "/boards/%s/members" % new_board.id,
        http_method="PUT",
        query_params={"email": "noa@example.com", "type": "observer"},
        post_args={"fullName": "Noa Peretz"},
    )
    members = sorted(m.full_name for m in new_board.all_members())
    me = client.get_member("me")

    print(
        json.dumps(
            {
                "comments_before": len(before),
                "comments": [c["data"]["text"] for c in comments],
                "comment_count": card.badges["comments"],
                "renamed": checklist.id,
                "left_after_delete": [c["name"] for c in left],
                "new_board": new_board.id,
                "new_board_lists": lists,
                "new_board_members": members,
                "me": me.username,
            }
        )
    )


if __name__ == "__main__":
    main()
