//! How Asana represents each resource: full records, compact records, and `opt_fields`
//! selections (with the fields Asana leaves out unless asked).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::world::{Caller, FieldKind, Gid, Task, World, format_time};

/// Fields Asana leaves out of a single object unless `opt_fields` asks for them (the API
/// description's "Opt In" fields), by resource type.
pub(super) const OPT_IN: &[(&str, &[&str])] = &[
    (
        "task",
        &[
            "created_by",
            "approval_status",
            "assigned_by",
            "dependencies",
            "dependents",
            "html_notes",
            "is_rendered_as_separator",
            "num_subtasks",
        ],
    ),
    (
        "project",
        &["html_notes", "project_brief", "created_from_template"],
    ),
    ("story", &["html_text"]),
];

/// Keep `gid` and the requested fields (dotted paths pick fields of nested objects); without
/// `opt_fields`, the object's default representation: everything but its opt-in fields.
pub fn select(full: &Value, fields: Option<Vec<String>>) -> Value {
    let Some(fields) = fields else {
        let mut shown = full.clone();
        let kind = full["resource_type"].as_str().unwrap_or("");
        if let (Some(obj), Some((_, names))) = (
            shown.as_object_mut(),
            OPT_IN.iter().find(|(k, _)| *k == kind),
        ) {
            for n in *names {
                obj.remove(*n);
            }
        }
        return shown;
    };
    let mut tree = Tree::default();
    for f in &fields {
        let mut node = &mut tree;
        for part in f.split('.') {
            node = node.0.entry(part.to_owned()).or_default();
        }
    }
    prune(full, &tree)
}

#[derive(Default)]
pub(super) struct Tree(BTreeMap<String, Tree>);

pub(super) fn prune(value: &Value, tree: &Tree) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| prune(v, tree)).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            if let Some(gid) = map.get("gid") {
                out.insert("gid".into(), gid.clone());
            }
            for (key, sub) in &tree.0 {
                let Some(v) = map.get(key) else { continue };
                let shown = match v {
                    Value::Object(inner) if sub.0.is_empty() => compact_ref(inner),
                    Value::Array(items) if sub.0.is_empty() => Value::Array(
                        items
                            .iter()
                            .map(|i| match i {
                                Value::Object(inner) => compact_ref(inner),
                                other => other.clone(),
                            })
                            .collect(),
                    ),
                    other => prune(other, sub),
                };
                out.insert(key.clone(), shown);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// A referenced object named without sub-fields: its gid and type (whole when it is a value
/// object such as `external`).
pub(super) fn compact_ref(inner: &Map<String, Value>) -> Value {
    match (inner.get("gid"), inner.get("resource_type")) {
        (Some(gid), Some(kind)) => json!({"gid": gid, "resource_type": kind}),
        _ => Value::Object(inner.clone()),
    }
}

pub(super) fn compact_named(v: &Value) -> Value {
    json!({"gid": v["gid"], "resource_type": v["resource_type"], "name": v["name"]})
}

pub(super) fn compact_story(v: &Value) -> Value {
    json!({"gid": v["gid"], "resource_type": "story", "created_at": v["created_at"],
           "created_by": v["created_by"], "resource_subtype": v["resource_subtype"],
           "text": v["text"]})
}

pub(super) fn compact_task(v: &Value) -> Value {
    json!({"gid": v["gid"], "resource_type": "task", "name": v["name"], "resource_subtype": "default_task"})
}

pub(super) fn workspace_json(world: &World, gid: &str) -> Value {
    json!({"gid": gid, "resource_type": "workspace", "name": world.workspaces.get(gid).cloned().unwrap_or_default(), "is_organization": false, "email_domains": []})
}

pub(super) fn user_json(world: &World, gid: &str) -> Value {
    let u = &world.users[gid];
    json!({
        "gid": gid,
        "resource_type": "user",
        "name": u.name,
        "email": u.email,
        "photo": null,
        "workspaces": u.workspaces.iter().map(|w| json!({"gid": w, "resource_type": "workspace", "name": world.workspaces.get(w).cloned().unwrap_or_default()})).collect::<Vec<_>>(),
    })
}

pub(super) fn user_ref(world: &World, gid: &Option<Gid>) -> Value {
    match gid {
        Some(g) => json!({"gid": g, "resource_type": "user", "name": world.name_of(g, "user")}),
        None => Value::Null,
    }
}

pub(super) fn tag_json(world: &World, gid: &str) -> Value {
    let t = &world.tags[gid];
    json!({"gid": gid, "resource_type": "tag", "name": t.name, "color": null, "notes": "", "followers": [], "workspace": {"gid": t.workspace, "resource_type": "workspace", "name": world.workspaces.get(&t.workspace).cloned().unwrap_or_default()}})
}

pub(super) fn project_json(world: &World, gid: &str) -> Value {
    let p = &world.projects[gid];
    json!({
        "gid": gid,
        "resource_type": "project",
        "name": p.name,
        "archived": p.archived,
        "color": p.color,
        "notes": p.notes,
        "html_notes": format!("<body>{}</body>", html_escape(&p.notes)),
        "created_at": format_time(p.created_at),
        "modified_at": format_time(p.modified_at),
        "public": true,
        "workspace": {"gid": p.workspace, "resource_type": "workspace", "name": world.workspaces.get(&p.workspace).cloned().unwrap_or_default()},
        "custom_field_settings": p.fields.iter().map(|f| setting_json(world, gid, f)).collect::<Vec<_>>(),
    })
}

pub(super) fn story_json(world: &World, gid: &str) -> Value {
    let s = &world.stories[gid];
    json!({
        "gid": gid,
        "resource_type": "story",
        "resource_subtype": "comment_added",
        "type": "comment",
        "created_at": format_time(s.created_at),
        "created_by": {"gid": s.created_by, "resource_type": "user", "name": world.name_of(&s.created_by, "user")},
        "text": s.text,
        "html_text": s.html.clone().unwrap_or_else(|| format!("<body>{}</body>", html_escape(&s.text))),
        "is_pinned": s.is_pinned,
        "is_editable": true,
        "is_edited": false,
        "hearted": false,
        "hearts": [],
        "num_hearts": 0,
        "liked": false,
        "likes": [],
        "num_likes": 0,
        "previews": [],
        "source": "api",
        "target": {"gid": s.task, "resource_type": "task", "name": world.name_of(&s.task, "task"), "resource_subtype": "default_task"},
    })
}

pub(super) fn section_json(world: &World, gid: &str) -> Value {
    let s = &world.sections[gid];
    json!({
        "gid": gid,
        "resource_type": "section",
        "name": s.name,
        "created_at": format_time(s.created_at),
        "project": {"gid": s.project, "resource_type": "project", "name": world.name_of(&s.project, "project")},
        "projects": [{"gid": s.project, "resource_type": "project", "name": world.name_of(&s.project, "project")}],
    })
}

pub(super) fn field_json(world: &World, gid: &str) -> Value {
    let f = &world.fields[gid];
    let subtype = match f.kind {
        FieldKind::Text => "text",
        FieldKind::Enum(_) => "enum",
    };
    let mut v = json!({
        "gid": gid,
        "resource_type": "custom_field",
        "name": f.name,
        "resource_subtype": subtype,
        "type": subtype,
        "enabled": true,
        "is_global_to_workspace": false,
        "has_notifications_enabled": false,
    });
    if let FieldKind::Enum(options) = &f.kind {
        v["enum_options"] = options
            .iter()
            .map(|(g, n)| json!({"gid": g, "resource_type": "enum_option", "name": n, "enabled": true, "color": "none"}))
            .collect();
    }
    v
}

pub(super) fn setting_json(world: &World, project: &str, field: &str) -> Value {
    json!({
        "gid": format!("{field}1"),
        "resource_type": "custom_field_setting",
        "is_important": true,
        "custom_field": field_json(world, field),
        "project": {"gid": project, "resource_type": "project", "name": world.name_of(project, "project")},
        "parent": {"gid": project, "resource_type": "project", "name": world.name_of(project, "project")},
    })
}

pub(super) fn task_json(world: &World, caller: &Caller, gid: &str) -> Value {
    let t: &Task = &world.tasks[gid];
    let project_ref = |p: &Gid| json!({"gid": p, "resource_type": "project", "name": world.name_of(p, "project")});
    let memberships: Vec<Value> = t
        .memberships
        .iter()
        .map(|(p, s)| json!({"project": project_ref(p), "section": {"gid": s, "resource_type": "section", "name": world.name_of(s, "section")}}))
        .collect();
    let custom_fields = task_field_values(world, t);
    let mut v = json!({
        "gid": gid,
        "resource_type": "task",
        "resource_subtype": "default_task",
        "name": t.name,
        "notes": t.notes,
        "html_notes": format!("<body>{}</body>", html_escape(&t.notes)),
        "completed": t.completed,
        "completed_at": t.completed_at.map(format_time),
        "completed_by": user_ref(world, &t.completed_by),
        "created_at": format_time(t.created_at),
        "modified_at": format_time(t.modified_at),
        "due_on": t.due_on.map(|d| d.to_string()),
        "due_at": t.due_at.map(format_time),
        "start_on": t.start_on.map(|d| d.to_string()),
        "start_at": null,
        "assignee": user_ref(world, &t.assignee),
        "assignee_status": "upcoming",
        "memberships": memberships,
        "projects": t.memberships.iter().map(|(p, _)| project_ref(p)).collect::<Vec<_>>(),
        "parent": t.parent.as_ref().map(|p| json!({"gid": p, "resource_type": "task", "name": world.name_of(p, "task"), "resource_subtype": "default_task"})),
        "tags": t.tags.iter().map(|g| json!({"gid": g, "resource_type": "tag", "name": world.name_of(g, "tag")})).collect::<Vec<_>>(),
        "workspace": {"gid": t.workspace, "resource_type": "workspace", "name": world.workspaces.get(&t.workspace).cloned().unwrap_or_default()},
        "custom_fields": custom_fields,
        "num_subtasks": t.subtasks.iter().filter(|s| !world.tasks[*s].deleted).count(),
        "followers": [],
        "liked": false,
        "likes": [],
        "num_likes": 0,
        "hearted": false,
        "hearts": [],
        "num_hearts": 0,
        "dependencies": [],
        "dependents": [],
        "permalink_url": format!("https://app.asana.com/0/0/{gid}"),
    });
    // Only for OAuth callers, and only when set (the field is an object, never null).
    if caller.kind == super::world::TokenKind::OAuth
        && let Some((g, d)) = &t.external
    {
        let mut ext = Map::new();
        if let Some(g) = g {
            ext.insert("gid".into(), json!(g));
        }
        if let Some(d) = d {
            ext.insert("data".into(), json!(d));
        }
        v["external"] = Value::Object(ext);
    }
    v
}

/// The custom fields of a task's projects, each with the task's value.
pub(super) fn task_field_values(world: &World, t: &Task) -> Vec<Value> {
    let fields = t.memberships.iter().flat_map(|(p, _)| {
        world
            .projects
            .get(p)
            .map(|p| p.fields.iter())
            .into_iter()
            .flatten()
    });
    fields
        .map(|f| {
            let mut v = field_json(world, f);
            let value = t.values.get(f);
            match &world.fields[f].kind {
                FieldKind::Text => {
                    v["text_value"] = json!(value);
                    v["display_value"] = json!(value);
                }
                FieldKind::Enum(options) => {
                    let option = value.and_then(|g| options.iter().find(|(o, _)| o == g));
                    v["enum_value"] = match option {
                        Some((g, n)) => json!({"gid": g, "resource_type": "enum_option", "name": n, "enabled": true, "color": "none"}),
                        None => Value::Null,
                    };
                    v["display_value"] = json!(option.map(|(_, n)| n));
                }
            }
            v
        })
        .collect()
}

pub(super) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
