//! Domain types of the definitions: frameworks, competencies, achievements, stacks, roles,
//! transitions and their requirement condition trees. These are the serde shapes of the
//! definition files (see `schemas/definitions/`).

use serde::{Deserialize, Serialize};

use crate::id::{AchievementId, CompetencyId, FrameworkId, RoleId, StackId};

/// The four competency categories; each is developed and evidenced differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Core beliefs that guide action; the same across every role.
    Mindset,
    /// Personal characteristics and behaviour patterns.
    Qualities,
    /// Complex, general skills for problems with unknown solutions.
    AdaptiveSkills,
    /// Concrete, observable, role-dependent know-how.
    TechnicalSkills,
}

impl Category {
    /// All categories, in canonical order.
    pub const ALL: [Category; 4] = [
        Category::Mindset,
        Category::Qualities,
        Category::AdaptiveSkills,
        Category::TechnicalSkills,
    ];

    /// Index in [`Category::ALL`].
    pub fn index(self) -> usize {
        match self {
            Category::Mindset => 0,
            Category::Qualities => 1,
            Category::AdaptiveSkills => 2,
            Category::TechnicalSkills => 3,
        }
    }

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Mindset => "mindset",
            Category::Qualities => "qualities",
            Category::AdaptiveSkills => "adaptive_skills",
            Category::TechnicalSkills => "technical_skills",
        }
    }

    /// Human label (also the CASE `CFItemType` we export).
    pub fn label(self) -> &'static str {
        match self {
            Category::Mindset => "Mindset",
            Category::Qualities => "Qualities",
            Category::AdaptiveSkills => "Adaptive Skills",
            Category::TechnicalSkills => "Technical Skills",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kinds of evidence a category or achievement accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// An assessment result.
    Assessment,
    /// Completion of a course or module.
    CourseCompletion,
    /// A work sample (lesson plan, data analysis, tool built...).
    WorkSample,
    /// Attestation by a mentor or coach after observation.
    MentorAttestation,
    /// A reflection artifact by the educator.
    Reflection,
    /// Attestation by a peer.
    PeerAttestation,
}

/// Who may attest evidence for a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttesterKind {
    /// The educator themself (self-attestation).
    #[serde(rename = "self")]
    SelfAttest,
    /// A peer educator.
    Peer,
    /// A mentor.
    Mentor,
    /// A coach.
    Coach,
    /// An assessor of a program or issuer.
    Assessor,
    /// An instructor of a course.
    Instructor,
}

/// How a category's competencies must be evidenced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryPolicy {
    /// The category this policy governs.
    pub category: Category,
    /// What the category is, in words.
    #[serde(default)]
    pub description: String,
    /// How competencies of this category are developed.
    #[serde(default)]
    pub development: String,
    /// Evidence kinds that count for this category.
    pub evidence_kinds: Vec<EvidenceKind>,
    /// How many separate observations are needed.
    pub min_observations: u32,
    /// Who may attest.
    pub attested_by: Vec<AttesterKind>,
    /// Optionally, holders of which roles may attest (e.g. master mentors).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attester_roles: Vec<RoleId>,
}

/// One item of a competency framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Competency {
    /// Stable id.
    pub id: CompetencyId,
    /// Human coding scheme code (e.g. `T.1.2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Short name.
    pub name: String,
    /// Full statement.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Category; a nested item has its parent's category.
    pub category: Category,
    /// Parent competency, for nesting (a CASE-like tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<CompetencyId>,
    /// Roles this competency is specific to; empty means shared by all roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleId>,
}

impl Competency {
    /// True when the competency is shared by all roles.
    pub fn is_shared(&self) -> bool {
        self.roles.is_empty()
    }
}

/// A competency framework: category policies and competencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Framework {
    /// Stable id.
    pub id: FrameworkId,
    /// Title.
    pub name: String,
    /// Version label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Creator (CASE `creator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// Last change (ISO 8601), used for CASE `lastChangeDateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_changed: Option<String>,
    /// One evidence policy per category.
    pub categories: Vec<CategoryPolicy>,
    /// The competencies.
    pub competencies: Vec<Competency>,
}

/// Open Badges 3.0 `achievementType` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum AchievementType {
    Achievement,
    ApprenticeshipCertificate,
    Assessment,
    Assignment,
    Award,
    Badge,
    Certificate,
    CertificateOfCompletion,
    Certification,
    Competency,
    Course,
    CoCurricular,
    Fieldwork,
    JourneymanCertificate,
    LearningProgram,
    License,
    Membership,
    MasterCertificate,
    MicroCredential,
}

/// How an expiring credential is renewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenewalRule {
    /// Evidence required to renew.
    pub evidence_kinds: Vec<EvidenceKind>,
    /// Days before expiry during which renewal may be requested.
    #[serde(default)]
    pub window_days: u32,
    /// The rule in words.
    #[serde(default)]
    pub description: String,
}

/// Validity period of an achievement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validity {
    /// Days a credential stays valid after issuance.
    pub valid_for_days: u32,
    /// Optional renewal rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal: Option<RenewalRule>,
}

/// An achievement: a micro-credential, a certificate awarded by a stack, or a role award.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Achievement {
    /// Stable id.
    pub id: AchievementId,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Criteria narrative.
    #[serde(default)]
    pub criteria: String,
    /// OB 3.0 achievementType.
    pub achievement_type: AchievementType,
    /// Competencies this achievement evidences.
    #[serde(default)]
    pub alignments: Vec<CompetencyId>,
    /// Evidence kinds required to earn it.
    #[serde(default)]
    pub required_evidence: Vec<EvidenceKind>,
    /// Optional validity period and renewal rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
}

/// A component of a stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackItem {
    /// An achievement held.
    Achievement(AchievementId),
    /// Another stack completed.
    Stack(StackId),
}

/// Kind of incentive a stack carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncentiveKind {
    /// A salary increase.
    SalaryCredit,
    /// A one-off or periodic stipend.
    Stipend,
    /// Professional learning hours / credit hours.
    Hours,
}

/// Period of a monetary incentive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Paid once.
    Once,
    /// Per month.
    Month,
    /// Per year.
    Year,
}

/// An incentive attached to a stack, as structured data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incentive {
    /// What kind.
    pub kind: IncentiveKind,
    /// Amount (money or hours).
    pub amount: f64,
    /// ISO 4217 currency for money.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Period for money.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// In words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A stack / certificate: all of `required` plus at least `min_electives` of `electives`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    /// Stable id.
    pub id: StackId,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Certificate issued when the stack is complete (holding it verified also counts as complete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awards: Option<AchievementId>,
    /// Items that must all be held.
    #[serde(default)]
    pub required: Vec<StackItem>,
    /// Elective items.
    #[serde(default)]
    pub electives: Vec<StackItem>,
    /// How many electives are needed.
    #[serde(default)]
    pub min_electives: u32,
    /// Incentives shown in plans.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incentives: Vec<Incentive>,
}

/// Broad kind of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleKind {
    /// Entry path for people not yet teaching.
    OnRamp,
    /// Training role (residency).
    Training,
    /// Classroom teaching role.
    Teaching,
    /// R&D / Integrator / Guide specialist.
    Specialist,
    /// Team or organization leadership.
    Leadership,
    /// Community educator (real-world expertise, no teaching training).
    Community,
}

/// Direction of advancement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Entering the profession.
    Entry,
    /// Expert depth (specialize).
    Depth,
    /// Functional breadth (add or switch roles).
    Breadth,
    /// Team and organization leadership.
    Leadership,
}

/// A requirement condition tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Every child holds (empty: always holds).
    AllOf(Vec<Condition>),
    /// At least one child holds.
    AnyOf(Vec<Condition>),
    /// At least `n` children hold.
    AtLeast {
        /// How many.
        n: u32,
        /// Of which.
        of: Vec<Condition>,
    },
    /// An achievement held (verified, or derived from a stack or role).
    Credential(AchievementId),
    /// A stack completed.
    Stack(StackId),
    /// At least `count` distinct competencies of `category` evidenced by held achievements.
    CompetenciesInCategory {
        /// Category.
        category: Category,
        /// How many.
        count: u32,
    },
    /// Years of experience.
    YearsExperience {
        /// Minimum years.
        min: f64,
    },
    /// Endorsements from `count` distinct holders of `role` (optionally about a competency/category).
    Endorsements {
        /// Career role of the endorsers.
        role: RoleId,
        /// How many distinct endorsers.
        count: u32,
        /// Only endorsements about this category count.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<Category>,
        /// Only endorsements about this competency count.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        competency: Option<CompetencyId>,
    },
    /// Residency rotations completed through `count` of `roles`.
    Rotations {
        /// Roles to rotate through.
        roles: Vec<RoleId>,
        /// How many of them (defaults to all).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
}

impl Condition {
    /// True for leaves that credentials cannot satisfy (experience, endorsements, rotations).
    pub fn is_non_credential(&self) -> bool {
        matches!(
            self,
            Condition::YearsExperience { .. }
                | Condition::Endorsements { .. }
                | Condition::Rotations { .. }
        )
    }

    /// The JSON key naming this node (`all_of`, `credential`, ...).
    pub fn key(&self) -> &'static str {
        match self {
            Condition::AllOf(_) => "all_of",
            Condition::AnyOf(_) => "any_of",
            Condition::AtLeast { .. } => "at_least",
            Condition::Credential(_) => "credential",
            Condition::Stack(_) => "stack",
            Condition::CompetenciesInCategory { .. } => "competencies_in_category",
            Condition::YearsExperience { .. } => "years_experience",
            Condition::Endorsements { .. } => "endorsements",
            Condition::Rotations { .. } => "rotations",
        }
    }
}

/// A transition out of a role (listed under its source role).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Destination role.
    pub to: RoleId,
    /// Direction; defaults to the destination role's direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Requirement.
    pub requires: Condition,
}

/// A role of the career lattice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CareerRole {
    /// Stable id.
    pub id: RoleId,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Kind.
    pub kind: RoleKind,
    /// Direction of advancement by which the role is usually reached.
    pub direction: Direction,
    /// If present, the role can be entered directly (without a previous role) when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Condition>,
    /// Achievement awarded on reaching the role; holding it verified also proves the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awards: Option<AchievementId>,
    /// Transitions out of this role.
    #[serde(default)]
    pub transitions: Vec<Transition>,
}
