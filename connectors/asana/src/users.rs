//! Who can be an assignee: the people the target maps, or whose e-mail address is a user of the
//! workspace. Asked once a cycle, after the observation, which already knows every assignee of
//! the project; the workspace's users are listed (100 to a request) only when someone is not
//! among them, and at most once per connector (a cycle's instance).

use std::collections::BTreeSet;

use throughline_connector::ConnectorError;

use crate::AsanaConnector;

impl AsanaConnector {
    /// The Asana user a hub person is: the target's `people` entry, else their own e-mail.
    fn account<'a>(&'a self, person: &'a str) -> &'a str {
        self.settings
            .people
            .get(person)
            .map(String::as_str)
            .unwrap_or(person)
    }

    /// An assignee the last observation read: `account` is their gid or e-mail address.
    fn assignee_seen(&self, account: &str) -> bool {
        self.snapshot.as_ref().is_some_and(|s| {
            // A user read by gid alone (deactivated, no e-mail) proves nothing.
            s.users.iter().any(|(gid, email)| {
                email != gid && (gid == account || email.eq_ignore_ascii_case(account))
            })
        })
    }

    pub(crate) async fn with_accounts(
        &mut self,
        people: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>, ConnectorError> {
        if self.users.is_none() && people.iter().any(|p| !self.assignee_seen(self.account(p))) {
            self.users = Some(self.workspace_users().await?);
        }
        Ok(people
            .iter()
            .filter(|p| {
                let account = self.account(p);
                self.assignee_seen(account)
                    || self
                        .users
                        .as_ref()
                        .is_some_and(|u| u.contains(&account.to_lowercase()))
            })
            .cloned()
            .collect())
    }

    /// Every user of the workspace, by gid and by e-mail address (lower case).
    async fn workspace_users(&self) -> Result<BTreeSet<String>, ConnectorError> {
        let workspace = &self.settings.workspace;
        let users = self
            .api
            .list(
                "/users",
                &[("workspace", workspace), ("opt_fields", "email")],
                &format!("the users of workspace {workspace}"),
            )
            .await?;
        Ok(users
            .iter()
            .flat_map(|u| [u["gid"].as_str(), u["email"].as_str()])
            .flatten()
            .map(str::to_lowercase)
            .collect())
    }
}
