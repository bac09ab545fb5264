//! Falls and lying on the floor on generated keypoint sequences
//! (`care::synth`): falls in every direction, from the bed and as a slow
//! collapse are found within 2 s of reaching the floor; sitting down hard,
//! lying down on the bed, picking something up and kneeling are not falls;
//! dropped frames never make one.

use tryghed::care::fall::FallSettings;
use tryghed::care::posture::Posture;
use tryghed::care::synth::{render, Body, KeyPose, Noise, Script};
use tryghed::care::zones::{Polygon, Room};
use tryghed::care::{CareKind, CareSettings, PersonWatch};

const FLOOR: f32 = 440.0;
const FPS: f64 = 15.0;

fn body() -> Body {
    Body { height: 300.0, facing: 1.0 }
}

fn room_with_bed() -> Room {
    let mut room = Room::unzoned(640, 480);
    room.bed = Some(Polygon::new(vec![(380.0, 250.0), (630.0, 250.0), (630.0, 330.0), (380.0, 330.0)], 640, 480).unwrap());
    room
}

struct Outcome {
    postures: Vec<Posture>,
    falls: Vec<f64>,
    on_floor: Vec<f64>,
}

fn run(keys: Vec<(f64, KeyPose)>, room: Room, noise: Noise) -> Outcome {
    let frames = render(&[Script { body: body(), keys }], FPS, noise);
    let mut watch = PersonWatch::new(0, room, &CareSettings::default());
    let mut outcome = Outcome { postures: Vec::new(), falls: Vec::new(), on_floor: Vec::new() };
    for frame in &frames {
        let (posture, events) = watch.push(frame.t, frame.poses.first());
        if outcome.postures.last() != Some(&posture) {
            outcome.postures.push(posture);
        }
        for event in events {
            assert!(!event.evidence.values.is_empty(), "no event without its evidence: {event:?}");
            match event.kind {
                CareKind::Fall => outcome.falls.push(event.t_s),
                CareKind::OnFloor => outcome.on_floor.push(event.t_s),
                _ => {}
            }
        }
    }
    outcome
}

fn noisy(seed: u64) -> Noise {
    Noise { jitter: 0.006, drop_rate: 0.03, dropout: None, seed }
}

/// Standing, then on the floor at `floor_at` after a descent of `descent` s.
fn fall(direction: f32, descent: f64, floor_at: f64) -> Vec<(f64, KeyPose)> {
    let b = Body { facing: direction, ..body() };
    let mut lying = b.lying(320.0 + direction * 120.0, FLOOR, 15.0);
    lying.torso_deg = 90.0;
    vec![(0.0, b.standing(320.0, FLOOR)), (floor_at - descent, b.standing(320.0, FLOOR)), (floor_at, lying), (floor_at + 8.0, lying)]
}

#[test]
fn falls_are_found_within_two_seconds_of_reaching_the_floor() {
    let cases = [("forwards", fall(1.0, 0.7, 3.0)), ("backwards", fall(-1.0, 0.8, 3.0)), ("slow collapse", fall(1.0, 2.5, 4.0))];
    for (seed, (name, keys)) in cases.into_iter().enumerate() {
        let floor_at = keys[2].0;
        let outcome = run(keys, Room::unzoned(640, 480), noisy(seed as u64 + 1));
        assert_eq!(outcome.falls.len(), 1, "{name}: {:?}", outcome.postures);
        let delay = outcome.falls[0] - floor_at;
        assert!((0.0..=2.0).contains(&delay), "{name}: reported {delay:.2} s after reaching the floor");
        assert!(outcome.postures.contains(&Posture::LyingOnFloor), "{name}");
    }
}

#[test]
fn a_fall_from_bed_is_a_fall_and_lying_down_on_it_is_not() {
    let b = body();
    let in_bed = b.lying(500.0, 300.0, 10.0);
    let on_floor = b.lying(420.0, FLOOR, 15.0);
    let from_bed = vec![(0.0, in_bed), (3.0, in_bed), (3.6, on_floor), (10.0, on_floor)];
    let outcome = run(from_bed, room_with_bed(), noisy(7));
    assert_eq!(outcome.falls.len(), 1, "{:?}", outcome.postures);
    assert!(outcome.postures.starts_with(&[Posture::NotInView, Posture::LyingInBed]), "{:?}", outcome.postures);

    let sit_on_bed = KeyPose { hip_x: 500.0, hip_y: 300.0, torso_deg: 5.0, thigh_deg: 85.0, shin_deg: 0.0 };
    let lie_down = vec![(0.0, b.standing(450.0, FLOOR)), (2.0, b.standing(450.0, FLOOR)), (3.0, sit_on_bed), (5.0, sit_on_bed), (6.0, in_bed), (12.0, in_bed)];
    let outcome = run(lie_down, room_with_bed(), noisy(8));
    assert!(outcome.falls.is_empty(), "lying down on the bed: {:?}", outcome.postures);
    assert_eq!(outcome.postures.last(), Some(&Posture::LyingInBed), "{:?}", outcome.postures);
}

#[test]
fn everyday_movements_are_not_falls() {
    let b = body();
    let stand = b.standing(320.0, FLOOR);
    let cases = [
        ("sitting down hard", vec![(0.0, stand), (2.0, stand), (2.4, b.sitting(320.0, FLOOR, 110.0)), (8.0, b.sitting(320.0, FLOOR, 110.0))]),
        ("picking something up", vec![(0.0, stand), (2.0, stand), (2.8, b.bending(320.0, FLOOR)), (3.8, b.bending(320.0, FLOOR)), (4.6, stand), (8.0, stand)]),
        ("kneeling slowly", vec![(0.0, stand), (2.0, stand), (4.0, b.kneeling(320.0, FLOOR)), (10.0, b.kneeling(320.0, FLOOR))]),
    ];
    for (seed, (name, keys)) in cases.into_iter().enumerate() {
        let outcome = run(keys, Room::unzoned(640, 480), noisy(20 + seed as u64));
        assert!(outcome.falls.is_empty(), "{name}: {:?}", outcome.postures);
        assert!(!outcome.postures.contains(&Posture::LyingOnFloor), "{name}: {:?}", outcome.postures);
    }
}

#[test]
fn dropped_frames_across_the_descent_never_make_a_fall_but_the_floor_is_still_reported() {
    let keys = fall(1.0, 0.7, 3.0);
    let noise = Noise { jitter: 0.004, drop_rate: 0.0, dropout: Some((2.0, 1.5)), seed: 3 };
    let mut settings = CareSettings::default();
    settings.fall = FallSettings { on_floor_after_s: 5.0, ..FallSettings::default() };
    let frames = render(&[Script { body: body(), keys }], FPS, noise);
    let mut watch = PersonWatch::new(0, Room::unzoned(640, 480), &settings);
    let kinds: Vec<CareKind> = frames.iter().flat_map(|f| watch.push(f.t, f.poses.first()).1).map(|e| e.kind).collect();
    assert!(!kinds.contains(&CareKind::Fall), "{kinds:?}");
    assert!(kinds.contains(&CareKind::OnFloor), "{kinds:?}");
}

#[test]
fn lying_on_the_floor_repeats_while_it_lasts() {
    let b = body();
    let floor = b.lying(320.0, FLOOR, 15.0);
    let outcome = run(vec![(0.0, floor), (150.0, floor)], Room::unzoned(640, 480), Noise { jitter: 0.004, ..Noise::NONE });
    // After 20 s, then every 60 s: at about 20, 80 and 140 s.
    assert_eq!(outcome.on_floor.len(), 3, "{:?}", outcome.on_floor);
    assert!(outcome.falls.is_empty(), "nobody was seen falling");
}

fn room_with_door() -> Room {
    let mut room = Room::unzoned(640, 480);
    room.door = Some(Polygon::new(vec![(0.0, 100.0), (90.0, 100.0), (90.0, 470.0), (0.0, 470.0)], 640, 480).unwrap());
    room
}

fn room_events(scripts: &[Script], room: Room, noise: Noise) -> Vec<tryghed::care::CareEvent> {
    let mut watch = tryghed::care::RoomWatch::new(room, CareSettings::default());
    render(scripts, FPS, noise).iter().flat_map(|f| watch.push(f.t, &f.poses).events).collect()
}

#[test]
fn walking_out_through_the_door_is_a_room_exit_and_a_visitor_is_several_persons() {
    let b = Body { facing: -1.0, ..body() };
    // Walks left into the door zone and out of the picture (the script ends).
    let walk_out = Script { body: b, keys: vec![(0.0, b.standing(400.0, FLOOR)), (2.0, b.standing(400.0, FLOOR)), (6.0, b.standing(40.0, FLOOR))] };
    // The watch only knows the person is gone when frames keep coming: a second, still script pads the time.
    let stays = Script { body: body(), keys: vec![(0.0, KeyPose { hip_x: 600.0, ..body().standing(600.0, FLOOR) }), (25.0, body().standing(600.0, FLOOR))] };
    let events = room_events(&[walk_out, stays], room_with_door(), noisy(31));
    let kinds: Vec<CareKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == CareKind::RoomExit).count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == CareKind::SeveralPersons).count(), 1, "{kinds:?}");
    let exit = events.iter().find(|e| e.kind == CareKind::RoomExit).unwrap();
    assert_eq!(exit.person, 0, "the one who walked out");
    assert!(exit.t_s >= 16.0 && exit.t_s <= 17.5, "10 s after leaving view at 6 s: {}", exit.t_s);
}

#[test]
fn two_people_are_told_apart_and_only_the_one_who_falls_has_fallen() {
    let stander = Script { body: body(), keys: vec![(0.0, body().standing(560.0, FLOOR)), (10.0, body().standing(560.0, FLOOR))] };
    let faller = Script { body: body(), keys: fall(-1.0, 0.7, 3.0) };
    let events = room_events(&[faller, stander], Room::unzoned(640, 480), noisy(41));
    let falls: Vec<_> = events.iter().filter(|e| e.kind == CareKind::Fall).collect();
    assert_eq!(falls.len(), 1, "{events:?}");
    assert_eq!(falls[0].person, 0);
}
