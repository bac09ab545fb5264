//! The type system keeps frames in memory: code that would serialise or
//! copy a `Frame` does not compile (R6.2).

#[test]
fn frames_cannot_be_serialised_or_cloned() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/frame_is_not_serialisable.rs");
    cases.compile_fail("tests/ui/frame_is_not_cloneable.rs");
}
