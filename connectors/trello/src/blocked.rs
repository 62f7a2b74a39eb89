//! Blocked cards: the mapping's label (`[blocked] label`, "Blocked") marks a blocked task; its
//! reason is a text custom field of the card (`[blocked] reason_field`) when the board has one,
//! else the newest comment that starts with the label (`Blocked: waiting for legal`). The
//! comments come nested in the one board read, so blocked costs no request while nothing
//! changes; blocking costs one request for the label and one for the reason, unblocking one.

use reqwest::Method;
use throughline_connector::{ConnectorError, StatusCells};

use crate::connector::TrelloConnector;
use crate::observe::{CardState, Snapshot};
use crate::wire;

/// The reason a comment gives, when it is a blocked comment: `<label>: <reason>`.
pub(crate) fn comment_reason<'t>(label: &str, text: &'t str) -> Option<&'t str> {
    let rest = text.trim_start().strip_prefix(label)?;
    Some(rest.strip_prefix(':')?.trim())
}

/// The comment throughline writes for a reason.
pub(crate) fn comment_text(label: &str, reason: &str) -> String {
    format!("{label}: {reason}")
}

impl TrelloConnector {
    /// The id of the board's blocked label, when the mapping names one and the board has it.
    pub(crate) fn blocked_label_id(&self, snap: &Snapshot) -> Option<String> {
        let name = self.mapping().blocked_label.as_ref()?;
        snap.labels
            .iter()
            .find(|l| l.name.as_deref() == Some(name.as_str()))
            .map(|l| l.id.clone())
    }

    /// The id of the text custom field for reasons, when the mapping names one and the board
    /// has it.
    pub(crate) fn reason_field_id(&self, board: &wire::Board) -> Option<String> {
        let name = self.mapping().blocked_reason_field.as_ref()?;
        board
            .custom_fields
            .iter()
            .find(|f| f.name == *name && f.kind == "text")
            .map(|f| f.id.clone())
    }

    /// Whether a card carries the blocked label, and its status cells: the reason it shows.
    pub(crate) fn blocked_of(&self, snap: &Snapshot, cs: &CardState) -> (bool, StatusCells) {
        let Some(label) = self.mapping().blocked_label.as_deref() else {
            return (false, StatusCells::default());
        };
        let blocked = self
            .blocked_label_id(snap)
            .is_some_and(|id| cs.card.id_labels.contains(&id));
        let reason = match &snap.reason_field {
            Some(field) => cs
                .card
                .custom_field_items
                .iter()
                .find(|i| i.id_custom_field == *field)
                .and_then(|i| i.text())
                .map(str::to_owned),
            None => snap
                .comments
                .get(&cs.card.id)
                .and_then(|texts| texts.iter().find_map(|t| comment_reason(label, t)))
                .map(str::to_owned),
        };
        let cells = StatusCells {
            holds_reason: true,
            blocked_reason: reason
                .filter(|r| blocked && !r.trim().is_empty())
                .map(|r| r.trim().to_owned()),
            ..Default::default()
        };
        (blocked, cells)
    }

    /// Bring a card's blocked label and reason to the hub's: the label on or off, and the
    /// reason written where the mapping keeps it when it differs from what the card shows. A
    /// reason is never deleted from a comment: comments are the card's history.
    pub(crate) async fn set_blocked(
        &mut self,
        card: &str,
        identity: &str,
        blocked: bool,
        reason: Option<&str>,
    ) -> Result<(), ConnectorError> {
        let Some(label) = self.mapping().blocked_label.clone() else {
            return Ok(());
        };
        let cs = self.card_state(card)?;
        let (shown, cells) = self.blocked_of(self.snap(), &cs);
        self.show_blocked_label(card, identity, &label, blocked, shown)
            .await?;
        let want = reason.filter(|_| blocked).map(str::trim).unwrap_or("");
        let what = format!("the blocked reason of `{identity}`");
        match self.snap().reason_field.clone() {
            Some(field) => self.write_reason_field(card, &cs, field, want, &what).await,
            // No comment says "no reason" (it would only be noise), nor repeats the shown one.
            None if want.is_empty() || cells.blocked_reason.as_deref() == Some(want) => Ok(()),
            None => self.comment_reason_on(card, &label, want, &what).await,
        }
    }

    /// The blocked label put on a blocked card that does not show it, taken off a card no
    /// longer blocked.
    async fn show_blocked_label(
        &mut self,
        card: &str,
        identity: &str,
        label: &str,
        blocked: bool,
        shown: bool,
    ) -> Result<(), ConnectorError> {
        let what = format!("the blocked label of `{identity}`");
        if blocked && !shown {
            let color = self.mapping().blocked_color.clone();
            let id = self.label_named(label, color).await?;
            let _: serde_json::Value = self
                .api
                .post(
                    &format!("/cards/{card}/idLabels"),
                    &[("value", id.clone())],
                    &what,
                )
                .await?;
            if let Some(cs) = self.snap_mut().cards.get_mut(card) {
                cs.card.id_labels.push(id);
            }
        } else if !blocked && shown {
            let Some(id) = self.blocked_label_id(self.snap()) else {
                return Ok(());
            };
            let _: serde_json::Value = self
                .api
                .call(
                    Method::DELETE,
                    &format!("/cards/{card}/idLabels/{id}"),
                    &[],
                    &what,
                )
                .await?;
            if let Some(cs) = self.snap_mut().cards.get_mut(card) {
                cs.card.id_labels.retain(|l| *l != id);
            }
        }
        Ok(())
    }

    /// The reason written to the card's reason field when it shows another.
    async fn write_reason_field(
        &mut self,
        card: &str,
        cs: &CardState,
        field: String,
        want: &str,
        what: &str,
    ) -> Result<(), ConnectorError> {
        // The field as it stands, also on a card no longer blocked: it is emptied then.
        let has = cs
            .card
            .custom_field_items
            .iter()
            .find(|i| i.id_custom_field == field)
            .and_then(|i| i.text())
            .map_or("", str::trim);
        if has == want {
            return Ok(());
        }
        let body = serde_json::json!({"value": {"text": want}});
        self.api
            .put_json(
                &format!("/cards/{card}/customField/{field}/item"),
                &body,
                what,
            )
            .await?;
        if let Some(cs) = self.snap_mut().cards.get_mut(card) {
            cs.card
                .custom_field_items
                .retain(|i| i.id_custom_field != field);
            cs.card.custom_field_items.push(wire::CustomFieldItem {
                id_custom_field: field,
                value: Some(serde_json::json!({"text": want})),
            });
        }
        Ok(())
    }

    /// The reason as a new comment `<label>: <reason>` on the card.
    async fn comment_reason_on(
        &mut self,
        card: &str,
        label: &str,
        want: &str,
        what: &str,
    ) -> Result<(), ConnectorError> {
        let text = comment_text(label, want);
        let _: serde_json::Value = self
            .api
            .post(
                &format!("/cards/{card}/actions/comments"),
                &[("text", text.clone())],
                what,
            )
            .await?;
        self.snap_mut()
            .comments
            .entry(card.to_owned())
            .or_default()
            .insert(0, text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_comment_gives_its_reason() {
        assert_eq!(
            comment_reason("Blocked", "Blocked: waiting for legal "),
            Some("waiting for legal")
        );
        assert_eq!(comment_reason("Blocked", "  Blocked:"), Some(""));
        assert_eq!(comment_reason("Blocked", "Blocked by legal"), None);
        assert_eq!(comment_reason("Blocked", "Not Blocked: x"), None);
        let text = comment_text("תקוע", "מחכים לאישור");
        assert_eq!(comment_reason("תקוע", &text), Some("מחכים לאישור"));
    }
}
