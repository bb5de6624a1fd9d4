//! Open Badges 3.0 and CLR 2.0 documents, Bitstring status lists and verification reports.
