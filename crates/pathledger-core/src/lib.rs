//! Pathledger domain: competency frameworks, micro-credentials, stacks, roles and the pathway engine. Pure: no I/O.
//!
//! Load definitions with [`Definitions::default_data`], [`Definitions::from_json`] or
//! [`Definitions::from_parts`]; evaluate an [`EducatorState`] with [`Definitions::evaluate`];
//! plan with [`Definitions::plan`]; see what a credential unlocks with [`Definitions::unlocks`];
//! draw the pathway map from [`Definitions::role_graph`]; import/export CASE 1.0 with [`case`].

mod bitset;
pub mod case;
mod compiled;
mod definitions;
mod educator;
mod email;
mod error;
mod eval;
mod graph;
mod id;
mod model;
mod plan;
mod references;
pub mod schema;

pub use definitions::{Definitions, DEFAULT_FILES, SECTIONS};
pub use educator::{EducatorState, Endorsement, Holding};
pub use email::{Email, EmailError, MAX_EMAIL_LEN};
pub use error::{DefinitionError, DefinitionErrorKind, DefinitionErrors};
pub use eval::{
    CategoryCount, CategoryGap, ConditionStatus, Evaluation, NodeStatus, RoleStatus, StackStatus,
    TransitionStatus,
};
pub use graph::{RoleEdge, RoleGraph, RoleNode};
pub use id::{
    check_id, AchievementId, CompetencyId, FrameworkId, IdError, RoleId, StackId, MAX_ID_LEN,
};
pub use model::{
    Achievement, AchievementType, AttesterKind, CareerRole, Category, CategoryPolicy, Competency,
    Condition, Direction, EvidenceKind, Framework, Incentive, IncentiveKind, Period, RenewalRule,
    RoleKind, Stack, StackItem, Transition, Validity,
};
pub use plan::{Plan, PlanError, PlanOptions, RemainingRequirement, StackIncentive, Unlocks};
