//! The first round: the sections and tags the changes need, found in the snapshot or the
//! workspace, else created.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::json;
use throughline_connector::{Change, ConnectorError, State};

use crate::AsanaConnector;
use crate::client::Action;
use crate::codec::Named;
use crate::mapping::ChannelAs;
use crate::observe::Snapshot;

impl AsanaConnector {
    /// Create the sections the changes need that the project lacks, one at a time so they
    /// appear in stage order. Name → gid, or why it could not be made.
    pub(super) async fn ensure_sections(
        &self,
        snap: &mut Snapshot,
        changes: &[Change],
    ) -> BTreeMap<String, Result<String, ConnectorError>> {
        let mut wanted: Vec<(u64, String)> = Vec::new();
        {
            for change in changes {
                let (group, position) = match change {
                    Change::CreateTask { task } => (&task.fields.group, task.context.position),
                    Change::UpdateTask {
                        fields: Some(f),
                        context,
                        ..
                    } => (&f.group, context.position),
                    _ => continue,
                };
                if !group.is_empty() {
                    wanted.push((position, group.clone()));
                }
            }
        }
        wanted.sort();
        let mut out = BTreeMap::new();
        for (_, name) in wanted {
            if out.contains_key(&name) {
                continue;
            }
            let found = snap
                .sections
                .iter()
                .find(|s| s.name.trim() == name.trim())
                .map(|s| s.gid.clone());
            let result = match found {
                Some(gid) => Ok(gid),
                None if !self.settings.mapping.create_sections => Err(ConnectorError::Invalid {
                    message: format!(
                        "project {} of target `{}` has no section \"{name}\", and the mapping says \
                         not to create sections (`sections.create_missing = false`); add the \
                         section in Asana",
                        self.settings.project, self.settings.target
                    ),
                }),
                None => {
                    let project = &self.settings.project;
                    let action = Action::new(Method::POST, format!("/projects/{project}/sections"))
                        .data(json!({"name": name}))
                        .fields("name");
                    let answer = self
                        .api
                        .batch(vec![action])
                        .await
                        .pop()
                        .expect("one answer");
                    answer.and_then(|body| {
                        let s: Named =
                            serde_json::from_value(body["data"].clone()).map_err(|e| {
                                ConnectorError::Fatal {
                                    message: format!(
                                        "Asana answered a new section throughline cannot read ({e})"
                                    ),
                                }
                            })?;
                        snap.sections.push(s.clone());
                        Ok(s.gid)
                    })
                }
            };
            out.insert(name, result);
        }
        out
    }

    /// The tags the changes need (the archive tag, channel tags), created when missing.
    pub(super) async fn ensure_tags(
        &self,
        snap: &mut Snapshot,
        changes: &[Change],
    ) -> BTreeMap<String, Result<String, ConnectorError>> {
        let wanted = self.wanted_tags(changes);
        let mut out = BTreeMap::new();
        let missing: Vec<String> = wanted
            .iter()
            .filter(|n| find_tag(snap, n).is_none())
            .cloned()
            .collect();
        if !missing.is_empty() {
            if let Err(e) = self.learn_tags(snap).await {
                for name in &missing {
                    out.insert(name.clone(), Err(e.clone()));
                }
                return out;
            }
            self.create_tags(snap, missing, &mut out).await;
        }
        for name in wanted {
            if out.contains_key(&name) {
                continue;
            }
            let result = find_tag(snap, &name).ok_or_else(|| ConnectorError::Fatal {
                message: format!("the Asana tag `{name}` could not be created"),
            });
            out.insert(name, result);
        }
        out
    }

    /// The names of the tags the changes put on tasks.
    fn wanted_tags(&self, changes: &[Change]) -> BTreeSet<String> {
        let mapping = &self.settings.mapping;
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        for change in changes {
            match change {
                Change::ArchiveTask { .. } | Change::ArchiveEntry { .. } => {
                    wanted.insert(mapping.archive_tag.clone());
                }
                Change::UpdateTask {
                    unarchive: true, ..
                }
                | Change::UpdateEntry {
                    unarchive: true, ..
                } => {
                    wanted.insert(mapping.archive_tag.clone());
                }
                _ => {}
            }
            let blocks = match change {
                Change::CreateTask { task } => task.state == State::Blocked,
                Change::UpdateTask { state, .. } => *state == Some(State::Blocked),
                _ => false,
            };
            if let Some(tag) = self.blocked_tag().filter(|_| blocks) {
                wanted.insert(tag.to_owned());
            }
            if let ChannelAs::Tag = mapping.channel {
                let channel = match change {
                    Change::CreateTask { task } => task.context.channel.as_ref(),
                    Change::UpdateTask {
                        context,
                        fields: Some(_),
                        ..
                    } => context.channel.as_ref(),
                    _ => None,
                };
                if let Some(c) = channel.filter(|c| !c.trim().is_empty()) {
                    wanted.insert(c.clone());
                }
            }
        }
        wanted
    }

    /// Every tag of the workspace into the snapshot: someone may have made a missing tag
    /// already, so look before creating another.
    async fn learn_tags(&self, snap: &mut Snapshot) -> Result<(), ConnectorError> {
        let workspace = &self.settings.workspace;
        let all = self
            .api
            .list(
                &format!("/workspaces/{workspace}/tags"),
                &[("opt_fields", "name")],
                &format!("the tags of workspace {workspace}"),
            )
            .await?;
        for t in all {
            if let (Some(gid), Some(name)) = (t["gid"].as_str(), t["name"].as_str()) {
                snap.tags.insert(name.to_owned(), gid.to_owned());
            }
        }
        Ok(())
    }

    /// Creates the tags still missing in one batch; a failed create is kept in `out`.
    async fn create_tags(
        &self,
        snap: &mut Snapshot,
        missing: Vec<String>,
        out: &mut BTreeMap<String, Result<String, ConnectorError>>,
    ) {
        let create: Vec<String> = missing
            .into_iter()
            .filter(|n| find_tag(snap, n).is_none())
            .collect();
        let actions = create
            .iter()
            .map(|name| {
                Action::new(Method::POST, "/tags")
                    .data(json!({"name": name, "workspace": self.settings.workspace}))
                    .fields("name")
            })
            .collect();
        for (name, answer) in create.iter().zip(self.api.batch(actions).await) {
            match answer {
                Ok(body) => {
                    if let Some(gid) = body["data"]["gid"].as_str() {
                        snap.tags.insert(name.clone(), gid.to_owned());
                    }
                }
                Err(e) => {
                    out.insert(name.clone(), Err(e));
                }
            }
        }
    }
}

/// The gid of the snapshot's tag of this name (case and surrounding spaces aside).
fn find_tag(snap: &Snapshot, name: &str) -> Option<String> {
    snap.tags
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name.trim()))
        .map(|(_, gid)| gid.clone())
}

/// The sections and tags the first round made or found, by name.
pub(super) struct Prepared<'a> {
    pub(super) sections: &'a BTreeMap<String, Result<String, ConnectorError>>,
    pub(super) tags: &'a BTreeMap<String, Result<String, ConnectorError>>,
}

impl Prepared<'_> {
    pub(super) fn tag(&self, name: &str) -> Result<String, ConnectorError> {
        prepared_gid(self.tags, "tag", name)
    }

    pub(super) fn section(&self, name: &str) -> Result<String, ConnectorError> {
        prepared_gid(self.sections, "section", name)
    }
}

fn prepared_gid(
    gids: &BTreeMap<String, Result<String, ConnectorError>>,
    kind: &str,
    name: &str,
) -> Result<String, ConnectorError> {
    gids.get(name).cloned().unwrap_or_else(|| {
        Err(ConnectorError::Fatal {
            message: format!("the {kind} `{name}` was not prepared"),
        })
    })
}
