//! The headline sound figure: the 325 real recordings of
//! `../shared/datasets/sounds-dev` (screams, moaning, crying, coughing,
//! panting, smoke alarms, keys dropped, and ordinary room sound) become
//! `eval` cases by the same script a person would run, and go through the
//! whole sound path. The figures are printed and kept in
//! `target/real-sounds.md`; the floors below catch a regression, they are
//! not the goal (the README gives the measured figures).

mod common;

use serde_json::Value;
use tryghed::care::levels::sent_at_night;

/// Ordinary recordings that may send staff a false event before this test
/// fails (measured: 8 of 201).
const SENT_FLOOR: usize = 10;

fn recall(result: &Value, kind: &str) -> f64 {
    result["kinds"][kind]["recall"].as_f64().unwrap_or(0.0)
}

#[test]
fn sounds_in_real_recordings() {
    let result = common::eval_real_set("sounds-dev", "sounds_dev_cases.py", "real-sounds.md");
    assert_eq!(result["cases"].as_array().unwrap().len(), 325);
    assert_eq!(result["kinds"]["smoke_alarm"]["expected"], 6);
    assert!(result["kinds"]["smoke_alarm"]["hits"].as_u64().unwrap() >= 4);
    assert!(
        recall(&result, "scream") >= 0.6,
        "{}",
        result["kinds"]["scream"]
    );
    assert!(
        recall(&result, "distress") >= 0.35,
        "{}",
        result["kinds"]["distress"]
    );
    let ordinary = common::expecting_nothing(&result);
    let with_false = common::with_false_alarm(&ordinary, |_| true);
    assert!(
        with_false <= 23,
        "{with_false} of {} ordinary recordings raised an event",
        ordinary.len()
    );
    // What a phone would show at night, at the default levels: a door's
    // thud alone is kept as a fall's evidence, not sent.
    let sent = common::with_false_alarm(&ordinary, sent_at_night);
    assert!(
        sent <= SENT_FLOOR,
        "{sent} of {} ordinary recordings sent staff a false event",
        ordinary.len()
    );
    let false_smoke = result["kinds"]["smoke_alarm"]["false_alarms"]
        .as_u64()
        .unwrap();
    assert_eq!(
        false_smoke, 0,
        "a ringtone or a beep taken for a smoke alarm"
    );
}
