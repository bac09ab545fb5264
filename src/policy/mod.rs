//! The law as code: what a case officer records, the rules a record must
//! keep (`basis`), and the gate (`gate`), the only code that can say a
//! source may open or an event may leave (R1, R2, R3, R8–R12).
//!
//! Pure: records in, decisions out, time passed in. No clock, no I/O.
//! Imports only `domain`.

mod basis;
mod gate;
mod records;
mod representatives;
mod room_permit;

pub use basis::{
    check_against_case, check_overlap, validate, validate_complaint, validate_opposition, Refusal,
    COMPLAINT_WEEKS,
};
pub use gate::{
    assess, look_may_go_on, may_open, may_open_by_permit, permit_alarm, permit_alarm_by_permit,
    permit_device_fault, permit_event, permit_supervision, Assessment, Denial, EventGate,
    Permitted, SourceOpen, Supervision, EXPIRY_WARNING_DAYS,
};
pub use records::*;
pub use representatives::{change_representative, RepresentativeChange};
pub use room_permit::{RoomPermit, LEASE, PERMIT_VERSION};
