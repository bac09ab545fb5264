//! `eval`'s figures for people: a terminal summary and a Markdown report
//! (per camera view and activity, every kind, and for each miss the
//! postures that explain it). Figures only: no picture of anyone.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{CaseResult, EvalReport, GroupScore, KindScore};
use crate::care::levels;
use crate::care::CareKind;

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}"))
}

fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.2} s"))
}

/// Cases where nothing was expected: everyday activities.
fn everyday(report: &EvalReport) -> impl Iterator<Item = &CaseResult> {
    report
        .cases
        .iter()
        .filter(|c| c.hits.is_empty() && c.misses.is_empty())
}

/// The figures staff care about first: falls found, false falls among
/// everyday activities, and how soon; for a set of sounds, each sound kind
/// found and the ordinary recordings that raised anything.
pub fn headline(report: &EvalReport) -> String {
    let sounds_expected = report
        .kinds
        .iter()
        .any(|(kind, score)| kind.sound().is_some() && score.expected > 0);
    let falls_expected = report
        .kinds
        .get(&CareKind::Fall)
        .is_some_and(|s| s.expected > 0);
    match (sounds_expected, falls_expected) {
        (true, false) => sound_headline(report),
        (true, true) => format!("{}; {}", fall_headline(report), sound_headline(report)),
        _ => fall_headline(report),
    }
}

/// `n` of `of` as a percentage.
fn share_of(n: usize, of: usize) -> String {
    if of == 0 {
        "n/a".to_string()
    } else {
        format!("{:.1} %", 100.0 * n as f64 / of as f64)
    }
}

fn sound_headline(report: &EvalReport) -> String {
    let found: Vec<String> = report
        .kinds
        .iter()
        .filter(|(kind, score)| kind.sound().is_some() && score.expected > 0)
        .map(|(kind, score)| {
            format!(
                "{} {} of {} (recall {})",
                kind.name(),
                score.hits,
                score.expected,
                ratio(score.recall)
            )
        })
        .collect();
    let ordinary: Vec<&CaseResult> = everyday(report).collect();
    let with_any = ordinary
        .iter()
        .filter(|c| !c.false_alarms.is_empty())
        .count();
    let reaching_staff = ordinary
        .iter()
        .filter(|c| {
            c.false_alarms
                .iter()
                .any(|(k, _)| levels::sent_at_night(k.name()))
        })
        .count();
    format!(
        "sounds found: {}; ordinary recordings with a false event {} of {} ({}), \
         with one sent to staff at night at the default levels {} ({})",
        found.join(", "),
        with_any,
        ordinary.len(),
        share_of(with_any, ordinary.len()),
        reaching_staff,
        share_of(reaching_staff, ordinary.len())
    )
}

fn fall_headline(report: &EvalReport) -> String {
    let fall = report
        .kinds
        .get(&CareKind::Fall)
        .cloned()
        .unwrap_or_default();
    let adl: Vec<&CaseResult> = everyday(report).collect();
    let with_false_fall = adl
        .iter()
        .filter(|c| c.false_alarms.iter().any(|(k, _)| *k == CareKind::Fall))
        .count();
    let with_any = adl.iter().filter(|c| !c.false_alarms.is_empty()).count();
    let share = |n: usize| share_of(n, adl.len());
    format!(
        "falls found {} of {} (recall {}), median delay {} (max {}); everyday activities with a false fall {} of {} ({}), with any false alarm {} of {} ({})",
        fall.hits,
        fall.expected,
        ratio(fall.recall),
        seconds(fall.median_delay_s),
        seconds(fall.max_delay_s),
        with_false_fall,
        adl.len(),
        share(with_false_fall),
        with_any,
        adl.len(),
        share(with_any),
    )
}

fn kind_line(kind: CareKind, s: &KindScore) -> String {
    format!(
        "{:<16} expected {:>3}  hits {:>3}  false alarms {:>3}  precision {:>4}  recall {:>4}  delay median {} max {}",
        kind.name(),
        s.expected,
        s.hits,
        s.false_alarms,
        ratio(s.precision),
        ratio(s.recall),
        seconds(s.median_delay_s),
        seconds(s.max_delay_s)
    )
}

fn false_alarm_names(group: &GroupScore) -> String {
    if group.false_alarms.is_empty() {
        return "none".to_string();
    }
    group
        .false_alarms
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `tryghed eval` prints.
pub fn text(report: &EvalReport) -> String {
    let mut out = String::new();
    for case in &report.cases {
        let verdict = if case.misses.is_empty() && case.false_alarms.is_empty() {
            "ok"
        } else {
            "WRONG"
        };
        let _ = writeln!(
            out,
            "{:<48} {verdict:<6} hits {:?} misses {:?} false alarms {:?}",
            case.case, case.hits, case.misses, case.false_alarms
        );
    }
    for (kind, score) in &report.kinds {
        let _ = writeln!(out, "{}", kind_line(*kind, score));
    }
    for (title, groups) in [("view", &report.by_view), ("activity", &report.by_activity)] {
        if groups.keys().all(String::is_empty) {
            continue;
        }
        for (name, g) in groups {
            let _ = writeln!(out, "{title} {name:<40} cases {:>3}  expected {:>3}  hits {:>3}  misses {:>3}  false alarms: {}", g.cases, g.expected, g.hits, g.misses, false_alarm_names(g));
        }
    }
    let _ = write!(out, "{}", headline(report));
    out
}

fn group_table(out: &mut String, title: &str, groups: &BTreeMap<String, GroupScore>) {
    let _ = writeln!(out, "\n## By {title}\n\n| {title} | cases | expected | found | missed | false alarms | cases with a false alarm |\n|---|---:|---:|---:|---:|---|---:|");
    for (name, g) in groups {
        let name = if name.is_empty() {
            "(unlabelled)"
        } else {
            name
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            g.cases,
            g.expected,
            g.hits,
            g.misses,
            false_alarm_names(g),
            g.cases_with_false_alarms
        );
    }
}

/// The posture runs of a case, one line per person: `0.0 s standing → 2.4 s lying_on_floor`.
fn timeline(case: &CaseResult) -> String {
    let mut persons: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (person, t, posture) in &case.timeline {
        persons
            .entry(*person)
            .or_default()
            .push(format!("{t:.1} s {posture}"));
    }
    if persons.is_empty() {
        return "nobody was seen".to_string();
    }
    persons
        .iter()
        .map(|(p, runs)| format!("person {p}: {}", runs.join(" → ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The Markdown report of `eval --report`.
pub fn markdown(report: &EvalReport) -> String {
    let mut out = format!("# Evaluation\n\n{}\n\n## Every kind\n\n| kind | expected | found | false alarms | precision | recall | median delay | max delay |\n|---|---:|---:|---:|---:|---:|---:|---:|\n", headline(report));
    for (kind, s) in &report.kinds {
        let _ = writeln!(
            out,
            "| {kind} | {} | {} | {} | {} | {} | {} | {} |",
            s.expected,
            s.hits,
            s.false_alarms,
            ratio(s.precision),
            ratio(s.recall),
            seconds(s.median_delay_s),
            seconds(s.max_delay_s)
        );
    }
    group_table(&mut out, "view", &report.by_view);
    group_table(&mut out, "activity", &report.by_activity);
    let _ = writeln!(out, "\n## Cases that went wrong\n");
    let wrong: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| !c.misses.is_empty() || !c.false_alarms.is_empty())
        .collect();
    if wrong.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for case in wrong {
        let missed = case
            .misses
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ");
        let false_alarms = case
            .false_alarms
            .iter()
            .map(|(k, t)| format!("{k} at {t:.1} s"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "- **{}** ({}; {}): missed [{missed}], false alarms [{false_alarms}]. Postures: {}",
            case.case,
            case.view,
            case.activity,
            timeline(case)
        );
    }
    out
}
