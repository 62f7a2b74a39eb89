//! Recommendations: rules over the measurements (the table is in the module doc).

use std::collections::BTreeSet;

use super::{Ctx, Evidence, Recommendation, Report};

/// A unified diff of one table of a playbook: context lines, then the removed and added lines.
fn diff(file: &str, context: &[String], old: &str, new: &str) -> String {
    let mut out = format!("--- {file}\n+++ {file}\n");
    for line in context {
        out.push_str(&format!(" {line}\n"));
    }
    out.push_str(&format!("-{old}\n+{new}\n"));
    out
}

fn stage_days_diff(file: &str, stage: &str, old: u32, new: u32) -> String {
    diff(
        file,
        &["[[stage]]".to_string(), format!("id = \"{stage}\"")],
        &format!("days = {old}"),
        &format!("days = {new}"),
    )
}

fn toml_list(people: &[String]) -> String {
    let quoted: Vec<String> = people.iter().map(|p| format!("\"{p}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

pub(crate) fn recommend(ctx: &Ctx, report: &Report) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let late_stages = late_stages(ctx, report, &mut out);
    slow_stages(ctx, report, &late_stages, &mut out);
    over_parallel(ctx, report, &mut out);
    unused_targets(report, &mut out);
    out
}

/// A stage late in at least half of its items (and twice or more): give it the median
/// lateness on top. Returns the stages it recommended for, which the p85 rule then skips.
fn late_stages(
    ctx: &Ctx,
    report: &Report,
    out: &mut Vec<Recommendation>,
) -> BTreeSet<(String, String)> {
    let mut late_stages = BTreeSet::new();
    for sr in &report.on_time.by_stage {
        let r = &sr.rate;
        let (Some(process), Some(median)) =
            (ctx.processes.get(sr.process.as_str()), r.median_lateness)
        else {
            continue;
        };
        let Some(stage) = process.stages.iter().find(|s| s.id == sr.stage) else {
            continue;
        };
        if r.late < 2 || r.late * 2 < r.counted {
            continue;
        }
        late_stages.insert((sr.process.clone(), sr.stage.clone()));
        let new = stage.days + median;
        let tasks: Vec<String> = report
            .on_time
            .late
            .iter()
            .filter(|l| {
                ctx.task_index.get(l.task.as_str()).is_some_and(|&i| {
                    let t = ctx.task(i);
                    t.process == sr.process && t.stage == sr.stage
                })
            })
            .map(|l| l.task.clone())
            .collect();
        out.push(Recommendation {
            id: format!("late-stage/{}/{}", sr.process, sr.stage),
            text: format!(
                "`{}` finished late in {} of {} items, median {} business day{} late: give it \
                 `days = {}` (planned {}), or add a backup to the `{}` role",
                sr.stage,
                r.late,
                r.counted,
                median,
                if median == 1 { "" } else { "s" },
                new,
                stage.days,
                stage.role
            ),
            evidence: Evidence {
                numbers: [
                    ("late".to_string(), f64::from(r.late)),
                    ("counted".to_string(), f64::from(r.counted)),
                    ("median_lateness".to_string(), f64::from(median)),
                    ("planned_days".to_string(), f64::from(stage.days)),
                ]
                .into(),
                tasks,
            },
            change: Some(stage_days_diff(&process.file, &stage.id, stage.days, new)),
        });
    }
    late_stages
}

/// A stage (not already late) whose p85 stage time is over its planned days.
fn slow_stages(
    ctx: &Ctx,
    report: &Report,
    late_stages: &BTreeSet<(String, String)>,
    out: &mut Vec<Recommendation>,
) {
    for st in &report.stage_time {
        let (Some(p85), Some(process)) = (st.p85, ctx.processes.get(st.process.as_str())) else {
            continue;
        };
        if st.count < 3
            || p85 <= st.planned_days
            || late_stages.contains(&(st.process.clone(), st.stage.clone()))
        {
            continue;
        }
        out.push(Recommendation {
            id: format!("stage-p85/{}/{}", st.process, st.stage),
            text: format!(
                "`{}` p85 is {} business days, planned {}: give it `days = {}`",
                st.stage, p85, st.planned_days, p85
            ),
            evidence: Evidence {
                numbers: [
                    ("p85".to_string(), f64::from(p85)),
                    ("planned_days".to_string(), f64::from(st.planned_days)),
                    ("count".to_string(), f64::from(st.count)),
                ]
                .into(),
                tasks: st
                    .tasks
                    .iter()
                    .filter(|t| t.business_days > st.planned_days)
                    .map(|t| t.task.clone())
                    .collect(),
            },
            change: Some(stage_days_diff(
                &process.file,
                &st.stage,
                st.planned_days,
                p85,
            )),
        });
    }
}

/// A person over their role's max_parallel in at least half of their working weeks.
fn over_parallel(ctx: &Ctx, report: &Report, out: &mut Vec<Recommendation>) {
    for l in &report.load {
        let Some(max) = l.max_parallel else { continue };
        if l.weeks_over < 2 || l.weeks_over * 2 <= l.weeks_with_work {
            continue;
        }
        let peak = l.weeks.iter().map(|w| w.peak).max().unwrap_or(0);
        // The role with the limit: the one to share.
        let role = ctx.input.processes.iter().find_map(|p| {
            let r = p
                .roles
                .iter()
                .find(|r| r.max_parallel == Some(max) && r.people.contains(&l.person))?;
            Some((p, r))
        });
        let change = role.map(|(p, r)| {
            let mut people = r.people.clone();
            people.push("SECOND PERSON".to_string());
            diff(
                &p.file,
                &[format!("[roles.{}]", r.id)],
                &format!("people = {}", toml_list(&r.people)),
                &format!("people = {}", toml_list(&people)),
            )
        });
        out.push(Recommendation {
            id: format!("over-parallel/{}", l.person),
            text: format!(
                "{} was over max_parallel = {} in {} of {} weeks (peak {}): share the role \
                 with a second person, or move go-lives apart",
                l.person, max, l.weeks_over, l.weeks_with_work, peak
            ),
            evidence: Evidence {
                numbers: [
                    ("weeks_over".to_string(), f64::from(l.weeks_over)),
                    ("weeks_with_work".to_string(), f64::from(l.weeks_with_work)),
                    ("max_parallel".to_string(), f64::from(max)),
                    ("peak".to_string(), f64::from(peak)),
                ]
                .into(),
                tasks: Vec::new(),
            },
            change,
        });
    }
}

/// A target nobody updates while another target gets updates.
fn unused_targets(report: &Report, out: &mut Vec<Recommendation>) {
    let updated: Vec<&super::TargetUpdates> = report
        .adoption
        .targets
        .iter()
        .filter(|t| t.updates > 0)
        .collect();
    if !updated.is_empty() {
        for t in report.adoption.targets.iter().filter(|t| t.updates == 0) {
            let from: Vec<String> = updated
                .iter()
                .map(|u| format!("{} ({} updates)", u.target, u.updates))
                .collect();
            out.push(Recommendation {
                id: format!("tool-unused/{}", t.target),
                text: format!(
                    "nobody updates a status in `{}` ({}): statuses arrive only from {}. Ask the \
                     team whether they use it, or remove the target",
                    t.target,
                    t.tool,
                    from.join(", ")
                ),
                evidence: Evidence {
                    numbers: updated
                        .iter()
                        .map(|u| (format!("updates.{}", u.target), f64::from(u.updates)))
                        .collect(),
                    tasks: Vec::new(),
                },
                change: None,
            });
        }
    }
}
