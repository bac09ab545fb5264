use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Kind, ResidentId};

pub type Time = DateTime<Utc>;

/// A resident as the case officer records them. Only a pseudonymous id and
/// the name staff know them by; no health data beyond what the law needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resident {
    pub id: ResidentId,
    pub room: String,
    pub display_name: String,
    pub representatives: Vec<Representative>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepresentativeRole {
    /// værge
    Guardian,
    /// fremtidsfuldmægtig
    Attorney,
}

/// An attorney or guardian with a mandate for the resident. Every record
/// refers to them by `id`, never by the spelling of a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "RepresentativeRecord")]
pub struct Representative {
    pub id: String,
    pub name: String,
    pub role: RepresentativeRole,
    /// Whether the mandate covers personal matters; only then must they be
    /// informed and may they oppose (R1.2, R9.1).
    pub covers_personal_matters: bool,
    /// When the mandate began; none when it predates the records.
    pub since: Option<Time>,
    /// When and why it ended (a guardianship lifted, a power revoked).
    pub ended: Option<MandateEnd>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MandateEnd {
    pub at: Time,
    pub reason: String,
}

/// A representative as stored: records from before representatives had
/// ids are referred to by their name, as they were then.
#[derive(Deserialize)]
struct RepresentativeRecord {
    id: Option<String>,
    name: String,
    role: RepresentativeRole,
    covers_personal_matters: bool,
    #[serde(default)]
    since: Option<Time>,
    #[serde(default)]
    ended: Option<MandateEnd>,
}

impl From<RepresentativeRecord> for Representative {
    fn from(r: RepresentativeRecord) -> Representative {
        Representative {
            id: r.id.unwrap_or_else(|| r.name.clone()),
            name: r.name,
            role: r.role,
            covers_personal_matters: r.covers_personal_matters,
            since: r.since,
            ended: r.ended,
        }
    }
}

impl Representative {
    /// Whether the mandate holds at `at`.
    pub fn holds_at(&self, at: Time) -> bool {
        self.since.is_none_or(|s| s <= at) && self.ended.as_ref().is_none_or(|e| at < e.at)
    }

    /// As a refusal or a list names them.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.id, self.name)
    }
}

impl Resident {
    /// The representative `id` refers to, if their mandate holds at `at`.
    pub fn representative(&self, id: &str, at: Time) -> Option<&Representative> {
        self.representatives
            .iter()
            .find(|r| r.id == id && r.holds_at(at))
    }

    /// Whether `id` is a representative whose mandate covers personal
    /// matters at `at`: only they must be informed and may oppose.
    pub fn personal_representative(&self, id: &str, at: Time) -> bool {
        self.representative(id, at)
            .is_some_and(|r| r.covers_personal_matters)
    }

    /// The representatives whose mandate covers personal matters at `at`.
    pub fn personal_representatives(&self, at: Time) -> impl Iterator<Item = &Representative> {
        self.representatives
            .iter()
            .filter(move |r| r.covers_personal_matters && r.holds_at(at))
    }
}

/// The legal basis types of R1.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum BasisType {
    /// The resident consents; recorded with who and when.
    Consent,
    /// SEL § 136 e: staff use it as part of care; informed, not opposed.
    Sel136e,
    /// SEL § 128 b: the municipality decides, at most 12 months (Lolland).
    Sel128b,
    /// SEL § 128 b after opposition, under § 136 e stk. 5: no time limit,
    /// but the attorney or guardian must be heard first.
    Sel128bUnlimited,
}

/// Why a situational look-in is refused wherever a basis type is asked for.
pub const NO_SITUATIONAL_LOOK_IN: &str = "R1.3: a situational camera look-in (SEL § 128 b stk. 1, situationsbestemt kameraindkig) is outside the rules for welfare technology and is not a feature of tryghed; record a basis that allows time-bounded looks (R3.2) instead";

/// Whether a basis type asked for is the situational look-in (R1.3), in
/// the words a case officer might use.
pub fn is_situational_look_in(name: &str) -> bool {
    let name = name.to_lowercase();
    ["situational", "look-in", "indkig", "128b-stk1", "128b-1"]
        .iter()
        .any(|word| name.contains(word))
}

impl TryFrom<String> for BasisType {
    type Error = String;

    fn try_from(name: String) -> Result<BasisType, String> {
        match name.as_str() {
            "consent" => Ok(BasisType::Consent),
            "sel136e" => Ok(BasisType::Sel136e),
            "sel128b" => Ok(BasisType::Sel128b),
            "sel128b-unlimited" => Ok(BasisType::Sel128bUnlimited),
            other if is_situational_look_in(other) => Err(NO_SITUATIONAL_LOOK_IN.into()),
            other => Err(format!(
                "unknown basis type `{other}`: one of consent, sel136e, sel128b, sel128b-unlimited"
            )),
        }
    }
}

impl BasisType {
    pub fn name(self) -> &'static str {
        match self {
            BasisType::Consent => "consent",
            BasisType::Sel136e => "§ 136 e",
            BasisType::Sel128b => "§ 128 b",
            BasisType::Sel128bUnlimited => "§ 128 b under § 136 e stk. 5",
        }
    }

    /// A municipal decision (afgørelse), not the resident's own consent or
    /// staff's use in care.
    pub fn is_decision(self) -> bool {
        matches!(self, BasisType::Sel128b | BasisType::Sel128bUnlimited)
    }
}

/// Who a record is about or came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "party", content = "name")]
pub enum Party {
    Resident,
    /// A representative, by the id recorded on the resident (in records
    /// from before ids, the name, which is then their id).
    Representative(String),
}

impl Party {
    /// As a refusal names it.
    pub fn describe(&self) -> String {
        match self {
            Party::Resident => "the resident".into(),
            Party::Representative(name) => name.clone(),
        }
    }

    /// As a Danish refusal names it.
    pub fn describe_da(&self) -> String {
        match self {
            Party::Resident => "borgeren".into(),
            Party::Representative(id) => id.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Informed {
    pub party: Party,
    pub at: Time,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hearing {
    /// Who was heard (høring): `resident`, or a representative's id.
    pub heard: String,
    pub at: Time,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentGiven {
    pub by: Party,
    pub at: Time,
}

/// References to the case documents (R11); never the documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseDocuments {
    pub diagnosis: Option<String>,
    pub earlier_efforts: Option<String>,
    pub action_plan: Option<String>,
    pub skema_3: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DpiaOutcome {
    /// Assessed: no impact assessment needed.
    NotNeeded,
    /// An impact assessment was made; its reference.
    Made(String),
}

/// The assessment of whether a DPIA is needed (R8.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DpiaAssessment {
    pub at: Time,
    pub outcome: DpiaOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlyStop {
    pub at: Time,
    pub by: String,
    pub reason: String,
}

/// Why the order applies to the resident (R1.1), as documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetGround {
    /// A significant and lasting reduction of mental function (SEL § 124 a).
    ReducedFunction,
    /// An acquired, progressive mental decline such as dementia (SEL § 136 b).
    ProgressiveDecline,
}

/// The target-group assessment (R1.1): the ground and where it is documented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetGroup {
    pub ground: TargetGround,
    /// A reference to the documentation, never the document.
    pub reference: String,
}

/// What the technology serves (R8.1): § 128 b stk. 2 (a risk of personal
/// injury) or § 136 e stk. 1 (the resident's safety, dignity, care).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    InjuryRisk,
    Safety,
    Dignity,
    Care,
}

/// The items of the municipality's catalogue of grants (R14, Lolland's
/// "Indsatskatalog").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CatalogueItem {
    /// GPS tracking systems.
    GpsTracking,
    /// Sensor alarms and floor mats.
    SensorAlarm,
    DoorAlarm,
    /// Seizure and epilepsy alarms.
    SeizureAlarm,
}

/// How a basis relates to the catalogue (R14): the items it grants, or an
/// individual assessment for what the catalogue does not hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CatalogueGrant {
    Items(BTreeSet<CatalogueItem>),
    /// Beyond the catalogue; the reference to the individual assessment.
    Beyond(String),
}

/// The facts a basis under the order records besides its terms (R1.1,
/// R8.1, R14). Records from before they were asked for have none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BasisFacts {
    pub target_group: Option<TargetGroup>,
    pub purposes: BTreeSet<Purpose>,
    pub catalogue: Option<CatalogueGrant>,
}

impl BasisFacts {
    /// The facts as the command line and the API give them: the target
    /// group as GROUND:REF, purposes and catalogue items by name, or the
    /// reference of an assessment beyond the catalogue. The error names
    /// the flag and what it takes.
    pub fn parse(
        target_group: Option<&str>,
        purposes: &[String],
        catalogue: &[String],
        beyond_catalogue: Option<String>,
    ) -> Result<BasisFacts, String> {
        let target_group = target_group.map(parse_target_group).transpose()?;
        let purposes = purposes
            .iter()
            .map(|p| named(p, &Purpose::ALL, Purpose::name, "--purpose"))
            .collect::<Result<_, _>>()?;
        let items = catalogue
            .iter()
            .map(|c| named(c, &CatalogueItem::ALL, CatalogueItem::name, "--catalogue"))
            .collect::<Result<BTreeSet<_>, _>>()?;
        let catalogue = match beyond_catalogue {
            Some(reference) => Some(CatalogueGrant::Beyond(reference)),
            None if items.is_empty() => None,
            None => Some(CatalogueGrant::Items(items)),
        };
        Ok(BasisFacts {
            target_group,
            purposes,
            catalogue,
        })
    }
}

fn parse_target_group(text: &str) -> Result<TargetGroup, String> {
    let (ground, reference) = text.split_once(':').ok_or_else(|| {
        format!("--target-group `{text}`: expected reduced-function:REF or progressive-decline:REF")
    })?;
    let ground = match ground {
        "reduced-function" => TargetGround::ReducedFunction,
        "progressive-decline" => TargetGround::ProgressiveDecline,
        other => {
            return Err(format!(
                "--target-group `{other}`: one of reduced-function, progressive-decline"
            ))
        }
    };
    Ok(TargetGroup {
        ground,
        reference: reference.to_string(),
    })
}

/// The one of `all` whose name is `text`.
fn named<T: Copy>(
    text: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    flag: &str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|t| name(*t) == text)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|t| name(*t)).collect();
            format!("{flag} `{text}`: one of {}", names.join(", "))
        })
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [
        Purpose::InjuryRisk,
        Purpose::Safety,
        Purpose::Dignity,
        Purpose::Care,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Purpose::InjuryRisk => "injury-risk",
            Purpose::Safety => "safety",
            Purpose::Dignity => "dignity",
            Purpose::Care => "care",
        }
    }
}

/// One legal basis for one resident (R1–R3, R8–R11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegalBasis {
    pub id: String,
    pub resident: ResidentId,
    pub basis_type: BasisType,
    pub kinds: BTreeSet<Kind>,
    /// Way of use: reactive alarm (R3.1).
    pub reactive_alarm: bool,
    /// Way of use: time-bounded supervision, at most this many minutes per
    /// look (R3.2); `None` when not allowed.
    pub supervision_max_minutes: Option<u32>,
    pub start: Time,
    /// Required for § 128 b; none means until stopped.
    pub end: Option<Time>,
    pub decided_by: String,
    pub hearing: Option<Hearing>,
    pub informed: Vec<Informed>,
    pub consent: Option<ConsentGiven>,
    pub documents: CaseDocuments,
    pub dpia: Option<DpiaAssessment>,
    /// The signals switched on, each of an allowed kind (data minimisation, R8.4).
    pub signals: BTreeSet<String>,
    pub stopped: Option<EarlyStop>,
    #[serde(default)]
    pub facts: BasisFacts,
}

/// The AI disclosure (R8.2): who was informed that AI is used, by whom,
/// when and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiDisclosure {
    pub resident: ResidentId,
    pub informed: Party,
    pub by: String,
    pub at: Time,
    pub how: String,
}

/// The resident, attorney or guardian opposes (R1.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opposition {
    pub resident: ResidentId,
    pub by: Party,
    pub at: Time,
}

/// Everything the gate needs about one resident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseFile {
    pub resident: Resident,
    pub bases: Vec<LegalBasis>,
    pub disclosures: Vec<AiDisclosure>,
    pub oppositions: Vec<Opposition>,
    pub complaints: Vec<Complaint>,
}

impl CaseFile {
    /// A case file with no records: what the gate may rely on for a
    /// resident whose records cannot be trusted, or a room with nobody.
    pub fn closed(resident: Resident) -> CaseFile {
        CaseFile {
            resident,
            bases: Vec::new(),
            disclosures: Vec::new(),
            oppositions: Vec::new(),
            complaints: Vec::new(),
        }
    }
}

/// Which signals belong to which kind (R2): a signal may be enabled only
/// under a basis that allows its kind.
pub const SIGNALS: [(&str, Kind); 18] = [
    ("fall", Kind::Video),
    ("on_floor", Kind::Video),
    ("bed_edge", Kind::Video),
    ("bed_exit", Kind::Video),
    ("room_exit", Kind::Video),
    ("inactivity", Kind::Video),
    ("seizure", Kind::Video),
    ("several_persons", Kind::Video),
    ("scream", Kind::Sound),
    ("distress", Kind::Sound),
    ("calling", Kind::Sound),
    ("impact", Kind::Sound),
    ("glass_breaking", Kind::Sound),
    ("smoke_alarm", Kind::Sound),
    ("coughing", Kind::Sound),
    ("breathing", Kind::Sound),
    ("bed_mat", Kind::Movement),
    ("door_contact", Kind::Movement),
];

/// The catalogue item that grants a signal (R14): sensor alarms for what
/// the camera, the microphone or a bed mat senses in the room, door alarms
/// for leaving it, seizure alarms for seizures.
pub fn catalogue_item(signal: &str) -> Option<CatalogueItem> {
    match signal {
        "room_exit" | "door_contact" => Some(CatalogueItem::DoorAlarm),
        "seizure" => Some(CatalogueItem::SeizureAlarm),
        other => signal_kind(other).map(|kind| match kind {
            Kind::Location => CatalogueItem::GpsTracking,
            _ => CatalogueItem::SensorAlarm,
        }),
    }
}

impl CatalogueItem {
    pub const ALL: [CatalogueItem; 4] = [
        CatalogueItem::SensorAlarm,
        CatalogueItem::DoorAlarm,
        CatalogueItem::SeizureAlarm,
        CatalogueItem::GpsTracking,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CatalogueItem::GpsTracking => "gps-tracking",
            CatalogueItem::SensorAlarm => "sensor-alarm",
            CatalogueItem::DoorAlarm => "door-alarm",
            CatalogueItem::SeizureAlarm => "seizure-alarm",
        }
    }
}

pub fn signal_kind(signal: &str) -> Option<Kind> {
    SIGNALS
        .iter()
        .find(|(name, _)| *name == signal)
        .map(|(_, kind)| *kind)
}

/// Who complains (R12.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "who", content = "name")]
pub enum Complainant {
    Resident,
    /// A recorded guardian or attorney, by id.
    Representative(String),
    /// A relative or other representative: only when the resident cannot complain.
    Relative(String),
}

/// A complaint about a decision, with its deadlines (R12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Complaint {
    pub id: String,
    pub resident: ResidentId,
    pub basis_id: String,
    pub by: Complainant,
    /// The resident cannot complain themselves (allows a relative, R12.1).
    pub resident_cannot: bool,
    /// When the resident received the decision: the 4 weeks run from here (R12.2).
    pub decision_received: Time,
    /// When the municipality received the complaint: re-assessment within 4 weeks (R12.3).
    pub received: Time,
    pub reassessment: Option<Reassessment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reassessment {
    pub at: Time,
    /// Upheld: the complaint succeeds. Not upheld: the case goes to the
    /// National Social Appeals Board (Ankestyrelsen).
    pub upheld: bool,
}
