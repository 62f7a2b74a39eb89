//! The endpoints: a request (method, path, query, body) against the world, answered as Asana
//! answers, with its `{"data": ...}` envelope, `opt_fields`, pages and error shape. `/batch`
//! runs its actions through the same function. Without `opt_fields`, lists answer with the
//! API description's compact records and single objects without their opt-in fields, as
//! Asana does. Besides what throughline uses: projects (list, create), a section's tasks,
//! users by e-mail, and comments on tasks (stories; Asana's system stories are not kept).

use std::collections::BTreeMap;
use std::time::Instant;

use reqwest::Method;
use serde_json::{Map, Value, json};
use throughline_connector::emulator_kit::percent_decode;

use super::shapes::*;
use super::world::{ApiError, Caller, Gid, Offset, Result, Task, World, format_time, random_hex};

/// One request to the API (relative to `/api/1.0`).
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

/// An answer: status, JSON body, extra headers.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
}

impl Resp {
    fn ok(body: Value) -> Resp {
        Resp { status: 200, body }
    }

    fn created(body: Value) -> Resp {
        Resp { status: 201, body }
    }

    pub fn error(e: &ApiError) -> Resp {
        Resp {
            status: e.status,
            body: e.body(),
        }
    }
}

const SYNC_EXPIRED: &str = "Sync token invalid or too old. If you are attempting to keep resources in sync, you must fetch the full dataset for this query now and use the new sync token for the next sync.";

impl Req {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn fields(&self) -> Option<Vec<String>> {
        self.param("opt_fields").map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }

    fn data(&self) -> Result<Map<String, Value>> {
        match self.body.as_ref().map(|b| &b["data"]) {
            Some(Value::Object(map)) => Ok(map.clone()),
            _ => Err(ApiError::bad("data: Missing input")),
        }
    }
}

/// Answer one request.
pub fn dispatch(world: &mut World, caller: &Caller, req: &Req, base: &str) -> Resp {
    match route(world, caller, req, base) {
        Ok(resp) => resp,
        Err(e) => Resp::error(&e),
    }
}

// The route table: one arm per endpoint, read as a list, not as logic.
#[allow(clippy::too_many_lines)]
fn route(world: &mut World, caller: &Caller, req: &Req, base: &str) -> Result<Resp> {
    // Path segments arrive percent-encoded (`/users/ana%40example.com`).
    let decoded: Vec<String> = req
        .path
        .trim_matches('/')
        .split('/')
        .map(|segment| percent_decode(segment, false))
        .collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let m = &req.method;
    let get = *m == Method::GET;
    let post = *m == Method::POST;
    let put = *m == Method::PUT;
    let one = |v: Value| Ok(Resp::ok(json!({"data": v})));
    match segments.as_slice() {
        ["batch"] if post => batch(world, caller, req, base),
        ["events"] if get => events(world, req),
        ["workspaces"] if get => {
            let items = world
                .workspaces
                .keys()
                .map(|g| workspace_json(world, g))
                .collect();
            list(world, req, base, items, compact_named)
        }
        ["workspaces", w] if get => {
            known_workspace(world, w)?;
            one(select(&workspace_json(world, w), req.fields()))
        }
        ["users", "me"] if get => one(select(&user_json(world, &caller.user), req.fields())),
        ["users", u] if get => {
            let gid = world.user_by_reference(caller, u)?;
            one(select(&user_json(world, &gid), req.fields()))
        }
        ["workspaces", w, "users"] if get => {
            known_workspace(world, w)?;
            users_of(world, req, base, w)
        }
        ["users"] if get => {
            let w = req
                .param("workspace")
                .ok_or_else(|| ApiError::bad("workspace: Missing input"))?
                .to_owned();
            known_workspace(world, &w)?;
            users_of(world, req, base, &w)
        }
        ["workspaces", w, "tags"] if get => {
            known_workspace(world, w)?;
            tags_of(world, req, base, w)
        }
        ["tags"] if get => {
            let w = req
                .param("workspace")
                .ok_or_else(|| ApiError::bad("workspace: Missing input"))?
                .to_owned();
            known_workspace(world, &w)?;
            tags_of(world, req, base, &w)
        }
        ["workspaces", w, "tags"] if post => {
            let data = req.data()?;
            let name = data
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let gid = world.create_tag(w, &name)?;
            Ok(Resp::created(
                json!({"data": select(&tag_json(world, &gid), req.fields())}),
            ))
        }
        ["tags"] if post => {
            let data = req.data()?;
            let w = data
                .get("workspace")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad("workspace: Missing input"))?;
            let name = data
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let gid = world.create_tag(w, &name)?;
            Ok(Resp::created(
                json!({"data": select(&tag_json(world, &gid), req.fields())}),
            ))
        }
        ["tags", t] if get => {
            if !world.tags.contains_key(*t) {
                return Err(ApiError::unknown(t));
            }
            one(select(&tag_json(world, t), req.fields()))
        }
        ["projects"] if get => {
            // Every parameter only filters: without a workspace, the projects of all of the
            // caller's workspaces.
            let workspaces: Vec<Gid> = match req.param("workspace") {
                Some(w) => {
                    known_workspace(world, w)?;
                    vec![w.to_owned()]
                }
                None => world
                    .users
                    .get(&caller.user)
                    .map(|u| u.workspaces.clone())
                    .unwrap_or_default(),
            };
            projects_of(world, req, base, &workspaces)
        }
        ["workspaces", w, "projects"] if get => {
            known_workspace(world, w)?;
            projects_of(world, req, base, &[(*w).to_owned()])
        }
        ["projects"] if post => {
            let gid = world.create_project(caller, None, &req.data()?)?;
            Ok(Resp::created(
                json!({"data": select(&project_json(world, &gid), req.fields())}),
            ))
        }
        ["workspaces", w, "projects"] if post => {
            known_workspace(world, w)?;
            let gid = world.create_project(caller, Some(w), &req.data()?)?;
            Ok(Resp::created(
                json!({"data": select(&project_json(world, &gid), req.fields())}),
            ))
        }
        ["projects", p] if get => {
            world.project(p)?;
            one(select(&project_json(world, p), req.fields()))
        }
        ["projects", p, "sections"] if get => {
            let items = world
                .project(p)?
                .sections
                .iter()
                .map(|s| section_json(world, s))
                .collect();
            list(world, req, base, items, compact_named)
        }
        ["projects", p, "sections"] if post => {
            let data = req.data()?;
            let name = data
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad("name: Missing input"))?
                .to_owned();
            let gid = world.create_section(Some(caller), p, &name)?;
            Ok(Resp::created(
                json!({"data": select(&section_json(world, &gid), req.fields())}),
            ))
        }
        ["projects", p, "custom_field_settings"] if get => {
            let items = world
                .project(p)?
                .fields
                .iter()
                .map(|f| setting_json(world, p, f))
                .collect();
            list(
                world,
                req,
                base,
                items,
                |v| json!({"gid": v["gid"], "resource_type": v["resource_type"]}),
            )
        }
        ["projects", p, "tasks"] if get => project_tasks(world, caller, req, base, p),
        ["tasks"] if get => {
            if let Some(p) = req.param("project") {
                let p = p.to_owned();
                return project_tasks(world, caller, req, base, &p);
            }
            if let Some(s) = req.param("section") {
                let s = s.to_owned();
                return section_tasks(world, caller, req, base, &s);
            }
            Err(ApiError::bad(
                "Must specify exactly one of project, tag, section, user task list, or assignee + workspace",
            ))
        }
        ["sections", s] if get => {
            if !world.sections.contains_key(*s) {
                return Err(ApiError::unknown(s));
            }
            one(select(&section_json(world, s), req.fields()))
        }
        ["sections", s, "tasks"] if get => section_tasks(world, caller, req, base, s),
        ["sections", s] if put => {
            let data = req.data()?;
            let name = data
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad("name: Missing input"))?
                .to_owned();
            world.rename_section(caller, s, &name)?;
            one(select(&section_json(world, s), req.fields()))
        }
        ["sections", s, "addTask"] if post => {
            if !world.sections.contains_key(*s) {
                return Err(ApiError::unknown(s));
            }
            let data = req.data()?;
            let task = data
                .get("task")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad("task: Missing input"))?;
            let gid = world.task_gid(caller, task)?;
            world.move_to_section(caller, s, &gid)?;
            one(json!({}))
        }
        ["tasks"] if post => {
            let data = req.data()?;
            if data.contains_key("parent") && !data["parent"].is_null() {
                let parent = data["parent"]
                    .as_str()
                    .ok_or_else(|| ApiError::bad("parent: Not a gid"))?;
                let parent = world.task_gid(caller, parent)?;
                let gid = world.create_task_full(caller, &data, Some(&parent))?;
                return Ok(Resp::created(
                    json!({"data": select(&task_json(world, caller, &gid), req.fields())}),
                ));
            }
            let gid = world.create_task_full(caller, &data, None)?;
            Ok(Resp::created(
                json!({"data": select(&task_json(world, caller, &gid), req.fields())}),
            ))
        }
        ["tasks", t] if get => {
            let gid = world.task_gid(caller, t)?;
            one(select(&task_json(world, caller, &gid), req.fields()))
        }
        ["tasks", t] if put => {
            let gid = world.task_gid(caller, t)?;
            let data = req.data()?;
            world.update_task(caller, &gid, &data)?;
            one(select(&task_json(world, caller, &gid), req.fields()))
        }
        ["tasks", t] if *m == Method::DELETE => {
            let gid = world.task_gid(caller, t)?;
            world.delete_task(caller, &gid);
            one(json!({}))
        }
        ["tasks", t, "subtasks"] if get => {
            let gid = world.task_gid(caller, t)?;
            let items = world.tasks[&gid]
                .subtasks
                .iter()
                .filter(|s| !world.tasks[*s].deleted)
                .map(|s| task_json(world, caller, s))
                .collect();
            list(world, req, base, items, compact_task)
        }
        ["tasks", t, "subtasks"] if post => {
            let parent = world.task_gid(caller, t)?;
            let data = req.data()?;
            let gid = world.create_task_full(caller, &data, Some(&parent))?;
            Ok(Resp::created(
                json!({"data": select(&task_json(world, caller, &gid), req.fields())}),
            ))
        }
        ["tasks", t, "setParent"] if post => {
            let gid = world.task_gid(caller, t)?;
            let data = req.data()?;
            world.set_parent(caller, &gid, &data)?;
            one(select(&task_json(world, caller, &gid), req.fields()))
        }
        ["tasks", t, op @ ("addTag" | "removeTag")] if post => {
            let gid = world.task_gid(caller, t)?;
            let data = req.data()?;
            let tag = data
                .get("tag")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad("tag: Missing input"))?;
            world.add_tag(caller, &gid, tag, *op == "addTag")?;
            one(json!({}))
        }
        ["tasks", t, "stories"] if get => {
            let gid = world.task_gid(caller, t)?;
            let items = world
                .stories
                .values()
                .filter(|s| s.task == gid)
                .map(|s| story_json(world, &s.gid))
                .collect();
            list(world, req, base, items, compact_story)
        }
        ["tasks", t, "stories"] if post => {
            let gid = world.task_gid(caller, t)?;
            let story = world.add_comment(caller, &gid, &req.data()?)?;
            Ok(Resp::created(
                json!({"data": select(&story_json(world, &story), req.fields())}),
            ))
        }
        ["stories", s] if get => {
            if !world.stories.contains_key(*s) {
                return Err(ApiError::unknown(s));
            }
            one(select(&story_json(world, s), req.fields()))
        }
        ["custom_fields", f] if get => {
            if !world.fields.contains_key(*f) {
                return Err(ApiError::unknown(f));
            }
            one(select(&field_json(world, f), req.fields()))
        }
        _ => Err(ApiError::new(
            404,
            format!(
                "No matching route for request: {} /{}",
                req.method,
                req.path.trim_matches('/')
            ),
        )),
    }
}

fn known_workspace(world: &World, w: &str) -> Result<()> {
    if world.workspaces.contains_key(w) {
        Ok(())
    } else {
        Err(ApiError::unknown(w))
    }
}

fn users_of(world: &mut World, req: &Req, base: &str, w: &str) -> Result<Resp> {
    let items = world
        .users
        .values()
        .filter(|u| u.workspaces.iter().any(|x| x == w))
        .map(|u| user_json(world, &u.gid))
        .collect();
    list(world, req, base, items, compact_named)
}

fn tags_of(world: &mut World, req: &Req, base: &str, w: &str) -> Result<Resp> {
    let items = world
        .tags
        .values()
        .filter(|t| t.workspace == w)
        .map(|t| tag_json(world, &t.gid))
        .collect();
    list(world, req, base, items, compact_named)
}

fn projects_of(world: &mut World, req: &Req, base: &str, workspaces: &[Gid]) -> Result<Resp> {
    let archived = match req.param("archived") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::bad(format!("archived: Not a boolean: {other}")));
        }
    };
    let items = world
        .projects
        .iter()
        .filter(|(_, p)| {
            workspaces.contains(&p.workspace) && archived.is_none_or(|a| p.archived == a)
        })
        .map(|(gid, _)| project_json(world, gid))
        .collect();
    list(world, req, base, items, compact_named)
}

/// `completed_since`: only tasks not completed, or completed since then.
fn completed_since(req: &Req) -> Result<Option<jiff::Timestamp>> {
    match req.param("completed_since") {
        None => Ok(None),
        Some("now") => Ok(Some(jiff::Timestamp::now())),
        Some(s) => s
            .parse::<jiff::Timestamp>()
            .map(Some)
            .map_err(|_| ApiError::bad(format!("completed_since: Not a date-time: {s}"))),
    }
}

fn kept_since(t: &Task, since: Option<jiff::Timestamp>) -> bool {
    match since {
        Some(since) => !t.completed || t.completed_at.is_some_and(|c| c >= since),
        None => true,
    }
}

fn project_tasks(
    world: &mut World,
    caller: &Caller,
    req: &Req,
    base: &str,
    p: &str,
) -> Result<Resp> {
    let project = world.project(p)?.clone();
    let since = completed_since(req)?;
    let items = project
        .tasks
        .iter()
        .map(|t| &world.tasks[t])
        .filter(|t| !t.deleted && t.memberships.iter().any(|(x, _)| x == p))
        .filter(|t| kept_since(t, since))
        .map(|t| task_json(world, caller, &t.gid))
        .collect();
    list(world, req, base, items, compact_task)
}

/// The tasks of a section, in project order (`GET /sections/{gid}/tasks`, `GET /tasks?section=`).
fn section_tasks(
    world: &mut World,
    caller: &Caller,
    req: &Req,
    base: &str,
    s: &str,
) -> Result<Resp> {
    let section = world
        .sections
        .get(s)
        .ok_or_else(|| ApiError::unknown(s))?
        .clone();
    let since = completed_since(req)?;
    let items = world.projects[&section.project]
        .tasks
        .iter()
        .map(|t| &world.tasks[t])
        .filter(|t| !t.deleted && t.memberships.iter().any(|(_, x)| x == s))
        .filter(|t| kept_since(t, since))
        .map(|t| task_json(world, caller, &t.gid))
        .collect();
    list(world, req, base, items, compact_task)
}

// --- Pages ------------------------------------------------------------------------------------

/// A list answer: everything without `limit`, else one page with `next_page`.
fn list(
    world: &mut World,
    req: &Req,
    base: &str,
    items: Vec<Value>,
    compact: fn(&Value) -> Value,
) -> Result<Resp> {
    let fields = req.fields();
    let shown = |v: &Value| match &fields {
        Some(_) => select(v, fields.clone()),
        None => compact(v),
    };
    let Some(limit) = req.param("limit") else {
        if req.param("offset").is_some() {
            return Err(ApiError::bad("offset: An offset needs a limit"));
        }
        return Ok(Resp::ok(
            json!({"data": items.iter().map(shown).collect::<Vec<_>>()}),
        ));
    };
    let limit: usize = limit
        .parse()
        .ok()
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| ApiError::bad("limit: Must be an integer between 1 and 100"))?;
    let listing = format!(
        "{}?{}",
        req.path,
        req.query
            .iter()
            .filter(|(k, _)| !["offset", "limit", "opt_fields", "opt_pretty"].contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    );
    let start = match req.param("offset") {
        None => 0,
        Some(token) => {
            let expired = || {
                ApiError::bad(
                    "offset: Your pagination token has expired or is invalid. Start over from the first page.",
                )
            };
            let o = world.offsets.get(token).ok_or_else(expired)?;
            if o.listing != listing || o.issued.elapsed() > world.offset_ttl {
                return Err(expired());
            }
            items
                .iter()
                .position(|v| v["gid"].as_str() == Some(o.after.as_str()))
                .map(|i| i + 1)
                .ok_or_else(expired)?
        }
    };
    let end = (start + limit).min(items.len());
    let data: Vec<Value> = items[start.min(items.len())..end]
        .iter()
        .map(shown)
        .collect();
    let next = if end < items.len() {
        let token = random_hex(40);
        let after: Gid = items[end - 1]["gid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        world.offsets.insert(
            token.clone(),
            Offset {
                listing,
                after,
                issued: Instant::now(),
            },
        );
        let mut query: Vec<String> = req
            .query
            .iter()
            .filter(|(k, _)| k != "offset")
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        query.push(format!("offset={token}"));
        let path = format!("/{}?{}", req.path.trim_matches('/'), query.join("&"));
        json!({"offset": token, "path": path, "uri": format!("{base}{path}")})
    } else {
        Value::Null
    };
    Ok(Resp::ok(json!({"data": data, "next_page": next})))
}

fn encode(v: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("valid");
    url.query_pairs_mut().append_pair("v", v);
    url.query()
        .unwrap_or("v=")
        .trim_start_matches("v=")
        .to_owned()
}

// --- Events -----------------------------------------------------------------------------------

fn events(world: &mut World, req: &Req) -> Result<Resp> {
    let resource = req
        .param("resource")
        .ok_or_else(|| ApiError::bad("resource: Missing input"))?
        .to_owned();
    if !world.projects.contains_key(&resource) && !world.tasks.contains_key(&resource) {
        return Err(ApiError::unknown(&resource));
    }
    let valid = req
        .param("sync")
        .and_then(|s| world.sync_tokens.get(s))
        .filter(|t| t.resource == resource && t.issued.elapsed() <= world.sync_ttl)
        .map(|t| t.after);
    let Some(after) = valid else {
        let sync = world.issue_sync(&resource);
        return Ok(Resp {
            status: 412,
            body: json!({"errors": [{"message": SYNC_EXPIRED}], "sync": sync}),
        });
    };
    let matching: Vec<&super::world::EventRecord> = world
        .events
        .iter()
        .filter(|e| e.seq > after && e.scope.contains(&resource))
        .collect();
    let has_more = matching.len() > 100;
    let shown: Vec<_> = matching.into_iter().take(100).cloned().collect();
    let last = shown
        .last()
        .map(|e| e.seq)
        .unwrap_or(world.events.len() as u64);
    let last = if has_more {
        last
    } else {
        world.events.len() as u64
    };
    let data: Vec<Value> = shown.iter().map(|e| event_json(world, e)).collect();
    let token = random_hex(32);
    world.sync_tokens.insert(
        token.clone(),
        super::world::SyncToken {
            resource,
            after: last,
            issued: Instant::now(),
        },
    );
    Ok(Resp::ok(
        json!({"data": data, "sync": token, "has_more": has_more}),
    ))
}

pub(super) fn event_json(world: &World, e: &super::world::EventRecord) -> Value {
    let named = |(gid, kind): &(Gid, &'static str)| json!({"gid": gid, "resource_type": kind, "name": world.name_of(gid, kind)});
    // `user` and `parent` are null for system events and non-membership events in Asana's
    // answers, but the description does not allow null there: they are left out instead.
    let mut v = json!({
        "resource": named(&e.resource),
        "type": e.resource.1,
        "action": e.action,
        "created_at": format_time(e.at),
    });
    if let Some(u) = &e.user {
        v["user"] = json!({"gid": u, "resource_type": "user", "name": world.name_of(u, "user")});
    }
    if let Some(p) = &e.parent {
        v["parent"] = named(p);
    }
    if let Some(field) = e.field {
        v["change"] = json!({"field": field, "action": "changed"});
    }
    v
}

// --- Batch ------------------------------------------------------------------------------------

fn batch(world: &mut World, caller: &Caller, req: &Req, base: &str) -> Result<Resp> {
    let actions = req
        .body
        .as_ref()
        .and_then(|b| b["data"]["actions"].as_array())
        .ok_or_else(|| ApiError::bad("data.actions: Missing input"))?
        .clone();
    if actions.is_empty() {
        return Err(ApiError::bad(
            "data.actions: A batch needs at least one action",
        ));
    }
    if actions.len() > 10 {
        return Err(ApiError::bad(
            "data.actions: A batch may hold at most 10 actions",
        ));
    }
    let mut order: Vec<usize> = (0..actions.len()).collect();
    if world.shuffle_batches {
        // Asana runs the actions in parallel, in no set order.
        for i in (1..order.len()).rev() {
            order.swap(i, rand::random_range(0..=i));
        }
    }
    let mut results: BTreeMap<usize, Value> = BTreeMap::new();
    for i in order {
        let resp = match batch_action(&actions[i]) {
            Ok(sub) => dispatch(world, caller, &sub, base),
            Err(e) => Resp::error(&e),
        };
        results.insert(
            i,
            json!({"status_code": resp.status, "headers": {}, "body": resp.body}),
        );
    }
    Ok(Resp::ok(
        json!({"data": results.into_values().collect::<Vec<_>>()}),
    ))
}

fn batch_action(action: &Value) -> Result<Req> {
    let path = action["relative_path"]
        .as_str()
        .ok_or_else(|| ApiError::bad("relative_path: Missing input"))?;
    if path.contains('?') {
        return Err(ApiError::bad(
            "relative_path: Query parameters are not accepted here; put them in data instead",
        ));
    }
    if path.trim_matches('/') == "batch" {
        return Err(ApiError::bad(
            "relative_path: A batch cannot hold another batch",
        ));
    }
    let method = match action["method"].as_str().unwrap_or("") {
        "get" => Method::GET,
        "post" => Method::POST,
        "put" => Method::PUT,
        "delete" => Method::DELETE,
        "patch" => Method::PATCH,
        "head" => Method::HEAD,
        other => {
            return Err(ApiError::bad(format!(
                "method: Not a valid method: {other}"
            )));
        }
    };
    let mut query = Vec::new();
    let mut body = None;
    if method == Method::GET {
        if let Some(data) = action["data"].as_object() {
            for (k, v) in data {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                query.push((k.clone(), v));
            }
        }
    } else if let Some(data) = action.get("data") {
        body = Some(json!({"data": data}));
    }
    let options = &action["options"];
    if let Some(limit) = options["limit"].as_u64() {
        query.push(("limit".into(), limit.to_string()));
    }
    if let Some(offset) = options["offset"].as_str() {
        query.push(("offset".into(), offset.to_owned()));
    }
    if let Some(fields) = options["fields"].as_array() {
        let list: Vec<&str> = fields.iter().filter_map(Value::as_str).collect();
        query.push(("opt_fields".into(), list.join(",")));
    }
    Ok(Req {
        method,
        path: path.to_owned(),
        query,
        body,
    })
}
