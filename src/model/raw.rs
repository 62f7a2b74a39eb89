//! The three file formats as written, every value with its place (docs/files.md).
//!
//! Reading checks only the shape of each value (a date is a date, `days` is a whole number,
//! no unknown keys); how values relate to each other is `validate.rs`'s job. A missing or
//! malformed value is reported here and left out (`None`), so validation can go on without it.

use jiff::civil::{Date, Weekday};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Lang;
use super::fields::{At, Expect, Fields, FileId, Problems, Value, check_id, unknown_key};

/// `throughline.toml`.
#[derive(Debug)]
pub(crate) struct RawConfig {
    pub file: FileId,
    pub state: Option<At<String>>,
    pub playbooks: Option<At<Vec<At<String>>>>,
    pub items: Option<At<Vec<At<String>>>>,
    pub sync: RawSync,
    pub targets: Vec<RawTarget>,
    /// `[daemon]` and `[reminders]`.
    pub service: super::service::RawService,
    /// `[limits] tasks_per_playbook`.
    pub tasks_per_playbook: Option<At<u32>>,
}

#[derive(Debug, Default)]
pub(crate) struct RawSync {
    pub every: Option<At<String>>,
    pub cron: Option<At<String>>,
    pub conflict: Option<At<String>>,
    pub max_archive_share: Option<At<f64>>,
    pub max_create_share: Option<At<f64>>,
    pub max_creates: Option<At<u32>>,
    pub max_recreate_share: Option<At<f64>>,
}

#[derive(Debug)]
pub(crate) struct RawTarget {
    /// The `[[target]]` header.
    pub at: At<()>,
    pub id: Option<At<String>>,
    pub kind: Option<At<String>>,
    pub mapping: Option<At<String>>,
    pub only: RawOnly,
    /// Credential name → secret reference text.
    pub credentials: Vec<(At<String>, At<String>)>,
    pub base_url: Option<At<String>>,
    /// Every other key: the kind's location keys and settings.
    pub settings: Vec<(At<String>, At<toml::Value>)>,
}

#[derive(Debug, Default)]
pub(crate) struct RawOnly {
    pub roles: Vec<At<String>>,
    pub stages: Vec<At<String>>,
    pub processes: Vec<At<String>>,
    pub items: Vec<At<String>>,
}

/// One playbook file.
#[derive(Debug)]
pub(crate) struct RawPlaybook {
    pub file: FileId,
    pub process: Option<RawProcess>,
    pub roles: Vec<RawRole>,
    pub stages: Vec<RawStage>,
    pub metrics: Vec<super::metric::RawMetric>,
}

#[derive(Debug)]
pub(crate) struct RawProcess {
    pub at: At<()>,
    pub id: Option<At<String>>,
    pub name: Option<At<String>>,
    pub timezone: Option<At<String>>,
    pub workweek: Option<At<Vec<At<Weekday>>>>,
    pub holidays: Vec<At<Date>>,
    pub lang: Option<At<Lang>>,
}

#[derive(Debug)]
pub(crate) struct RawRole {
    /// The key of `[roles.<id>]`.
    pub id: At<String>,
    pub name: Option<At<String>>,
    pub people: Option<At<Vec<At<String>>>>,
    pub backup: Option<At<String>>,
    pub away: Vec<RawAway>,
    pub max_parallel: Option<At<u32>>,
}

#[derive(Debug)]
pub(crate) struct RawAway {
    pub who: Option<At<String>>,
    pub from: Option<At<Date>>,
    pub to: Option<At<Date>>,
}

#[derive(Debug)]
pub(crate) struct RawStage {
    pub id: Option<At<String>>,
    pub name: Option<At<String>>,
    pub owner: Option<At<String>>,
    pub days: Option<At<u32>>,
    /// `None` = omitted (the stage before it); `Some([])` = none.
    pub after: Option<At<Vec<At<String>>>>,
    pub after_golive: Option<At<u32>>,
    pub checklist: Vec<RawEntry>,
}

#[derive(Debug)]
pub(crate) struct RawEntry {
    pub at: At<()>,
    pub id: Option<At<String>>,
    pub text: Option<At<String>>,
    pub role: Option<At<String>>,
}

/// One item file: `[[item]]` and `[[cadence]]` tables.
#[derive(Debug)]
pub(crate) struct RawItemFile {
    pub items: Vec<RawItem>,
    pub cadences: Vec<RawCadence>,
    pub metrics: Vec<super::metric::RawMetric>,
}

/// What items and cadences share.
#[derive(Debug)]
pub(crate) struct RawItemCommon {
    pub at: At<()>,
    pub id: Option<At<String>>,
    pub process: Option<At<String>>,
    pub title: Option<At<String>>,
    /// Role id → person.
    pub people: Vec<(At<String>, At<String>)>,
    pub skip: Vec<At<String>>,
    pub channel: Option<At<String>>,
    pub notes: Option<At<String>>,
}

#[derive(Debug)]
pub(crate) struct RawItem {
    pub common: RawItemCommon,
    pub golive: Option<At<Date>>,
}

#[derive(Debug)]
pub(crate) struct RawCadence {
    pub common: RawItemCommon,
    pub on: Option<At<Vec<At<Weekday>>>>,
    pub from: Option<At<Date>>,
    pub until: Option<At<Date>>,
}

const TEXT: Expect = Expect {
    what: "text in quotes",
    example: "\"...\"",
};
const PATTERNS: Expect = Expect {
    what: "a list of file patterns in quotes",
    example: "[\"playbooks/*.toml\"]",
};
const ID_LIST: Expect = Expect {
    what: "a list of ids in quotes",
    example: "[\"writer\", \"designer\"]",
};

pub(crate) fn read_config(
    file: FileId,
    doc: &Spanned<DeTable<'_>>,
    problems: &mut Problems,
) -> RawConfig {
    let top = Fields::new(file, doc, "throughline.toml");
    top.check_keys(
        &[
            "state",
            "playbooks",
            "items",
            "sync",
            "target",
            "daemon",
            "reminders",
            "review",
            "limits",
            "dashboard",
        ],
        problems,
    );
    let state = top.text(
        "state",
        Expect {
            what: "a file name or a postgres:// address in quotes",
            example: "\"throughline.db\"",
        },
        problems,
    );
    let playbooks = top.str_list("playbooks", PATTERNS, problems);
    if playbooks.is_none() {
        top.missing("playbooks", PATTERNS, problems);
    }
    let items = top.str_list(
        "items",
        Expect {
            what: "a list of file patterns in quotes",
            example: "[\"items/*.toml\"]",
        },
        problems,
    );
    let sync_expect = Expect {
        what: "a table",
        example: "[sync] with every = \"5m\" under it",
    };
    let sync = match top.table("sync", "[sync]", sync_expect, problems) {
        Some(t) => read_sync(&t, problems),
        None => RawSync::default(),
    };
    let target_expect = Expect {
        what: "a list of tables, each written [[target]]",
        example: "[[target]]",
    };
    let targets = top
        .tables("target", "this target", target_expect, problems)
        .iter()
        .map(|t| read_target(t, problems))
        .collect();
    let service = super::service::read(&top, problems);
    let limits_expect = Expect {
        what: "a table",
        example: "[limits] with tasks_per_playbook = 5000 under it",
    };
    let tasks_per_playbook = top
        .table("limits", "[limits]", limits_expect, problems)
        .and_then(|limits| {
            limits.check_keys(&["tasks_per_playbook"], problems);
            limits.count(
                "tasks_per_playbook",
                Expect {
                    what: "a whole number of tasks, at least 1",
                    example: "5000",
                },
                problems,
            )
        });
    RawConfig {
        file,
        state,
        playbooks,
        items,
        sync,
        targets,
        service,
        tasks_per_playbook,
    }
}

fn read_sync(t: &Fields<'_, '_>, problems: &mut Problems) -> RawSync {
    t.check_keys(
        &[
            "every",
            "cron",
            "conflict",
            "max_archive_share",
            "max_create_share",
            "max_creates",
            "max_recreate_share",
        ],
        problems,
    );
    RawSync {
        every: t.str(
            "every",
            Expect {
                what: "a duration in quotes",
                example: "\"5m\"",
            },
            problems,
        ),
        cron: t.str(
            "cron",
            Expect {
                what: "a cron expression in quotes",
                example: "\"*/5 * * * *\"",
            },
            problems,
        ),
        conflict: t.str(
            "conflict",
            Expect {
                what: "\"newest\", \"hub\" or a target id, in quotes",
                example: "\"newest\"",
            },
            problems,
        ),
        max_archive_share: t.number(
            "max_archive_share",
            Expect {
                what: "a number between 0 and 1",
                example: "0.25",
            },
            problems,
        ),
        max_create_share: t.number(
            "max_create_share",
            Expect {
                what: "a number, 0 or more (1 = as many new tasks as the target holds)",
                example: "1.0",
            },
            problems,
        ),
        max_creates: t.count(
            "max_creates",
            Expect {
                what: "a whole number of tasks",
                example: "1000",
            },
            problems,
        ),
        max_recreate_share: t.number(
            "max_recreate_share",
            Expect {
                what: "a number between 0 and 1",
                example: "0.25",
            },
            problems,
        ),
    }
}

/// Keys every target has; all other keys belong to the kind (see `validate.rs`).
pub(crate) const TARGET_KEYS: [&str; 6] =
    ["id", "kind", "mapping", "only", "credentials", "base_url"];

fn read_target(t: &Fields<'_, '_>, problems: &mut Problems) -> RawTarget {
    let id = t.id(
        "id",
        Expect {
            what: "a short name in quotes",
            example: "\"studio\"",
        },
        problems,
    );
    let kind = t.req_str(
        "kind",
        Expect {
            what: crate::engine::registry::KIND_WORDS,
            example: crate::engine::registry::KIND_EXAMPLE,
        },
        problems,
    );
    let mapping = t.text(
        "mapping",
        Expect {
            what: "a file path in quotes",
            example: "\"mappings/trello.toml\"",
        },
        problems,
    );
    let only = read_only(t, problems);
    let credentials = read_credentials(t, problems);
    let base_url = t.text(
        "base_url",
        Expect {
            what: "a web address in quotes",
            example: "\"https://api.trello.com/1\"",
        },
        problems,
    );
    let settings = read_kind_settings(t, problems);
    RawTarget {
        at: t.at(()),
        id,
        kind,
        mapping,
        only,
        credentials,
        base_url,
        settings,
    }
}

/// A target's `only = { roles = [...], ... }`: which tasks it holds.
fn read_only(t: &Fields<'_, '_>, problems: &mut Problems) -> RawOnly {
    let only_expect = Expect {
        what: "a table of lists",
        example: "{ roles = [\"designer\"] }",
    };
    match t.table("only", "`only`", only_expect, problems) {
        Some(o) => {
            o.check_keys(&["roles", "stages", "processes", "items"], problems);
            let list = |key: &str, problems: &mut Problems| {
                o.str_list(key, ID_LIST, problems)
                    .map(|l| l.value)
                    .unwrap_or_default()
            };
            RawOnly {
                roles: list("roles", problems),
                stages: list("stages", problems),
                processes: list("processes", problems),
                items: list("items", problems),
            }
        }
        None => RawOnly::default(),
    }
}

/// A target's `credentials = { token = "env:..." }`: references, never the secrets.
fn read_credentials(t: &Fields<'_, '_>, problems: &mut Problems) -> Vec<(At<String>, At<String>)> {
    let cred_expect = Expect {
        what: "a table of secret references",
        example: "{ token = \"env:TRELLO_TOKEN\" }",
    };
    let mut credentials = Vec::new();
    if let Some(c) = t.table("credentials", "`credentials`", cred_expect, problems) {
        for (key, value) in c.entries() {
            match value.get_ref() {
                DeValue::String(s) => credentials.push((key.with(key.value.to_string()), At::new(s.to_string(), t.file, value.span()))),
                _ => problems.add(
                    t.file,
                    value.span(),
                    format!("credential `{}` must be a reference in quotes, like \"env:NAME\" or \"file:PATH\"", key.value),
                ),
            }
        }
    }
    credentials
}

/// Every key of a target not in [`TARGET_KEYS`]: the kind's own settings, passed on as-is.
fn read_kind_settings(
    t: &Fields<'_, '_>,
    problems: &mut Problems,
) -> Vec<(At<String>, At<toml::Value>)> {
    let mut settings = Vec::new();
    for (key, value) in t.entries() {
        if TARGET_KEYS.contains(&key.value) {
            continue;
        }
        if let Some(v) = to_toml(t.file, value, problems) {
            settings.push((
                key.with(key.value.to_string()),
                At::new(v, t.file, value.span()),
            ));
        }
    }
    settings
}

/// A TOML value as the `toml` crate's own type, for settings passed on to a connector as-is.
fn to_toml(file: FileId, value: &Value<'_>, problems: &mut Problems) -> Option<toml::Value> {
    Some(match value.get_ref() {
        DeValue::String(s) => toml::Value::String(s.to_string()),
        DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
            Ok(n) => toml::Value::Integer(n),
            Err(_) => {
                problems.add(file, value.span(), "this number is far too large");
                return None;
            }
        },
        DeValue::Float(f) => toml::Value::Float(f.as_str().parse().ok()?),
        DeValue::Boolean(b) => toml::Value::Boolean(*b),
        DeValue::Datetime(d) => toml::Value::Datetime(*d),
        DeValue::Array(items) => toml::Value::Array(
            items
                .iter()
                .filter_map(|v| to_toml(file, v, problems))
                .collect(),
        ),
        DeValue::Table(table) => {
            let mut out = toml::Table::new();
            for (k, v) in table.iter() {
                if let Some(v) = to_toml(file, v, problems) {
                    out.insert(k.get_ref().to_string(), v);
                }
            }
            toml::Value::Table(out)
        }
    })
}

pub(crate) fn read_playbook(
    file: FileId,
    doc: &Spanned<DeTable<'_>>,
    problems: &mut Problems,
) -> RawPlaybook {
    let top = Fields::new(file, doc, "a playbook");
    top.check_keys(&["process", "roles", "stage", "metric"], problems);

    let process_expect = Expect {
        what: "a table",
        example: "[process] with id, name and timezone under it",
    };
    let process = top
        .table("process", "[process]", process_expect, problems)
        .map(|p| read_process(&p, problems));
    if top.get("process").is_none() {
        problems.add(
            file,
            0..0,
            "this playbook has no [process] table; start the file with [process] and its id, name and timezone",
        );
    }

    let mut roles = Vec::new();
    let roles_expect = Expect {
        what: "a table of roles",
        example: "[roles.writer] with name and people under it",
    };
    if let Some(r) = top.table("roles", "[roles]", roles_expect, problems) {
        for (key, value) in r.entries() {
            let id = key.with(key.value.to_string());
            let place = "this role";
            match Fields::from_value(file, value, place) {
                Some(role) => roles.push(read_role(id, &role, problems)),
                None => problems.add(
                    file,
                    value.span(),
                    format!("role `{}` must be a table, written [roles.{}] with name and people under it", key.value, key.value),
                ),
            }
        }
    }

    let stage_expect = Expect {
        what: "a list of tables, each written [[stage]]",
        example: "[[stage]]",
    };
    let stages = top
        .tables("stage", "this stage", stage_expect, problems)
        .iter()
        .map(|s| read_stage(s, problems))
        .collect();
    RawPlaybook {
        file,
        process,
        roles,
        stages,
        metrics: super::metric::read_metrics(&top, problems),
    }
}

fn read_process(p: &Fields<'_, '_>, problems: &mut Problems) -> RawProcess {
    p.check_keys(
        &["id", "name", "timezone", "workweek", "holidays", "lang"],
        problems,
    );
    let lang = p
        .str(
            "lang",
            Expect {
                what: "\"en\" or \"he\"",
                example: "\"he\"",
            },
            problems,
        )
        .and_then(|l| match l.value.as_str() {
            "en" => Some(l.with(Lang::En)),
            "he" => Some(l.with(Lang::He)),
            other => {
                problems.at(
                    &l,
                    format!("unknown language `{other}`; use \"en\" (English) or \"he\" (Hebrew)"),
                );
                None
            }
        });
    RawProcess {
        at: p.at(()),
        id: p.id("id", Expect { what: "a short name in quotes", example: "\"content\"" }, problems),
        name: p.text("name", Expect { what: "the process's name", example: "\"Content pipeline\"" }, problems),
        timezone: p.req_text(
            "timezone",
            Expect { what: "an IANA time zone name in quotes", example: "\"Asia/Jerusalem\"" },
            problems,
        ),
        workweek: p.weekdays("workweek", problems).inspect(|days| {
            if p.list("workweek").is_some_and(|(_, written)| written.is_empty()) {
                problems.at(
                    days,
                    "`workweek` is empty, so no day is a business day; list the working days, like [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]",
                );
            }
        }),
        holidays: p.dates("holidays", problems).map(|d| d.value).unwrap_or_default(),
        lang,
    }
}

fn read_role(id: At<String>, r: &Fields<'_, '_>, problems: &mut Problems) -> RawRole {
    r.check_keys(
        &["name", "people", "backup", "away", "max_parallel"],
        problems,
    );
    check_id(&id, "role", problems);
    let person = Expect {
        what: "an e-mail address in quotes",
        example: "\"dana@example.com\"",
    };
    let people_expect = Expect {
        what: "a list of e-mail addresses in quotes",
        example: "[\"dana@example.com\"]",
    };
    let people = r.str_list("people", people_expect, problems);
    let no_people = format!(
        "role `{}` has no people; add at least one, like people = [\"dana@example.com\"]",
        id.value
    );
    match r.list("people") {
        None if !r.has_misspelling_of("people") => problems.add(r.file, r.span.clone(), no_people),
        Some((span, written)) if written.is_empty() => problems.add(r.file, span, no_people),
        _ => {}
    }
    let away_expect = Expect {
        what: "a list of tables",
        example: "[{ who = \"dana@example.com\", from = 2026-12-20, to = 2026-12-27 }]",
    };
    let away = r
        .tables("away", "this away period", away_expect, problems)
        .iter()
        .map(|a| {
            a.check_keys(&["who", "from", "to"], problems);
            RawAway {
                who: a.req_text("who", person, problems),
                from: a.req_date("from", "2026-12-20", problems),
                to: a.req_date("to", "2026-12-27", problems),
            }
        })
        .collect();
    RawRole {
        id,
        name: r.text(
            "name",
            Expect {
                what: "the role's name",
                example: "\"Content writer\"",
            },
            problems,
        ),
        people,
        backup: r.text("backup", person, problems),
        away,
        max_parallel: r.count(
            "max_parallel",
            Expect {
                what: "a whole number of tasks at once, at least 1",
                example: "2",
            },
            problems,
        ),
    }
}

fn read_stage(s: &Fields<'_, '_>, problems: &mut Problems) -> RawStage {
    s.check_keys(
        &[
            "id",
            "name",
            "owner",
            "days",
            "after",
            "after_golive",
            "checklist",
        ],
        problems,
    );
    let days_expect = Expect {
        what: "a whole number of business days",
        example: "3",
    };
    let days = s.count("days", days_expect, problems);
    if s.get("days").is_none() {
        s.missing("days", days_expect, problems);
    }
    let checklist = read_checklist(s, problems);
    RawStage {
        id: s.id(
            "id",
            Expect {
                what: "a short name in quotes",
                example: "\"copy\"",
            },
            problems,
        ),
        name: s.text(
            "name",
            Expect {
                what: "the stage's name",
                example: "\"Copy\"",
            },
            problems,
        ),
        owner: s.req_str(
            "owner",
            Expect {
                what: "a role id in quotes",
                example: "\"writer\"",
            },
            problems,
        ),
        days,
        after: s.str_list(
            "after",
            Expect {
                what: "a list of stage ids in quotes",
                example: "[\"idea\"]",
            },
            problems,
        ),
        after_golive: s.count(
            "after_golive",
            Expect {
                what: "a whole number of business days after the go-live date, 0 or more",
                example: "2",
            },
            problems,
        ),
        checklist,
    }
}

/// A stage's `checklist`: each entry text in quotes, or a table with an id and a role.
fn read_checklist(s: &Fields<'_, '_>, problems: &mut Problems) -> Vec<RawEntry> {
    let mut checklist = Vec::new();
    if let Some((_, entries)) = s.list("checklist") {
        for entry in entries {
            match entry.get_ref() {
                DeValue::String(text) => {
                    let at = At::new((), s.file, entry.span());
                    let text = at.with(text.to_string());
                    if text.value.trim().is_empty() {
                        problems.at(&text, "this checklist entry is empty; write what must be done, or remove it");
                        continue;
                    }
                    checklist.push(RawEntry { at, id: None, text: Some(text), role: None });
                }
                DeValue::Table(_) => {
                    let e = Fields::from_value(s.file, entry, "this checklist entry").expect("a table");
                    e.check_keys(&["id", "text", "role"], problems);
                    let id = e.str("id", Expect { what: "a short name in quotes", example: "\"brief-ok\"" }, problems);
                    let id = id.filter(|id| check_id(id, "id", problems));
                    checklist.push(RawEntry {
                        at: e.at(()),
                        id,
                        text: e.req_text("text", Expect { what: "what must be done", example: "\"Brief approved\"" }, problems),
                        role: e.str("role", Expect { what: "a role id in quotes", example: "\"campaign\"" }, problems),
                    });
                }
                _ => problems.add(
                    s.file,
                    entry.span(),
                    "a checklist entry must be text in quotes, like \"Brief approved\", or a table, like { id = \"brief-ok\", text = \"Brief approved\", role = \"campaign\" }",
                ),
            }
        }
    }
    checklist
}

pub(crate) fn read_items(
    file: FileId,
    doc: &Spanned<DeTable<'_>>,
    problems: &mut Problems,
) -> RawItemFile {
    let top = Fields::new(file, doc, "an item file");
    top.check_keys(&["item", "cadence", "metric"], problems);
    let items = top
        .tables(
            "item",
            "this item",
            Expect {
                what: "a list of tables, each written [[item]]",
                example: "[[item]]",
            },
            problems,
        )
        .iter()
        .map(|t| {
            t.check_keys(
                &[
                    "id", "process", "title", "golive", "people", "skip", "channel", "notes",
                ],
                problems,
            );
            RawItem {
                common: read_item_common(t, problems),
                golive: t.req_date("golive", "2026-12-10", problems),
            }
        })
        .collect();
    let cadence_expect = Expect {
        what: "a list of tables, each written [[cadence]]",
        example: "[[cadence]]",
    };
    let cadences = top
        .tables("cadence", "this cadence", cadence_expect, problems)
        .iter()
        .map(|t| {
            t.check_keys(
                &["id", "process", "title", "on", "from", "until", "people", "skip", "channel", "notes"],
                problems,
            );
            let on = t.weekdays("on", problems);
            match t.list("on") {
                None => t.missing("on", Expect { what: "publishing days", example: "[\"tue\"]" }, problems),
                Some((span, written)) if written.is_empty() => problems.add(
                    t.file,
                    span,
                    "`on` is empty, so this cadence makes no items; list the publishing days, like on = [\"tue\"]",
                ),
                Some(_) => {}
            }
            RawCadence {
                common: read_item_common(t, problems),
                on,
                from: t.req_date("from", "2026-12-01", problems),
                until: t.req_date("until", "2027-03-01", problems),
            }
        })
        .collect();
    RawItemFile {
        items,
        cadences,
        metrics: super::metric::read_metrics(&top, problems),
    }
}

fn read_item_common(t: &Fields<'_, '_>, problems: &mut Problems) -> RawItemCommon {
    let mut people = Vec::new();
    let people_expect = Expect {
        what: "a table of role = person",
        example: "{ writer = \"yossi@example.com\" }",
    };
    if let Some(p) = t.table("people", "`people`", people_expect, problems) {
        for (role, person) in p.entries() {
            match person.get_ref() {
                DeValue::String(s) => {
                    people.push((role.with(role.value.to_string()), At::new(s.to_string(), t.file, person.span())))
                }
                _ => problems.add(
                    t.file,
                    person.span(),
                    format!("the person for role `{}` must be an e-mail address in quotes, like \"yossi@example.com\"", role.value),
                ),
            }
        }
    }
    RawItemCommon {
        at: t.at(()),
        id: t.id(
            "id",
            Expect {
                what: "a short name in quotes",
                example: "\"spring-sale\"",
            },
            problems,
        ),
        process: t.str(
            "process",
            Expect {
                what: "a process id in quotes",
                example: "\"content\"",
            },
            problems,
        ),
        title: t.text(
            "title",
            Expect {
                what: "a title",
                example: "\"Spring sale announcement\"",
            },
            problems,
        ),
        people,
        skip: t
            .str_list(
                "skip",
                Expect {
                    what: "a list of stage ids in quotes",
                    example: "[\"design\"]",
                },
                problems,
            )
            .map(|s| s.value)
            .unwrap_or_default(),
        channel: t.text("channel", TEXT, problems),
        notes: t.str("notes", TEXT, problems),
    }
}

/// A near-miss of a key every target has, such as `credential` or `mapings`: such keys would
/// otherwise pass silently into the kind's settings.
pub(crate) fn misspelt_target_key(key: &str, kind_keys: &[&str]) -> Option<String> {
    let known: Vec<&str> = TARGET_KEYS.iter().chain(kind_keys).copied().collect();
    let near = super::fields::suggest(key, known.iter().copied())?;
    (near != key).then(|| unknown_key(key, "this target", &known))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T>(
        text: &str,
        read: impl Fn(FileId, &Spanned<DeTable<'_>>, &mut Problems) -> T,
    ) -> (T, Vec<String>) {
        let (doc, errors) = DeTable::parse_recoverable(text);
        assert!(errors.is_empty(), "{errors:?}");
        let mut problems = Problems::default();
        let raw = read(FileId(0), &doc, &mut problems);
        let mut files = super::super::fields::Files::default();
        files.add(super::super::Source::new("t.toml", text.to_string()));
        let messages = problems
            .into_diagnostics(&files)
            .iter()
            .map(|d| d.to_string())
            .collect();
        (raw, messages)
    }

    #[test]
    fn a_stage_reads_with_its_checklist_in_order() {
        let text = r#"
[process]
id = "content"
timezone = "Asia/Jerusalem"

[[stage]]
id = "idea"
owner = "campaign"
days = 2
checklist = ["Record where the idea came from", { id = "brief-ok", text = "Brief approved", role = "campaign" }]
"#;
        let (raw, messages) = parse(text, read_playbook);
        assert_eq!(messages, Vec::<String>::new());
        let stage = &raw.stages[0];
        assert_eq!(stage.days.as_ref().unwrap().value, 2);
        assert!(stage.after.is_none());
        assert_eq!(stage.checklist.len(), 2);
        assert_eq!(stage.checklist[1].id.as_ref().unwrap().value, "brief-ok");
        assert_eq!(stage.checklist[1].role.as_ref().unwrap().value, "campaign");
    }

    #[test]
    fn wrong_shapes_are_reported_at_the_value() {
        let text = "[process]\nid = \"c\"\ntimezone = \"UTC\"\n[[stage]]\nid = \"a\"\nower = \"x\"\ndays = 2.5\n";
        let (_, messages) = parse(text, read_playbook);
        // The typo says "did you mean `owner`?"; "no `owner`" on top would say it twice.
        assert_eq!(
            messages,
            vec![
                "t.toml:6:1: unknown key `ower`; did you mean `owner`?",
                "t.toml:7:8: `days` must be a whole number of business days, like 3",
            ]
        );
        let text = "[process]\nid = \"c\"\ntimezone = \"UTC\"\n[[stage]]\nid = \"a\"\ncolour = \"x\"\ndays = 1\n";
        let (_, messages) = parse(text, read_playbook);
        assert_eq!(
            messages,
            vec![
                "t.toml:4:1: this stage has no `owner`; add one, like owner = \"writer\"",
                "t.toml:6:1: unknown key `colour` in this stage; the keys it takes are: id, name, owner, days, after, after_golive, checklist",
            ]
        );
    }

    #[test]
    fn target_settings_keep_every_other_key() {
        let text = "[[target]]\nid = \"books\"\nkind = \"excel\"\npath = \"plan.xlsx\"\nsheet = \"Tasks\"\nfreeze = true\n";
        let (raw, messages) = parse(text, read_config);
        assert_eq!(
            messages,
            vec![
                "t.toml:1:1: throughline.toml has no `playbooks`; add one, like playbooks = [\"playbooks/*.toml\"]"
            ]
        );
        let keys: Vec<_> = raw.targets[0]
            .settings
            .iter()
            .map(|(k, _)| k.value.as_str())
            .collect();
        assert_eq!(keys, ["path", "sheet", "freeze"]);
        assert_eq!(
            misspelt_target_key("credential", &["board"]).unwrap(),
            "unknown key `credential`; did you mean `credentials`?"
        );
        assert_eq!(
            misspelt_target_key("bord", &["board"]).unwrap(),
            "unknown key `bord`; did you mean `board`?"
        );
        assert_eq!(misspelt_target_key("sheet", &["path"]), None);
    }
}
