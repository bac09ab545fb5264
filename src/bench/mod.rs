//! The vendor benchmark: the real pipeline over a folder of frames, with the
//! environment it ran in, so figures can be compared and checked.

pub mod alarms;
pub mod audio;
pub mod vision;
