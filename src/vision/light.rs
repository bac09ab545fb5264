//! A dark picture made brighter before the models see it, as a camera's
//! own exposure control would: at night a room lit by a nightlight or the
//! corridor leaves a person a few grey levels above black, where the pose
//! models find nobody. A picture bright enough already is left exactly as
//! it is, so daylight results do not change.

/// The brightest 2 % of a picture below this share of the range is dark.
const DARK_BELOW: f32 = 0.5;
/// A dark picture is lifted so its bright end comes here...
const LIFT_TO: f32 = 0.8;
/// ...by at most this gain: more only raises the sensor's grain.
const MAX_GAIN: f32 = 4.0;

/// Brightens a model input tensor whose values run from `low` (black) to
/// `high` (white) when it is dark; returns the gain used (1 when not dark).
pub fn lift_low_light(tensor: &mut [f32], (low, high): (f32, f32)) -> f32 {
    let range = high - low;
    if tensor.is_empty() || range <= 0.0 {
        return 1.0;
    }
    // Every seventh value (seven is prime to the three channels) tells the
    // brightness as well as all of them, at a seventh of the cost per crop.
    let mut histogram = [0u32; 256];
    let mut samples = 0u32;
    for v in tensor.iter().step_by(7) {
        let bin = (((v - low) / range) * 255.0).clamp(0.0, 255.0) as usize;
        histogram[bin] += 1;
        samples += 1;
    }
    let wanted = samples / 50;
    let mut above = 0;
    let bright = (0..256)
        .rev()
        .find(|&bin| {
            above += histogram[bin];
            above > wanted
        })
        .unwrap_or(0) as f32
        / 255.0;
    if bright >= DARK_BELOW {
        return 1.0;
    }
    let gain = (LIFT_TO / bright.max(1.0 / 255.0)).min(MAX_GAIN);
    for v in tensor.iter_mut() {
        *v = (low + (*v - low) * gain).min(high);
    }
    gain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dark_picture_is_lifted_and_a_lit_one_is_left_alone() {
        // A room at night: everything within the darkest fifth.
        let mut dark: Vec<f32> = (0..3000).map(|i| (i % 50) as f32 / 255.0).collect();
        let gain = lift_low_light(&mut dark, (0.0, 1.0));
        assert!((3.9..=4.0).contains(&gain), "{gain}");
        assert!((dark[49] - 49.0 * gain / 255.0).abs() < 1e-6);
        // Daylight, in the detector's -1..1 range: untouched, bit for bit.
        let lit: Vec<f32> = (0..3000).map(|i| (i % 255) as f32 / 127.5 - 1.0).collect();
        let mut same = lit.clone();
        assert_eq!(lift_low_light(&mut same, (-1.0, 1.0)), 1.0);
        assert_eq!(same, lit);
        // Black stays black: a letterbox border is not lifted off the floor.
        let mut border = vec![-1.0f32; 100];
        lift_low_light(&mut border, (-1.0, 1.0));
        assert!(border.iter().all(|&v| v == -1.0));
    }
}
