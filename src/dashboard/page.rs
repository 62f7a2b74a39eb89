//! What every page shares: what it reads for one request ([`Ctx`]), the frame around its
//! content (header, navigation, footer), the style sheet, and small HTML helpers.
//!
//! Pages are plain HTML with the style sheet at `/static/dashboard.css`: readable without
//! JavaScript, nothing fetched from anywhere else (the `Content-Security-Policy` every page
//! carries says so to the browser too).

use std::fmt::Write;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Unit};
use throughline_connector::State;

use super::words::{Words, words};
use super::{Dashboard, Model, PageError, SignedIn};
use crate::report::charts::escape;
use crate::state::{StateStore, StatusRecord};

/// The pages in the navigation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Process,
    People,
    Sync,
    Review,
    /// A page not in the navigation (an item).
    None,
}

/// What a page reads for one request.
pub struct Ctx {
    pub model: Arc<Model>,
    pub store: Box<dyn StateStore>,
    /// The hub's status of every task and entry.
    pub statuses: Vec<StatusRecord>,
    pub now: Timestamp,
    /// The first playbook's time zone: days and times are shown in it.
    pub tz: TimeZone,
    pub today: Date,
    pub rtl: bool,
    pub w: &'static Words,
    /// Who is signed in; `None` shows no action.
    pub user: Option<SignedIn>,
    pub daemon: bool,
}

impl Ctx {
    /// The model, the store and the statuses as they are now.
    pub fn load(dash: &Dashboard, user: Option<SignedIn>) -> Result<Ctx, PageError> {
        let model = dash.model()?;
        let store = dash.store(&model.dep)?;
        let statuses = store.statuses()?;
        let now = dash.now();
        let tz = model
            .dep
            .processes
            .first()
            .map(|p| p.timezone.clone())
            .unwrap_or(TimeZone::UTC);
        let rtl = model.dep.processes.first().is_some_and(|p| p.lang.is_rtl());
        Ok(Ctx {
            today: now.to_zoned(tz.clone()).date(),
            model,
            store,
            statuses,
            now,
            tz,
            rtl,
            w: words(rtl),
            user,
            daemon: dash.daemon_shared().is_some(),
        })
    }

    /// A moment as people read it here: `2026-12-20 14:03` in the playbook's time zone.
    pub fn time(&self, t: Timestamp) -> String {
        let z = t.to_zoned(self.tz.clone());
        match z.round(Unit::Minute) {
            Ok(z) => z.strftime("%Y-%m-%d %H:%M").to_string(),
            Err(_) => z.strftime("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// A person as the roles name them ("Dana Levi"), else the address as written.
    pub fn person(&self, who: &str) -> String {
        self.model
            .dep
            .name_of(who)
            .map(str::to_string)
            .unwrap_or_else(|| who.to_string())
    }

    /// The status of a task or entry (to do when the hub has none yet).
    pub fn state_of<'a>(
        &'a self,
        index: &std::collections::HashMap<&'a str, State>,
        id: &str,
    ) -> State {
        index.get(id).copied().unwrap_or(State::Todo)
    }

    /// Statuses by identity.
    pub fn status_index(&self) -> std::collections::HashMap<&str, State> {
        self.statuses
            .iter()
            .map(|s| (s.identity.as_str(), s.state))
            .collect()
    }
}

/// The style sheet, served at `/static/dashboard.css`.
pub const STYLE: &str = include_str!("dashboard.css");

/// The whole page around `body`.
pub fn frame(ctx: &Ctx, nav: Nav, title: &str, body: &str) -> String {
    let w = ctx.w;
    let mut out = String::with_capacity(body.len() + 4096);
    let heading = ctx
        .model
        .dep
        .processes
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(" · ");
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"/static/dashboard.css\"></head><body>\
         <a class=\"skip\" href=\"#main\">{}</a>",
        w.lang,
        if ctx.rtl { "rtl" } else { "ltr" },
        escape(title),
        escape(w.dashboard),
        escape(w.skip),
    );
    let _ = write!(
        out,
        "<header class=\"top\"><div class=\"brand\"><span class=\"logo\" aria-hidden=\"true\">◆</span> throughline · {}</div><div class=\"sub\">{}</div>",
        escape(w.dashboard),
        escape(&heading)
    );
    // Who is signed in and the way out, or the way in where sign-in is configured.
    match &ctx.user {
        Some(u) => {
            let _ = write!(
                out,
                "<div class=\"who\">{} <b>{}</b> {}</div>",
                escape(w.signed_in_as),
                escape(&u.user),
                super::auth::sign_out_form(&u.csrf, w.sign_out)
            );
        }
        None if super::sign_in_configured(&ctx.model.dep) => {
            let _ = write!(
                out,
                "<div class=\"who\"><a href=\"/login\">{}</a></div>",
                escape(w.sign_in)
            );
        }
        None => {}
    }
    out.push_str("</header>");
    navigation(&mut out, w, nav);
    let _ = writeln!(
        out,
        "<main id=\"main\"><h1>{}</h1>{body}</main><footer>{} · {}</footer></body></html>",
        escape(title),
        escape(&ctx.time(ctx.now)),
        escape(ctx.tz.iana_name().unwrap_or("UTC")),
    );
    out
}

fn navigation(out: &mut String, w: &Words, nav: Nav) {
    out.push_str("<nav aria-label=\"pages\"><ul>");
    for (page, href, name) in [
        (Nav::Overview, "/", w.overview),
        (Nav::Process, "/process", w.process),
        (Nav::People, "/people", w.people),
        (Nav::Sync, "/sync", w.sync),
        (Nav::Review, "/review", w.review),
    ] {
        let current = if page == nav {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<li><a href=\"{href}\"{current}>{}</a></li>",
            escape(name)
        );
    }
    out.push_str("</ul></nav>");
}

/// A section with a heading; `id` is its anchor.
pub fn section(out: &mut String, id: &str, title: &str, desc: &str) {
    let _ = write!(
        out,
        "<section id=\"{id}\" aria-labelledby=\"{id}-h\"><h2 id=\"{id}-h\">{}</h2>",
        escape(title)
    );
    if !desc.is_empty() {
        let _ = write!(out, "<p class=\"desc\">{}</p>", escape(desc));
    }
}

/// A number card: a label, the number, and a line under it; `tone` colours it
/// (`ok`, `warn`, `bad`, or empty).
pub fn card(out: &mut String, label: &str, value: &str, under: &str, tone: &str) {
    let _ = write!(
        out,
        "<div class=\"card {tone}\"><span class=\"label\">{}</span><b>{}</b><span class=\"under\">{}</span></div>",
        escape(label),
        escape(value),
        escape(under)
    );
}

/// A progress bar with its numbers written beside it (the bar is for the eye only).
pub fn progress(done: usize, total: usize, label: &str) -> String {
    let pct = if total == 0 {
        0.0
    } else {
        done as f64 * 100.0 / total as f64
    };
    format!(
        "<span class=\"prog\"><span class=\"bar\" aria-hidden=\"true\"><span class=\"{}\"></span></span> <span class=\"num\">{done}/{total}</span><span class=\"sr\"> {}</span></span>",
        width_class(pct),
        escape(label)
    )
}

/// The class of a bar `pct` % wide, to the nearest 5 %.
pub fn width_class(pct: f64) -> String {
    let step = ((pct.clamp(0.0, 100.0) / 5.0).round() as u32) * 5;
    format!("w{step}")
}

/// A state as a coloured badge with its word.
pub fn badge(w: &Words, s: State) -> String {
    let class = match s {
        State::Todo => "todo",
        State::Doing => "doing",
        State::Blocked => "blocked",
        State::Done => "done",
    };
    format!(
        "<span class=\"badge {class}\">{}</span>",
        escape(w.state(s))
    )
}

/// A table whose cells are already HTML; `numeric` marks the columns aligned as numbers. An
/// empty caption is left out.
pub fn table(
    out: &mut String,
    caption: &str,
    header: &[&str],
    numeric: &[usize],
    rows: &[Vec<String>],
) {
    out.push_str("<div class=\"scroll\"><table>");
    // A table right under a heading that names it needs no caption of its own.
    if !caption.is_empty() {
        let _ = write!(out, "<caption>{}</caption>", escape(caption));
    }
    out.push_str("<thead><tr>");
    for h in header {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (c, cell) in row.iter().enumerate() {
            let class = if numeric.contains(&c) {
                " class=\"n\""
            } else {
                ""
            };
            let _ = write!(out, "<td{class}>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// A paragraph saying there is nothing to show.
pub fn nothing(out: &mut String, w: &Words) {
    let _ = write!(out, "<p class=\"none\">{}</p>", escape(w.none));
}

/// The address of an item's page.
pub fn item_href(item: &str) -> String {
    format!(
        "/item/{}",
        percent_encoding::utf8_percent_encode(item, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// A link to an item's page, its title as the text.
pub fn item_link(item: &str, title: &str) -> String {
    format!("<a href=\"{}\">{}</a>", item_href(item), escape(title))
}

/// A hidden form field.
pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
        escape(value)
    )
}
