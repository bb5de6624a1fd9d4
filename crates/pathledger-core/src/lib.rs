//! Pathledger domain: competency frameworks, micro-credentials, stacks, roles and the pathway engine. Pure: no I/O.
