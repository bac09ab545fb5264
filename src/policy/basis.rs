//! The rules a legal basis must keep before it can be recorded. Each
//! refusal names the rule it comes from.

use chrono::Months;

use super::records::{
    catalogue_item, signal_kind, BasisType, CaseFile, CatalogueGrant, CatalogueItem, Complainant,
    Complaint, Hearing, LegalBasis, Opposition, Party, Purpose, Representative, Resident,
};
use super::Time;

/// Lolland's longest § 128 b decision (R1.2, R10.1).
pub const MAX_128B_MONTHS: u32 = 12;
/// The longest look a supervision may allow (R3.2: time-bounded).
pub const MAX_SUPERVISION_MINUTES: u32 = 60;

/// Why a record is refused: the requirement id and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: &'static str,
    pub message: String,
    /// The same, in Danish, for the Danish staff app.
    pub danish: String,
}

impl Refusal {
    pub fn new(
        rule: &'static str,
        message: impl Into<String>,
        danish: impl Into<String>,
    ) -> Refusal {
        refuse(rule, message, danish)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

pub(super) fn refuse(
    rule: &'static str,
    message: impl Into<String>,
    danish: impl Into<String>,
) -> Refusal {
    Refusal {
        rule,
        message: message.into(),
        danish: danish.into(),
    }
}

/// "recorded" and "none recorded", in English and in Danish.
const EN: (&str, &str) = ("recorded", "none recorded");
const DA: (&str, &str) = ("registreret", "ingen registreret");

/// Every rule the basis breaks, for this resident. Empty when it may be recorded.
pub fn validate(basis: &LegalBasis, resident: &Resident) -> Vec<Refusal> {
    let mut out = Vec::new();
    if basis.resident != resident.id {
        out.push(refuse(
            "R1.2",
            format!("the basis is for {}, not {}", basis.resident, resident.id),
            format!("grundlaget gælder {}, ikke {}", basis.resident, resident.id),
        ));
    }
    if basis.kinds.is_empty() {
        out.push(refuse(
            "R2",
            "a basis must name at least one kind of technology (movement, sound, video, location)", "et grundlag skal nævne mindst én slags teknologi (bevægelse, lyd, video, lokalisering)"));
    }
    if !basis.reactive_alarm && basis.supervision_max_minutes.is_none() {
        out.push(refuse("R3.3", "a basis must allow at least one way of use: reactive alarm or time-bounded supervision", "et grundlag skal tillade mindst én anvendelse: reaktiv alarm eller tidsafgrænset tilsyn"));
    }
    if let Some(minutes) = basis.supervision_max_minutes {
        if !(1..=MAX_SUPERVISION_MINUTES).contains(&minutes) {
            out.push(refuse("R3.2", format!("supervision must be time-bounded: 1 to {MAX_SUPERVISION_MINUTES} minutes per look, got {minutes}"), format!("tilsyn skal være tidsafgrænset: 1 til {MAX_SUPERVISION_MINUTES} minutter pr. kig, ikke {minutes}")));
        }
    }
    if let Some(end) = basis.end {
        if end <= basis.start {
            out.push(refuse(
                "R1.2",
                "the basis ends before it starts",
                "grundlaget slutter, før det begynder",
            ));
        }
    }
    if basis.decided_by.trim().is_empty() {
        out.push(refuse(
            "R1.2",
            "who decided must be recorded",
            "hvem der har truffet beslutningen, skal registreres",
        ));
    }
    if basis.signals.is_empty() {
        out.push(refuse(
            "R8.4",
            "a basis must switch on the signals the situation needs (data minimisation): name at least one", "et grundlag skal slå de signaler til, som situationen kræver (dataminimering): nævn mindst ét"));
    }
    for signal in &basis.signals {
        match signal_kind(signal) {
            None => out.push(refuse(
                "R8.4",
                format!("unknown signal `{signal}`"),
                format!("ukendt signal `{signal}`"),
            )),
            Some(kind) if !basis.kinds.contains(&kind) => out.push(refuse(
                "R8.4",
                format!(
                    "signal `{signal}` is of kind {}, which the basis does not allow",
                    kind.name()
                ),
                format!(
                    "signalet `{signal}` er af slagsen `{}`, som grundlaget ikke tillader",
                    kind.name()
                ),
            )),
            Some(_) => {}
        }
    }
    if basis.basis_type != BasisType::Consent {
        check_facts(basis, &mut out);
    }
    match basis.basis_type {
        BasisType::Consent => check_consent(basis, &mut out),
        BasisType::Sel136e => {
            check_informed(basis, resident, &mut out);
            check_documents(basis, &mut out);
            // R8.1–R8.4 bind staff under § 136 e too (R8.6).
            check_dpia(basis, "R8.6", &mut out);
        }
        BasisType::Sel128b => {
            check_decision(basis, resident, &mut out);
            match basis.end {
                None => out.push(refuse("R10.1", "a § 128 b decision must end: at most 12 months (unlimited only under § 136 e stk. 5)", "en afgørelse efter § 128 b skal have en slutdato: højst 12 måneder (uden tidsbegrænsning kun efter § 136 e, stk. 5)")),
                Some(end) => {
                    let limit = basis.start.checked_add_months(Months::new(MAX_128B_MONTHS));
                    if limit.is_some_and(|limit| end > limit) {
                        out.push(refuse(
                            "R10.1",
                            "a § 128 b decision may last at most 12 months; longer only as § 128 b under § 136 e stk. 5 with a hearing", "en afgørelse efter § 128 b må højst vare 12 måneder; længere kun som § 128 b efter § 136 e, stk. 5, med partshøring"));
                    }
                }
            }
        }
        BasisType::Sel128bUnlimited => {
            check_decision(basis, resident, &mut out);
            check_guardian_heard(basis, resident, &mut out);
        }
    }
    out
}

fn check_consent(basis: &LegalBasis, out: &mut Vec<Refusal>) {
    match &basis.consent {
        None => out.push(refuse(
            "R1.2",
            "consent must be recorded with who gave it and when",
            "samtykke skal registreres med, hvem der gav det og hvornår",
        )),
        Some(consent) => {
            if consent.at > basis.start {
                out.push(refuse(
                    "R1.2",
                    "consent must be given before the basis starts",
                    "samtykket skal være givet, før grundlaget begynder",
                ));
            }
            if consent.by != Party::Resident {
                out.push(refuse("R1.2", "only the resident can consent; without the resident's consent use § 136 e or § 128 b", "kun borgeren selv kan give samtykke; uden borgerens samtykke bruges § 136 e eller § 128 b"));
            }
        }
    }
}

/// § 136 e: the resident and every representative covering personal
/// matters informed beforehand (R1.2, R9.1).
fn check_informed(basis: &LegalBasis, resident: &Resident, out: &mut Vec<Refusal>) {
    let informed_before = |party: &Party| {
        basis
            .informed
            .iter()
            .any(|i| &i.party == party && i.at <= basis.start)
    };
    if !informed_before(&Party::Resident) {
        out.push(refuse(
            "R9.1",
            "the resident must be informed before the technology is used",
            "borgeren skal være oplyst, før teknologien tages i brug",
        ));
    }
    for rep in resident.personal_representatives(basis.start) {
        if !informed_before(&Party::Representative(rep.id.clone())) {
            out.push(refuse(
                "R9.1",
                format!(
                    "{} (covering personal matters) must be informed before the technology is used",
                    rep.describe()
                ), format!("{} (med mandat til personlige forhold) skal være oplyst, før teknologien tages i brug", rep.describe())));
        }
    }
}

/// Whom a hearing may be of (R10.2): the resident, or an attorney or
/// guardian by the id recorded on the resident, with a mandate then.
fn may_be_heard(hearing: &Hearing, resident: &Resident) -> bool {
    hearing.heard == "resident"
        || resident
            .representative(&hearing.heard, hearing.at)
            .is_some()
}

/// A municipal decision: hearing, documents, DPIA assessment.
fn check_decision(basis: &LegalBasis, resident: &Resident, out: &mut Vec<Refusal>) {
    match &basis.hearing {
        None => out.push(refuse(
            "R10.2",
            "the resident and/or attorney or guardian must be heard before the decision", "borgeren og/eller værgen eller fremtidsfuldmægtigen skal høres før afgørelsen")),
        Some(hearing) if hearing.at > basis.start => out.push(refuse(
            "R10.2",
            "the hearing must come before the decision takes effect", "partshøringen skal ligge før afgørelsen får virkning")),
        Some(hearing) if !may_be_heard(hearing, resident) => out.push(refuse(
            "R10.2",
            format!(
                "`{}` is neither the resident nor an attorney or guardian of {} with a mandate then ({}); record the representative first and refer to them by id",
                hearing.heard,
                resident.id,
                representative_names(resident, hearing.at, EN)
            ), format!("`{}` er hverken borgeren eller en værge eller fremtidsfuldmægtig for {} med mandat på det tidspunkt ({}); registrér repræsentanten først og henvis til vedkommendes id", hearing.heard, resident.id, representative_names(resident, hearing.at, DA)))),
        Some(_) => {}
    }
    check_documents(basis, out);
    check_dpia(basis, "R8.3", out);
}

/// The case documents, by reference (R11).
fn check_documents(basis: &LegalBasis, out: &mut Vec<Refusal>) {
    let docs = &basis.documents;
    for (name, navn, reference) in [
        ("diagnosis", "diagnosen", &docs.diagnosis),
        (
            "earlier efforts",
            "de tidligere indsatser",
            &docs.earlier_efforts,
        ),
        ("action plan", "handleplanen", &docs.action_plan),
        ("Skema 3", "Skema 3", &docs.skema_3),
    ] {
        if reference.as_deref().is_none_or(|r| r.trim().is_empty()) {
            out.push(refuse(
                "R11",
                format!("a reference to the {name} must be recorded before the grant"),
                format!("en henvisning til {navn} skal registreres før bevillingen"),
            ));
        }
    }
}

/// Where AI processes personal data, the assessment of whether an impact
/// assessment is needed, made before the basis starts (R8.3; R8.6 for
/// § 136 e).
fn check_dpia(basis: &LegalBasis, rule: &'static str, out: &mut Vec<Refusal>) {
    if !basis.kinds.iter().any(|k| k.uses_ai()) {
        return;
    }
    match &basis.dpia {
        None => out.push(refuse(rule, "the assessment of whether an impact assessment (DPIA) is needed must be recorded before the technology is used", "vurderingen af, om der skal laves en konsekvensanalyse (DPIA), skal registreres, før teknologien tages i brug")),
        Some(dpia) if dpia.at > basis.start => out.push(refuse(rule, "the DPIA assessment must come before the basis starts", "DPIA-vurderingen skal ligge før grundlaget begynder")),
        Some(_) => {}
    }
}

/// The facts of a basis under the order: who it is for (R1.1), what it
/// serves (R8.1, and R8.6 for § 136 e), and the catalogue grant (R14).
fn check_facts(basis: &LegalBasis, out: &mut Vec<Refusal>) {
    let facts = &basis.facts;
    match &facts.target_group {
        None => out.push(refuse("R1.1", "the target-group assessment must be recorded: a significant and lasting reduction of mental function (reduced-function) or an acquired, progressive decline such as dementia (progressive-decline), with the reference where it is documented", "målgruppevurderingen skal registreres: væsentlig og varigt nedsat psykisk funktionsevne (reduced-function) eller erhvervet, fremadskridende mental svækkelse som demens (progressive-decline), med henvisning til hvor det er dokumenteret")),
        Some(group) if group.reference.trim().is_empty() => out.push(refuse("R1.1", "the target-group assessment needs the reference where it is documented", "målgruppevurderingen skal have en henvisning til, hvor den er dokumenteret")),
        Some(_) => {}
    }
    let purpose_rule = if basis.basis_type == BasisType::Sel136e {
        "R8.6"
    } else {
        "R8.1"
    };
    if facts.purposes.is_empty() {
        out.push(refuse(
            purpose_rule,
            "the purpose must be recorded: injury-risk, safety, dignity or care", "formålet skal registreres: injury-risk (risiko for personskade), safety (sikkerhed), dignity (værdighed) eller care (omsorg)"));
    } else if basis.basis_type.is_decision() && !facts.purposes.contains(&Purpose::InjuryRisk) {
        out.push(refuse("R8.1", "a § 128 b decision serves a risk of personal injury (§ 128 b stk. 2): the purposes must include injury-risk", "en afgørelse efter § 128 b skal forhindre personskade (§ 128 b, stk. 2): formålene skal omfatte injury-risk"));
    }
    check_catalogue(basis, out);
}

/// Every signal a basis switches on is granted by a catalogue item it
/// names, or the basis refers to an individual assessment beyond the
/// catalogue (R14).
fn check_catalogue(basis: &LegalBasis, out: &mut Vec<Refusal>) {
    match &basis.facts.catalogue {
        None => out.push(refuse("R14", "relate the basis to the municipality's catalogue: the items it grants (sensor-alarm, door-alarm, seizure-alarm, gps-tracking), or the reference of an individual assessment beyond it", "knyt grundlaget til kommunens indsatskatalog: de punkter, det bevilger (sensor-alarm, door-alarm, seizure-alarm, gps-tracking), eller henvisningen til en individuel vurdering ud over kataloget")),
        Some(CatalogueGrant::Beyond(reference)) if reference.trim().is_empty() => out.push(refuse("R14", "a grant beyond the catalogue needs the reference of its individual assessment", "en bevilling ud over kataloget skal have henvisningen til sin individuelle vurdering")),
        Some(CatalogueGrant::Beyond(_)) => {}
        Some(CatalogueGrant::Items(items)) => {
            for signal in &basis.signals {
                let item = catalogue_item(signal);
                if item.is_some_and(|item| !items.contains(&item)) {
                    out.push(refuse("R14", format!("signal `{signal}` is granted as {}, which the basis does not name", item.map_or("", CatalogueItem::name)), format!("signalet `{signal}` bevilges som {}, som grundlaget ikke nævner", item.map_or("", CatalogueItem::name))));
                }
            }
        }
    }
}

/// § 136 e stk. 5: where an attorney or guardian covers personal matters,
/// one of them is heard before a decision without time limit (R1.2, R10.2).
fn check_guardian_heard(basis: &LegalBasis, resident: &Resident, out: &mut Vec<Refusal>) {
    let mut covering = resident.personal_representatives(basis.start);
    let Some(first) = covering.next() else {
        return;
    };
    let heard = basis.hearing.as_ref().map(|h| h.heard.as_str());
    if heard != Some(first.id.as_str()) && !covering.any(|r| Some(r.id.as_str()) == heard) {
        out.push(refuse(
            "R10.2",
            format!(
                "§ 128 b without time limit: the attorney or guardian ({}) must be heard first",
                first.describe()
            ), format!("§ 128 b uden tidsbegrænsning: værgen eller fremtidsfuldmægtigen ({}) skal høres først", first.describe())));
    }
}

/// The representatives with a mandate at `at`, for a refusal to name, in
/// its language's words for "recorded" and "none recorded".
fn representative_names(resident: &Resident, at: Time, words: (&str, &str)) -> String {
    let names: Vec<_> = resident
        .representatives
        .iter()
        .filter(|r| r.holds_at(at))
        .map(Representative::describe)
        .collect();
    if names.is_empty() {
        words.1.into()
    } else {
        format!("{}: {}", words.0, names.join(", "))
    }
}

/// Every rule a new basis breaks against what the case file already holds:
/// an overlap with a current basis (R1.2); after a standing opposition only
/// a § 128 b decision (R1.4); § 128 b without time limit only after an
/// opposition (R10.1, § 136 e stk. 5).
pub fn check_against_case(new: &LegalBasis, case: &CaseFile, now: Time) -> Vec<Refusal> {
    let mut out: Vec<Refusal> = check_overlap(new, case, now).into_iter().collect();
    let opposition = super::gate::standing_opposition(case, new.start);
    match (new.basis_type, opposition) {
        (BasisType::Sel136e, Some(o)) => out.push(refuse(
            "R1.4",
            format!(
                "{} opposed on {}: after an opposition only a § 128 b decision may allow monitoring",
                o.by.describe(),
                o.at.format("%Y-%m-%d")
            ), format!("{} gjorde indsigelse den {}: efter en indsigelse kan kun en afgørelse efter § 128 b tillade overvågning", o.by.describe_da(), o.at.format("%Y-%m-%d")))),
        (BasisType::Sel128bUnlimited, None) => out.push(refuse(
            "R10.1",
            "§ 128 b without time limit (§ 136 e stk. 5) only after the resident, attorney or guardian has opposed; otherwise at most 12 months", "§ 128 b uden tidsbegrænsning (§ 136 e, stk. 5) kun efter at borgeren, værgen eller fremtidsfuldmægtigen har gjort indsigelse; ellers højst 12 måneder")),
        _ => {}
    }
    out
}

/// Every rule an opposition breaks: it comes from the resident, or from an
/// attorney or guardian recorded on her whose mandate covers personal
/// matters, named exactly as recorded (R1.4).
pub fn validate_opposition(opposition: &Opposition, resident: &Resident) -> Vec<Refusal> {
    let Party::Representative(id) = &opposition.by else {
        return Vec::new();
    };
    match resident.representative(id, opposition.at) {
        Some(r) if r.covers_personal_matters => Vec::new(),
        Some(r) => vec![refuse(
            "R1.4",
            format!("{}'s mandate does not cover personal matters: only the resident, or an attorney or guardian whose mandate does, can oppose", r.describe()), format!("mandatet for {} omfatter ikke personlige forhold: kun borgeren eller en værge eller fremtidsfuldmægtig, hvis mandat gør, kan gøre indsigelse", r.describe()))],
        None => vec![refuse(
            "R1.4",
            format!(
                "`{id}` is not an attorney or guardian of {} with a mandate on {} ({}); refer to a representative by id",
                resident.id,
                opposition.at.format("%Y-%m-%d"),
                representative_names(resident, opposition.at, EN)
            ), format!("`{id}` er ikke værge eller fremtidsfuldmægtig for {} med mandat den {} ({}); henvis til en repræsentant ved id", resident.id, opposition.at.format("%Y-%m-%d"), representative_names(resident, opposition.at, DA)))],
    }
}

/// A new basis may not overlap another current one for the same resident:
/// which one would the gate follow?
pub fn check_overlap(new: &LegalBasis, case: &CaseFile, now: Time) -> Option<Refusal> {
    // A basis ends at its end, its early stop, or an opposition that ends
    // it (R1.4), whichever comes first.
    let effective_end = |b: &LegalBasis| {
        [
            b.end,
            b.stopped.as_ref().map(|s| s.at),
            super::gate::opposed(case, b, now),
        ]
        .into_iter()
        .flatten()
        .min()
    };
    case.bases
        .iter()
        .filter(|b| b.resident == new.resident && b.id != new.id)
        .find_map(|b| {
            let b_end = effective_end(b);
            let starts_before_other_ends = b_end.is_none_or(|e| new.start < e);
            let other_starts_before_new_ends = new.end.is_none_or(|e| b.start < e);
            (starts_before_other_ends && other_starts_before_new_ends).then(|| {
                refuse(
                    "R1.2",
                    format!(
                        "overlaps basis {} ({} from {}); stop it first",
                        b.id,
                        b.basis_type.name(),
                        b.start.to_rfc3339()
                    ),
                    format!(
                        "overlapper grundlag {} ({} fra {}); stop det først",
                        b.id,
                        b.basis_type.name(),
                        b.start.to_rfc3339()
                    ),
                )
            })
        })
}

/// Four weeks: the complaint deadline and the re-assessment time (R12.2, R12.3).
pub const COMPLAINT_WEEKS: i64 = 4;

/// Every rule a complaint breaks (R12).
pub fn validate_complaint(
    complaint: &Complaint,
    resident: &Resident,
    basis: Option<&LegalBasis>,
) -> Vec<Refusal> {
    let mut out = Vec::new();
    match basis {
        None => out.push(refuse(
            "R12",
            format!("unknown basis {} for {}", complaint.basis_id, resident.id),
            format!("ukendt grundlag {} for {}", complaint.basis_id, resident.id),
        )),
        Some(b) if b.resident != resident.id => out.push(refuse(
            "R12",
            format!("basis {} is not {}'s", b.id, resident.id),
            format!("grundlag {} tilhører ikke {}", b.id, resident.id),
        )),
        Some(_) => {}
    }
    match &complaint.by {
        Complainant::Resident => {}
        Complainant::Representative(name) => {
            if resident.representative(name, complaint.received).is_none() {
                out.push(refuse(
                    "R12.1",
                    format!(
                        "{name} is not a recorded guardian or attorney of {}",
                        resident.id
                    ),
                    format!(
                        "{name} er ikke registreret som værge eller fremtidsfuldmægtig for {}",
                        resident.id
                    ),
                ));
            }
        }
        Complainant::Relative(_) if !complaint.resident_cannot => {
            out.push(refuse(
                "R12.1",
                "a relative may complain only when the resident cannot",
                "en pårørende kan kun klage, når borgeren ikke selv kan",
            ));
        }
        Complainant::Relative(_) => {}
    }
    if complaint.received < complaint.decision_received {
        out.push(refuse(
            "R12.2",
            "the complaint is dated before the decision was received",
            "klagen er dateret før afgørelsen blev modtaget",
        ));
    } else if complaint.received
        > complaint.decision_received + chrono::Duration::weeks(COMPLAINT_WEEKS)
    {
        out.push(refuse(
            "R12.2",
            "the complaint came more than 4 weeks after the resident received the decision",
            "klagen kom mere end 4 uger efter, at borgeren modtog afgørelsen",
        ));
    }
    out
}
